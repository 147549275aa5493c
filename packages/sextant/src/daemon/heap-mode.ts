import v8 from 'node:v8';
import type { LimitsConfig, Registry } from '@sextant/core';
import type { Logger } from 'pino';

/**
 * `limits.heap: size` (the default): once the first snapshot is out, V8 favours memory over speed
 * (`--optimize-for-size`: a young generation of about 1 MiB instead of up to 32, an old
 * generation grown in smaller steps and collected sooner). On a 10,000-service mesh that keeps a
 * serving daemon some 60 MiB smaller (docs/operations.md). Start-up, which allocates the whole
 * mesh at once, runs with V8's defaults: with the flag from the first moment it took some 400 ms
 * longer. A process-wide setting, so only the daemon's own process makes it, never a library.
 */
export function favourMemoryOnceServing(
  registry: Registry,
  heap: LimitsConfig['heap'],
  logger: Logger,
  setV8Flags: (flags: string) => void = v8.setFlagsFromString,
): void {
  if (heap !== 'size') return;
  const stop = registry.onSnapshot(() => {
    stop();
    setV8Flags('--optimize-for-size');
    logger.debug('first snapshot out: V8 now favours memory over speed (limits.heap: size)');
  });
}
