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
  for (const [name, setting] of Object.entries(config.listen)) {
    try {
      parseListenAddress(listenerConfig(setting).address);
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
