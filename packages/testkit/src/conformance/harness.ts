import { resolve as resolvePath } from 'node:path';
import {
  formatProblem,
  Registry,
  silentLogger,
  validateAdapterOptions,
  type AdapterContext,
  type AdapterFactory,
  type Snapshot,
} from '@sextant/core';
import { RecordingSink } from '../recording-sink';
import { waitFor } from '../wait-for';
import { expectedView, sameView, snapshotView, type MeshView } from './mesh-view';
import type { ResourceTracker } from './resource-tracker';
import type { ConformancePlatform, ConformanceService, ConformanceSubject } from './subject';

/** The contract's bound on how long an adapter may take to stop once its signal aborts. */
export const ABORT_DEADLINE_MS = 2000;

/** The subject's timing, defaults filled in. */
export function conformanceTiming<O>(subject: ConformanceSubject<O>): { timeoutMs: number; quietMs: number } {
  return { timeoutMs: subject.timeoutMs ?? 5000, quietMs: subject.quietMs ?? 500 };
}

type RunOutcome = { readonly ended: false } | { readonly ended: true; readonly error?: unknown };

/**
 * One conformance check's world: a fresh platform, a real Registry (short debounce, so changes
 * show quickly), a RecordingSink between the adapter and the registry, and the adapter's run.
 */
export class ConformanceHarness<O> {
  readonly registry: Registry;
  readonly sink: RecordingSink;
  /** Every snapshot the registry published, in order. */
  readonly snapshots: Snapshot[] = [];
  readonly timeoutMs: number;
  readonly quietMs: number;
  private readonly context: AdapterContext;
  private running: { readonly controller: AbortController; readonly done: Promise<void> } | undefined;
  private outcome: RunOutcome = { ended: false };

  private constructor(
    readonly subject: ConformanceSubject<O>,
    readonly platform: ConformancePlatform<O>,
  ) {
    this.context = adapterContext(subject.context);
    ({ timeoutMs: this.timeoutMs, quietMs: this.quietMs } = conformanceTiming(subject));
    this.registry = new Registry({ adapters: [this.context.name], debounce: { afterMs: 10, maxMs: 50 } });
    this.registry.onSnapshot((snapshot) => this.snapshots.push(snapshot));
    this.sink = new RecordingSink(this.registry.sink(this.context.name));
  }

  static async open<O>(subject: ConformanceSubject<O>): Promise<ConformanceHarness<O>> {
    return new ConformanceHarness(subject, await subject.start());
  }

  /**
   * The platform's options as the daemon would pass them: checked against the factory's
   * optionsSchema, with its defaults applied.
   */
  adapterOptions(): O {
    const options: unknown = structuredClone(this.platform.options());
    if (typeof options !== 'object' || options === null || Array.isArray(options)) {
      throw new Error(`the platform's options() must return an object, got ${JSON.stringify(options)}`);
    }
    const factory = this.subject.factory as AdapterFactory;
    const problems = validateAdapterOptions(factory, options as Record<string, unknown>);
    if (problems.length > 0) {
      throw new Error(
        `the factory's optionsSchema refuses the platform's options: ${problems.map(formatProblem).join('; ')}`,
      );
    }
    return options as O;
  }

  /**
   * Creates the adapter and starts its run; the outcome is watched, not awaited. With a tracker,
   * everything the adapter opens is attributed to it.
   */
  startAdapter(tracker?: ResourceTracker): void {
    if (this.running) throw new Error('the adapter is already running');
    const controller = new AbortController();
    const start = () => {
      const adapter = this.subject.factory.create(this.adapterOptions(), this.context);
      return adapter.run(this.sink, controller.signal);
    };
    // Called inside a promise chain so that a synchronous throw is an outcome like a rejection.
    const done = Promise.resolve()
      .then(() => (tracker ? tracker.runOwned(start) : start()))
      .then(
        () => {
          this.outcome = { ended: true };
        },
        (error: unknown) => {
          this.outcome = { ended: true, error };
        },
      );
    this.running = { controller, done };
  }

  /** Aborts the run and resolves with how long `run()` took to settle; throws if it rejected or hangs. */
  async stopAdapter(): Promise<number> {
    const running = this.running;
    if (!running) throw new Error('the adapter is not running');
    const started = performance.now();
    running.controller.abort();
    await settleWithin(running.done, ABORT_DEADLINE_MS);
    const elapsed = performance.now() - started;
    if (!this.outcome.ended) {
      throw new Error(`run() had not resolved ${ABORT_DEADLINE_MS} ms after its signal aborted`);
    }
    if ('error' in this.outcome) throw new Error(`run() rejected: ${describeError(this.outcome.error)}`);
    return elapsed;
  }

  /** Waits for `predicate`, failing at once if the adapter's run has ended before being stopped. */
  async waitFor(predicate: () => boolean, what: () => string, timeoutMs = this.timeoutMs): Promise<void> {
    await waitFor(
      () => {
        this.assertStillRunning();
        return predicate();
      },
      { timeoutMs, intervalMs: 10, message: what },
    );
  }

  /** Waits until the adapter is `ready` and the registry shows `services` (and not `gone`). */
  async waitForMesh(services: readonly ConformanceService[], gone: readonly string[] = []): Promise<void> {
    const expected = expectedView(this.platform, services, gone);
    await this.waitFor(
      () => this.sink.status === 'ready' && sameView(this.view(expected), expected),
      () =>
        `status ready and ${JSON.stringify(expected)}; ` +
        `now status ${this.sink.status} and ${JSON.stringify(this.view(expected))}`,
    );
  }

  /** Waits until the adapter reports `status`. */
  async waitForStatus(status: 'ready' | 'degraded'): Promise<void> {
    await this.waitFor(
      () => this.sink.status === status,
      () => `status ${status}; statuses so far: ${this.sink.statuses().join(', ') || 'none'}`,
    );
  }

  /** The current snapshot, as the hostnames of `like`. */
  view(like: MeshView, snapshot = this.registry.current()): MeshView {
    return snapshotView(snapshot, like);
  }

  /** Stops whatever is still running and closes the platform; never hangs on a misbehaving adapter. */
  async dispose(): Promise<void> {
    // After stopAdapter the bounded wait for run() has been had; a hung run is reported there.
    if (this.running && !this.running.controller.signal.aborted) {
      this.running.controller.abort();
      await settleWithin(this.running.done, ABORT_DEADLINE_MS);
    }
    this.registry.close();
    await this.platform.close();
  }

  private assertStillRunning(): void {
    if (!this.running || !this.outcome.ended || this.running.controller.signal.aborted) return;
    const how = 'error' in this.outcome ? `rejected: ${describeError(this.outcome.error)}` : 'resolved';
    throw new Error(`run() ${how} before its signal aborted; it must keep watching until then`);
  }
}

function adapterContext(given: Partial<AdapterContext> = {}): AdapterContext {
  const baseDir = given.baseDir ?? process.cwd();
  return {
    name: given.name ?? 'conformance',
    logger: given.logger ?? silentLogger,
    baseDir,
    resolvePath: given.resolvePath ?? ((path) => resolvePath(baseDir, path)),
    // Empty by default, so an adapter never finds a real platform through the environment.
    env: given.env ?? {},
  };
}

/** Waits for `promise` to settle, or `ms`, whichever comes first, leaving no timer behind. */
async function settleWithin(promise: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  try {
    await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
