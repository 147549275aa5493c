import { setMaxListeners } from 'node:events';
import type { HostnameTemplate, SharedTokenBucket } from '@sextant/adapter-kit';
import { isValidHostname, type Logger } from '@sextant/core';
import type { AdapterStatusReporter } from './adapter-status';
import { BlockingWatch } from './blocking-watch';
import type { ConsulApi } from './consul-api';
import type { ConsulFault } from './consul-fault';
import { FaultGate, type GateBackoffs } from './fault-gate';
import { HealthAccelerator, type ChangedCheck } from './health-accelerator';
import type { MeshReporter } from './mesh-reporter';
import type { RequestBudget } from './request-budget';
import { toServiceReport, type MappingRules } from './service-report';

/** What every datacenter's watcher shares. */
export interface WatcherContext {
  readonly api: ConsulApi;
  readonly budget: RequestBudget;
  readonly mesh: MeshReporter;
  readonly status: AdapterStatusReporter;
  readonly rules: MappingRules;
  readonly hostname: HostnameTemplate;
  /** The full blocking wait, for the catalog and accelerator watches. */
  readonly waitMs: number;
  /** The adapter's budget for re-reads after early answers, shared by every watch of every datacenter. */
  readonly rateLimit: SharedTokenBucket;
  readonly logger: Logger;
  /** Consul refused the token: re-read a token file before the next try. */
  readonly onDenied: () => void;
  /** Backoffs of the datacenter's fault gate (tests shorten them). */
  readonly gateBackoffs?: () => GateBackoffs;
}

interface ServiceWatch {
  readonly watch: BlockingWatch<unknown[]>;
  readonly hostname: string;
  /** The catalog's tag union, sorted and joined: when it changes, an instance changed. */
  tags: string;
  nodes: readonly string[];
}

/**
 * Everything sextant reads from one datacenter (platform-apis.md §1.1): one blocking watch on the
 * catalog's service list, and one on `/v1/health/service/:name` per selected service, started and
 * cancelled as names come and go. Its first sync is complete once every service of the first list
 * has answered once. All its requests pass one FaultGate, so an outage costs one probe per backoff
 * and its end triggers a full resync (indexes back to 0); an index going backwards on the catalog
 * (a snapshot restore) resyncs every service too.
 */
export class DatacenterWatcher {
  private readonly controller = new AbortController();
  private readonly gate: FaultGate;
  private readonly catalog: BlockingWatch<Record<string, string[]>>;
  private readonly services = new Map<string, ServiceWatch>();
  private readonly nodeServices = new Map<string, Set<string>>();
  private readonly unnamed = new Set<string>();
  private accelerator: HealthAccelerator | undefined;
  /** Accelerators stopped while running, still settling. */
  private retired: Promise<void>[] = [];
  private stopAccelerating: (() => void) | undefined;
  /** Names of the first catalog answer that have not answered yet; undefined before that answer. */
  private pending: Set<string> | undefined;
  private synced = false;
  private leaderless = false;
  /** The reason requests are failing, while they are. */
  private failingFor: string | undefined;
  private readonly logger: Logger;
  private resolveSynced: () => void = () => undefined;
  /** Resolves at the first complete sync (or when stopped before it). */
  readonly firstSync: Promise<void>;

  constructor(
    readonly name: string,
    private readonly context: WatcherContext,
    parent: AbortSignal,
  ) {
    this.logger = context.logger.child({ datacenter: name });
    // One abort listener per watch: thousands on a large catalog are expected, not a leak.
    setMaxListeners(0, this.controller.signal);
    parent.addEventListener('abort', () => this.controller.abort(), {
      once: true,
      signal: this.controller.signal,
    });
    this.firstSync = new Promise((resolve) => (this.resolveSynced = resolve));
    this.controller.signal.addEventListener('abort', () => this.resolveSynced(), { once: true });
    this.gate = new FaultGate(
      { failing: (fault, retryInMs) => this.failing(fault, retryInMs), recovered: () => this.recovered() },
      context.gateBackoffs?.(),
    );
    this.catalog = new BlockingWatch<Record<string, string[]>>(
      {
        name: `${name} catalog`,
        fetch: (index, waitMs, signal) =>
          context.api.catalogServices({ datacenter: name, index, waitMs, signal }),
        onAnswer: (body, step) => this.onCatalog(body, step.reset),
        onConfirmed: (knownLeader) => this.confirmed(knownLeader),
        onOwnFault: (fault) =>
          context.status.setFault(`${name} catalog`, fault && `${name}: ${fault.message}`),
        gate: this.gate,
        waitMs: () => context.waitMs,
        rateLimit: context.rateLimit,
        logger: this.logger,
      },
      this.controller.signal,
    );
  }

