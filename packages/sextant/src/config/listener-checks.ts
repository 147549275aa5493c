import {
  durationMs,
  listenerConfig,
  type DaemonConfig,
  type Problem,
  type SourceDocument,
} from '@sextant/core';
import { ListenAddressError, parseListenAddress } from '@sextant/server';

/**
 * What the schema cannot say about listeners: a listen address needs a host (an empty one would
 * silently mean every interface), a timeout of 0 would mean none at all, and Node refuses a
 * headers timeout longer than the request timeout.
 */
export function listenerProblems(config: DaemonConfig, document: SourceDocument): Problem[] {
  const problems: Problem[] = [];
  const bound: { name: string; host: string; port: number }[] = [];
  for (const [name, setting] of Object.entries(config.listen)) {
    try {
      const { address } = listenerConfig(setting);
      const { host, port } = parseListenAddress(address);
      const clash = bound.find((other) => port !== 0 && other.port === port && overlaps(other.host, host));
      if (clash) {
        problems.push(
          document.problem(
            typeof setting === 'string' ? ['listen', name] : ['listen', name, 'address'],
            `${address} is also listen.${clash.name}: two listeners cannot share an address`,
          ),
        );
      }
      bound.push({ name, host, port });
    } catch (error) {
      if (!(error instanceof ListenAddressError)) throw error;
      problems.push(
        document.problem(
          typeof setting === 'string' ? ['listen', name] : ['listen', name, 'address'],
          error.message,
        ),
      );
    }
  }
  const positive = (path: (string | number)[], value: string) => {
    if (durationMs(value) <= 0) problems.push(document.problem(path, 'must be longer than 0'));
  };
  for (const name of ['discovery', 'admin'] as const) {
    const limits = config.limits[name];
    for (const key of ['requestTimeout', 'headersTimeout', 'idleTimeout'] as const) {
      positive(['limits', name, key], limits[key]);
    }
    if (durationMs(limits.headersTimeout) > durationMs(limits.requestTimeout)) {
      problems.push(
        document.problem(
          ['limits', name, 'headersTimeout'],
          `must not be longer than requestTimeout (${limits.requestTimeout}): the headers are part of the request`,
        ),
      );
    }
  }
  positive(['limits', 'xds', 'idleTimeout'], config.limits.xds.idleTimeout);
  return problems;
}

const ANY_HOST = new Set(['0.0.0.0', '::']);

/** Two hosts on one port collide when they are the same or either is every interface. (Port 0 is any free port.) */
function overlaps(a: string, b: string): boolean {
  return a === b || ANY_HOST.has(a) || ANY_HOST.has(b);
}
