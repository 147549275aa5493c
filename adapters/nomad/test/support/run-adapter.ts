import { resolve } from 'node:path';
import { validateAdapterOptions, type AdapterContext, type Logger, type RegistrySink } from '@sextant/core';
import { RecordingSink, waitFor } from '@sextant/testkit';
import adapter, { type NomadAdapterOptions } from '../../src';

export interface LogEntry {
  readonly level: string;
  readonly msg: string;
  readonly fields: Record<string, unknown>;
}

/** A Logger that keeps every entry, with the bindings of the child logger that wrote it. */
export function recordingLogger(
  entries: LogEntry[] = [],
  bindings: Record<string, unknown> = {},
): Logger & { readonly entries: LogEntry[] } {
  const at =
    (level: string) =>
    (first: string | object, msg?: string): void => {
      entries.push(
        typeof first === 'string'
          ? { level, msg: first, fields: { ...bindings } }
          : { level, msg: msg ?? '', fields: { ...bindings, ...first } },
      );
    };
  return {
    entries,
    trace: at('trace'),
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: (more) => recordingLogger(entries, { ...bindings, ...more }),
  };
}

export interface RunningAdapter {
  readonly sink: RecordingSink;
  readonly logger: ReturnType<typeof recordingLogger>;
  /** Waits for the status (and, if given, a detail matching `detail`). */
  waitForStatus(status: string, detail?: RegExp): Promise<void>;
  /** Sink calls other than setStatus, as `method hostname` lines, from call `from` on. */
  reports(from?: number): string[];
  stop(): Promise<void>;
}

/**
 * Runs the nomad adapter as the daemon would (options through the factory's schema, defaults
 * applied) against a RecordingSink. Quick retries unless the test says otherwise.
 */
export function runAdapter(
  options: NomadAdapterOptions,
  {
    env = {},
    baseDir = process.cwd(),
    forwardTo,
  }: {
    env?: Record<string, string>;
    baseDir?: string;
    /** A sink every report is passed on to (a real registry's). */
    forwardTo?: RegistrySink;
  } = {},
): RunningAdapter {
  const logger = recordingLogger();
  const context: AdapterContext = {
    name: 'nomad',
    logger,
    baseDir,
    resolvePath: (path) => resolve(baseDir, path),
    env,
  };
  const withDefaults: Record<string, unknown> = {
    retry: { initial: '20ms', max: '200ms' },
    ...structuredClone(options),
  };
  const problems = validateAdapterOptions(adapter, withDefaults);
  if (problems.length > 0) throw new Error(`options refused: ${JSON.stringify(problems)}`);
  const sink = new RecordingSink(forwardTo);
  const controller = new AbortController();
  const done = adapter.create(withDefaults as NomadAdapterOptions, context).run(sink, controller.signal);
  return {
    sink,
    logger,
    async waitForStatus(status, detail) {
      await waitFor(
        () => sink.status === status && (detail === undefined || detail.test(sink.detail ?? '')),
        {
          message: () => `status ${status} ${detail ?? ''} (now ${sink.status}: ${sink.detail ?? ''})`,
        },
      );
    },
    reports(from = 0) {
      return sink.calls.slice(from).flatMap((call) => {
        if (call.method === 'setStatus') return [];
        if (call.method === 'replaceAll')
          return [`replaceAll ${call.state.services.map((s) => s.hostname).join(' ')}`];
        if (call.method === 'upsertService') return [`upsertService ${call.service.hostname}`];
        if (call.method === 'replaceRules') return [`replaceRules ${call.origin}`];
        return [`removeService ${call.hostname}`];
      });
    },
    async stop() {
      controller.abort();
      await done;
    },
  };
}

/** The instances of `hostname` as the sink holds them, as sorted `address:port` strings. */
export function endpoints(sink: RecordingSink, hostname: string): string[] | undefined {
  return sink.services
    .get(hostname)
    ?.instances.map((i) => `${i.address}:${i.port}`)
    .sort();
}