  get isSynced(): boolean {
    return this.synced;
  }

  /** Hostnames this datacenter's services are reported under. */
  hostnames(): string[] {
    return [...this.services.values()].map((s) => s.hostname);
  }

  start(): this {
    this.catalog.start();
    this.stopAccelerating = this.context.budget.onOversubscription(() => this.adjustAccelerator());
    this.adjustAccelerator();
    return this;
  }

  /** Stops every watch and resolves once their requests have settled; with `forget`, its services leave the mesh. */
  async stop(forget = false): Promise<void> {
    this.controller.abort();
    this.stopAccelerating?.();
    await Promise.all([
      this.catalog.done,
      this.accelerator?.stop(),
      ...this.retired,
      ...[...this.services.values()].map((s) => s.watch.done),
    ]);
    this.gate.dispose();
    for (const [service, watch] of this.services) this.dropService(service, watch, forget);
  }

  private onCatalog(body: Record<string, string[]>, reset: boolean): void {
    if (reset) this.resyncServices('the catalog index went backwards');
    const wanted = new Map<string, { hostname: string; tags: string }>();
    for (const [service, tags] of Object.entries(body)) {
      const tagList = Array.isArray(tags) ? tags.filter((t): t is string => typeof t === 'string') : [];
      if (!this.context.rules.filter.wantsService(service, tagList)) continue;
      // Consul allows service names DNS does not: such a service gets no hostname.
      const hostname = this.context.hostname.render({ service, dc: this.name });
      if (!isValidHostname(hostname)) {
        this.warnUnnamed(service);
        continue;
      }
      wanted.set(service, { hostname, tags: [...tagList].sort().join('\u0000') });
    }
    for (const [service, watch] of [...this.services]) {
      if (!wanted.has(service)) this.dropService(service, watch, true);
    }
    for (const [service, { hostname, tags }] of wanted) {
      const existing = this.services.get(service);
      if (!existing) this.addService(service, hostname, tags);
      else if (existing.tags !== tags) {
        existing.tags = tags;
        existing.watch.hint();
      }
    }
    if (!this.pending) {
      this.pending = new Set(wanted.keys());
      this.logger.info({ services: wanted.size }, 'Consul catalog read; reading every service');
    }
    this.checkSynced();
  }

  private addService(service: string, hostname: string, tags: string): void {
    const watch = new BlockingWatch<unknown[]>(
      {
        name: `${this.name} health ${service}`,
        fetch: (index, waitMs, signal) =>
          this.context.api.healthService(service, { datacenter: this.name, index, waitMs, signal }),
        onAnswer: (body) => this.onHealth(service, body),
        onConfirmed: (knownLeader) => this.confirmed(knownLeader),
        onOwnFault: (fault) =>
          this.context.status.setFault(
            `${this.name}/${service}`,
            fault && `${this.name}/${service}: ${fault.message}`,
          ),
        gate: this.gate,
        slots: this.context.budget.slots,
        waitMs: () => this.context.budget.healthWaitMs(),
        rateLimit: this.context.rateLimit,
        logger: this.logger,
      },
      this.controller.signal,
    );
    this.services.set(service, { watch, hostname, tags, nodes: [] });
    this.context.budget.addWatch();
    watch.start();
  }

  private dropService(service: string, entry: ServiceWatch, forget: boolean): void {
    entry.watch.cancel();
    this.services.delete(service);
    this.context.budget.removeWatch();
    this.indexNodes(service, entry.nodes, []);
    this.pending?.delete(service);
    this.context.status.setFault(`${this.name}/${service}`, undefined);
    if (forget) this.context.mesh.remove(entry.hostname);
    this.checkSynced();
  }

