import { resolve } from 'node:path';
import { Backoff } from '@sextant/adapter-kit';
import type { AdapterContext, RegistrySink } from '@sextant/core';
import { RecordingSink } from '@sextant/testkit';
import { ConsulAdapter, type ConsulAdapterOptions, type ConsulAdapterTuning } from '../../src';
import { recordingLogger } from './recording-logger';

/** Fault backoffs short enough for tests (the defaults start at 0.5 s for outages and 5 s for refusals). */
export const fastBackoffs: ConsulAdapterTuning = {
  gateBackoffs: () => ({ outage: new Backoff(50, 400), denial: new Backoff(100, 400) }),
};

/** Runs the adapter against `options` into a RecordingSink, until `stop()`. */
export function runAdapter(
  options: ConsulAdapterOptions,
  settings: {
    env?: Record<string, string>;
    tuning?: ConsulAdapterTuning;
    baseDir?: string;
    /** A sink every report is passed on to (a real registry's). */
    forwardTo?: RegistrySink;
  } = {},
) {
  const logger = recordingLogger();
  const baseDir = settings.baseDir ?? process.cwd();
  const context: AdapterContext = {
    name: 'consul',
    logger,
    baseDir,
    resolvePath: (path) => resolve(baseDir, path),
    env: settings.env ?? {},
  };
  const sink = new RecordingSink(settings.forwardTo);
  const controller = new AbortController();
  const done = new ConsulAdapter(options, context, settings.tuning ?? fastBackoffs).run(
    sink,
    controller.signal,
  );
  return {
    sink,
    logger,
    /** A service's instances as `address:port health`, sorted; undefined when not reported. */
    endpoints(hostname: string): string[] | undefined {
      return sink.services
        .get(hostname)
        ?.instances.map((i) => `${i.address}:${i.port} ${i.health ?? 'healthy'}`)
        .sort();
    },
    /** Reports of services (replaceAll, upsert, remove) since `from` calls. */
    reportsSince(from: number) {
      return sink.calls.slice(from).filter((call) => call.method !== 'setStatus');
    },
    async stop() {
      controller.abort();
      await done;
    },
  };
}

export type RunningAdapter = ReturnType<typeof runAdapter>;
