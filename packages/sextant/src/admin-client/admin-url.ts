import { ConfigError, daemonConfigSchema, formatProblem, listenerConfig, silentLogger } from '@sextant/core';
import { UsageError } from '../cli/command';
import { loadConfig } from '../config/load-config';

/** listen.admin's default: where `sextant status` and `sextant config` look without --admin or --config. */
export const DEFAULT_ADMIN = daemonConfigSchema.properties.listen.properties.admin.default;

/**
 * The admin base URL the client commands talk to: `--admin` (a URL, or host:port for http), else
 * listen.admin of the `--config` file, else listen.admin's default. A wildcard listen address
 * (0.0.0.0, ::) is reached on loopback.
 */
export async function adminBaseUrl(
  admin: string | undefined,
  configFile: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
): Promise<URL> {
  if (admin !== undefined) return parseAdminFlag(admin);
  if (configFile === undefined) return hostPortUrl(DEFAULT_ADMIN);
  let loaded;
  try {
    loaded = await loadConfig(configFile, { env, logger: silentLogger });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    throw new UsageError(
      `--config ${configFile} cannot be used:\n${error.problems.map((p) => `  ${formatProblem(p)}`).join('\n')}`,
    );
  }
  // HTTPS when the admin listener serves TLS.
  const { address, tls } = listenerConfig(loaded.config.listen.admin);
  return hostPortUrl(address, tls ? 'https' : 'http');
}

function parseAdminFlag(admin: string): URL {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(admin) ? admin : `http://${admin}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new UsageError(`--admin: not a URL or host:port ("${admin}")`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(
      `--admin: the admin listener speaks http or https, not ${url.protocol.slice(0, -1)}`,
    );
  }
  if (url.username !== '' || url.password !== '') {
    throw new UsageError('--admin: credentials do not belong in the URL');
  }
  return new URL(`${url.origin}${url.pathname.replace(/\/+$/, '')}/`);
}

function hostPortUrl(hostPort: string, scheme: 'http' | 'https' = 'http'): URL {
  const url = new URL(`${scheme}://${hostPort}/`);
  if (url.hostname === '0.0.0.0') url.hostname = '127.0.0.1';
  if (url.hostname === '[::]') url.hostname = '[::1]';
  return url;
}