  private onHealth(service: string, body: unknown[]): void {
    const entry = this.services.get(service);
    if (!entry) return;
    const report = toServiceReport(entry.hostname, this.name, body, this.context.rules);
    this.indexNodes(service, entry.nodes, report.nodes);
    entry.nodes = report.nodes;
    this.context.mesh.report(report);
    this.context.status.refresh();
    if (this.pending?.delete(service)) this.checkSynced();
  }

  private checkSynced(): void {
    if (this.synced || !this.pending || this.pending.size > 0 || this.controller.signal.aborted) return;
    this.synced = true;
    this.logger.info({ services: this.services.size }, 'Consul datacenter synced');
    this.resolveSynced();
  }

  private confirmed(knownLeader: boolean): void {
    if (!knownLeader && !this.leaderless) {
      this.logger.warn(
        'Consul answers without a known leader (an election, or a partitioned server): they may be stale',
      );
    }
    this.leaderless = !knownLeader;
    this.context.status.confirm();
  }

  /**
   * The gate closed, or its probe failed again. The status line says what is wrong with the
   * datacenter, not which watch happened to probe or when the next probe goes, so it stays the
   * same through an outage (a changed status is a new log line in the registry too).
   */
  private failing(fault: ConsulFault, retryInMs: number): void {
    const retry = { retryInMs: Math.round(retryInMs), request: fault.request };
    if (fault.reason !== this.failingFor) {
      this.logger.warn({ reason: fault.reason, ...retry }, 'Consul requests failing; keeping the last state');
    } else {
      this.logger.debug({ reason: fault.reason, ...retry }, 'Consul probe failed');
    }
    this.failingFor = fault.reason;
    this.context.status.setFault(this.name, `${this.name}: ${fault.reason}`);
    if (fault.kind === 'denied') this.context.onDenied();
  }

  private recovered(): void {
    this.failingFor = undefined;
    this.logger.info('Consul answers again; reading everything again');
    this.context.status.setFault(this.name, undefined);
    this.catalog.resync();
    this.accelerator?.resync();
    this.resyncServices('Consul answers again');
  }

  private resyncServices(why: string): void {
    this.logger.debug({ services: this.services.size, why }, 'resyncing every service');
    for (const { watch } of this.services.values()) watch.resync();
  }

  /** The accelerator only pays off while watches rotate through scarce slots. */
  private adjustAccelerator(): void {
    const wanted = this.context.budget.oversubscribed && !this.controller.signal.aborted;
    if (wanted && !this.accelerator) {
      this.accelerator = new HealthAccelerator(
        {
          datacenter: this.name,
          api: this.context.api,
          gate: this.gate,
          health: this.context.rules.health,
          waitMs: this.context.waitMs,
          rateLimit: this.context.rateLimit,
          logger: this.logger,
          onChanged: (checks) => this.hint(checks),
        },
        this.controller.signal,
      ).start();
    } else if (!wanted && this.accelerator) {
      this.retired.push(this.accelerator.stop());
      this.accelerator = undefined;
    }
  }

  private hint(checks: readonly ChangedCheck[]): void {
    const names = new Set<string>();
    for (const check of checks) {
      if (check.service !== '') names.add(check.service);
      else for (const service of this.nodeServices.get(check.node) ?? []) names.add(service);
    }
    for (const service of names) this.services.get(service)?.watch.hint();
  }

  private indexNodes(service: string, before: readonly string[], after: readonly string[]): void {
    for (const node of before) {
      const set = this.nodeServices.get(node);
      set?.delete(service);
      if (set?.size === 0) this.nodeServices.delete(node);
    }
    for (const node of after) {
      const set = this.nodeServices.get(node) ?? new Set<string>();
      set.add(service);
      this.nodeServices.set(node, set);
    }
  }

  private warnUnnamed(service: string): void {
    if (this.unnamed.has(service)) return;
    this.unnamed.add(service);
    this.logger.warn(
      { service, template: this.context.hostname.template },
      `Consul service "${service}" makes no valid hostname with the hostname template; it is not served`,
    );
  }
}
