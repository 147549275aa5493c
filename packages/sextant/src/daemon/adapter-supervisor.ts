import type { Adapter, Logger, RegistrySink, RuleStore } from '@sextant/core';

const INITIAL_BACKOFF_MS = 1000;
const MAX_BACKOFF_MS = 60_000;

/**
 * Runs one adapter for the daemon's lifetime. The contract says `run` never throws for platform
 * faults; a third-party adapter may still throw or return early. Either way its last state stays
 * in the registry, it is marked degraded with the reason, and a fresh instance is started after
 * an exponential backoff, so one broken plugin never takes the daemon down or spins a core.
 */
export class AdapterSupervisor {
  private readonly controller = new AbortController();
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  /** The instance running now (the last created), for what it offers besides `run` (its rule store). */
  private current: Adapter | undefined;

  constructor(
    readonly name: string,
    private readonly create: () => Adapter,
    private readonly sink: RegistrySink,
    private readonly logger: Logger,
    private readonly initialBackoffMs = INITIAL_BACKOFF_MS,
  ) {}

  /** The running instance's rule store, if it offers one. */
  get ruleStore(): RuleStore | undefined {
    return this.current?.ruleStore;
  }

  start(): void {
    this.loop ??= this.supervise();
  }

  /** Aborts the adapter and resolves when its `run` has returned. */
  async stop(): Promise<void> {
    this.controller.abort();
    this.wake?.();
    await this.loop;
  }

  private async supervise(): Promise<void> {
    const signal = this.controller.signal;
    let backoff = this.initialBackoffMs;
    while (!signal.aborted) {
      const startedAt = Date.now();
      let reason: string;
      try {
        this.current = this.create();
        await this.current.run(this.sink, signal);
        if (signal.aborted) return;
        reason = 'the adapter stopped on its own';
      } catch (error) {
        if (signal.aborted) return;
        reason = `the adapter failed: ${(error as Error)?.message ?? String(error)}`;
        this.logger.error({ err: error, adapter: this.name }, reason);
      }
      this.sink.setStatus('degraded', `${reason}; restarting in ${Math.round(backoff / 1000)}s`);
      // A run that lasted a while was healthy: start the backoff over.
      if (Date.now() - startedAt > MAX_BACKOFF_MS) backoff = this.initialBackoffMs;
      await this.sleep(backoff);
      backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }
}
