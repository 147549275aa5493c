import { HostnameTemplate, type TlsSetting, type TokenSetting } from '@sextant/adapter-kit';
import { durationMs, type AdapterContext, type Problem, type Protocol, type Validation } from '@sextant/core';
import { DEFAULTS, type ConsulAdapterOptions, type HealthRule } from './options';
import { ServiceFilter } from './service-selection';

export type DatacenterSelection =
  | { readonly kind: 'local' }
  | { readonly kind: 'listed'; readonly names: readonly string[] }
  | { readonly kind: 'all'; readonly refreshMs: number };

/** Everything the adapter runs on: options and environment resolved, defaults applied. */
export interface ConsulSettings {
  readonly address: URL;
  readonly token: TokenSetting;
  readonly tls: TlsSetting | undefined;
  readonly datacenters: DatacenterSelection;
  readonly filter: ServiceFilter;
  readonly health: HealthRule;
  readonly defaultProtocol: Protocol;
  readonly waitMs: number;
  readonly hostname: HostnameTemplate;
  readonly maxConcurrentRequests: number;
  readonly maxStalenessMs: number;
  /** The budget of re-reads after early answers, for every watch together. */
  readonly rateLimit: { readonly burst: number; readonly intervalMs: number };
  /** The KV prefix of traffic rules, ending in `/`; undefined: no KV reading. */
  readonly rulesKvPrefix: string | undefined;
  /** Read Consul's L7 config entries as traffic rules (`rules.configEntries`). */
  readonly configEntries: boolean;
}

/** Consul caps a blocking wait at 10 minutes (max_query_time). */
export const MAX_WAIT_MS = 10 * 60_000;

/**
 * Resolves options (already checked by the schema) and the environment the way Consul's own
 * clients do: an option wins over its environment variable; `CONSUL_HTTP_ADDR` may omit the
 * scheme (`CONSUL_HTTP_SSL=true` then means https). Problems name the option or variable.
 */
export function resolveSettings(
  options: ConsulAdapterOptions,
  context: Pick<AdapterContext, 'env' | 'resolvePath'>,
): Validation<ConsulSettings> {
  const problems: Problem[] = [];
  const env = context.env;
  const address = resolveAddress(options.address, env, problems);
  const https = address?.protocol === 'https:';
  const tls = resolveTls(options, context, https, problems);
  if (problems.length > 0 || !address) return { valid: false, problems };
  return {
    valid: true,
    value: {
      address,
      token: resolveToken(options, context),
      tls,
      datacenters: resolveDatacenters(options),
      filter: new ServiceFilter(options.services),
      health: options.health ?? DEFAULTS.health,
      defaultProtocol: options.defaultProtocol ?? DEFAULTS.defaultProtocol,
      waitMs: Math.min(MAX_WAIT_MS, Math.max(1, durationMs(options.wait ?? DEFAULTS.wait))),
      hostname: new HostnameTemplate(options.hostname ?? DEFAULTS.hostname),
      maxConcurrentRequests: options.maxConcurrentRequests ?? DEFAULTS.maxConcurrentRequests,
      maxStalenessMs: durationMs(options.maxStaleness ?? DEFAULTS.maxStaleness),
      rateLimit: {
        burst: options.rateLimit?.burst ?? DEFAULTS.rateLimit.burst,
        intervalMs: durationMs(options.rateLimit?.interval ?? DEFAULTS.rateLimit.interval),
      },
      rulesKvPrefix: kvPrefix(options.rules?.kvPrefix),
      configEntries: options.rules?.configEntries === true,
    },
  };
}

function resolveAddress(
  option: string | undefined,
  env: AdapterContext['env'],
  problems: Problem[],
): URL | undefined {
  if (option !== undefined) return new URL(option);
  const fromEnv = env.CONSUL_HTTP_ADDR;
  if (fromEnv === undefined || fromEnv === '') return new URL(DEFAULTS.address);
  if (fromEnv.startsWith('unix://')) {
    problems.push({
      path: 'env CONSUL_HTTP_ADDR',
      message: `a unix socket ("${fromEnv}") is not supported: set address to the agent's http:// or https:// URL`,
    });
    return undefined;
  }
  const withScheme = /^[a-z]+:\/\//i.test(fromEnv)
    ? fromEnv
    : `${env.CONSUL_HTTP_SSL === 'true' || env.CONSUL_HTTP_SSL === '1' ? 'https' : 'http'}://${fromEnv}`;
  try {
    const url = new URL(withScheme);
    if (url.protocol === 'http:' || url.protocol === 'https:') return url;
  } catch {
    // reported below
  }
  problems.push({
    path: 'env CONSUL_HTTP_ADDR',
    message: `not an address of the Consul HTTP API ("${fromEnv}")`,
  });
  return undefined;
}

function resolveToken(
  options: ConsulAdapterOptions,
  context: Pick<AdapterContext, 'env' | 'resolvePath'>,
): TokenSetting {
  if (options.token !== undefined) return { kind: 'value', value: options.token };
  if (options.tokenFile !== undefined) return { kind: 'file', path: context.resolvePath(options.tokenFile) };
  const { CONSUL_HTTP_TOKEN: token, CONSUL_HTTP_TOKEN_FILE: file } = context.env;
  if (token) return { kind: 'value', value: token };
  if (file) return { kind: 'file', path: context.resolvePath(file) };
  return { kind: 'none' };
}

function resolveTls(
  options: ConsulAdapterOptions,
  context: Pick<AdapterContext, 'env' | 'resolvePath'>,
  https: boolean,
  problems: Problem[],
): TlsSetting | undefined {
  if (!https) {
    if (options.tls) {
      problems.push({
        path: 'tls',
        message: 'given, but the address is http://: use an https:// address for TLS',
      });
    }
    return undefined;
  }
  const env = context.env;
  const file = (option: string | undefined, variable: string) => {
    const value = option ?? env[variable];
    return value ? context.resolvePath(value) : undefined;
  };
  const tls: TlsSetting = {
    ca: file(options.tls?.ca, 'CONSUL_CACERT'),
    cert: file(options.tls?.cert, 'CONSUL_CLIENT_CERT'),
    key: file(options.tls?.key, 'CONSUL_CLIENT_KEY'),
    serverName: options.tls?.serverName ?? (env.CONSUL_TLS_SERVER_NAME || undefined),
  };
  if ((tls.cert === undefined) !== (tls.key === undefined)) {
    problems.push({
      path: tls.cert === undefined ? 'tls.cert' : 'tls.key',
      message: 'a client certificate needs both cert and key',
    });
  }
  return tls;
}

/** `sextant/rules` reads like `sextant/rules/`: a prefix is a folder, or it would also match `sextant/rules-old/…`. */
function kvPrefix(option: string | undefined): string | undefined {
  if (option === undefined) return undefined;
  return option.endsWith('/') ? option : `${option}/`;
}

function resolveDatacenters(options: ConsulAdapterOptions): DatacenterSelection {
  const names = options.datacenters ?? [];
  if (names.includes('*')) {
    return { kind: 'all', refreshMs: durationMs(options.datacenterRefresh ?? DEFAULTS.datacenterRefresh) };
  }
  if (names.length === 0) return { kind: 'local' };
  return { kind: 'listed', names: [...new Set(names)] };
}
