import type { Registry, RuleStore } from '@sextant/core';
import type { Logger } from 'pino';
import { adapterContext, type ConfiguredAdapter } from '../config/load-config';
import { AdapterSupervisor } from './adapter-supervisor';

/**
 * The running adapters, one supervisor each, by name. A reload hands it the new list: the
 * adapters it names unchanged keep running (and keep their state), the others are stopped,
 * started or restarted, and the registry's partitions follow.
 */
export class AdapterSet {
  private readonly running = new Map<string, AdapterSupervisor>();
  private started = false;

  constructor(
    private readonly registry: Registry,
    private readonly baseDir: string,
    private readonly env: Readonly<Record<string, string | undefined>>,
    private readonly logger: Logger,
    adapters: readonly ConfiguredAdapter[],
  ) {
    for (const adapter of adapters) this.running.set(adapter.name, this.supervisor(adapter));
  }

  start(): void {
    this.started = true;
    for (const supervisor of this.running.values()) supervisor.start();
  }

  /**
   * Applies a reloaded list. `restart` names the adapters whose type or options changed. Those
   * leaving are stopped (their run has returned) before their partitions go, so nothing they
   * report late lands anywhere.
   */
  async apply(adapters: readonly ConfiguredAdapter[], restart: readonly string[]): Promise<void> {
    const wanted = new Set(adapters.map((a) => a.name));
    const leaving = [...this.running.keys()].filter((name) => !wanted.has(name) || restart.includes(name));
    await Promise.all(leaving.map((name) => this.running.get(name)?.stop()));
    for (const name of leaving) this.running.delete(name);
    this.registry.setAdapters(adapters.map((a) => a.name));
    for (const adapter of adapters) {
      if (this.running.has(adapter.name)) continue;
      const supervisor = this.supervisor(adapter);
      this.running.set(adapter.name, supervisor);
      if (this.started) supervisor.start();
    }
  }

  /** The rule store of the adapter named, as it runs now; undefined while it offers none. */
  ruleStore(name: string): RuleStore | undefined {
    return this.running.get(name)?.ruleStore;
  }

  async stop(): Promise<void> {
    await Promise.all([...this.running.values()].map((supervisor) => supervisor.stop()));
  }

  private supervisor(adapter: ConfiguredAdapter): AdapterSupervisor {
    const context = adapterContext(adapter.name, this.baseDir, this.env, this.logger);
    return new AdapterSupervisor(
      adapter.name,
      () => adapter.factory.create(adapter.options, context),
      this.registry.sink(adapter.name),
      context.logger,
    );
  }
}
