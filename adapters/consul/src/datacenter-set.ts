import { Backoff, sleep } from '@sextant/adapter-kit';
import type { Logger } from '@sextant/core';
import type { AdapterStatusReporter } from './adapter-status';
import type { ConsulApi } from './consul-api';
import { ConsulFault } from './consul-fault';
import { DatacenterWatcher, type WatcherContext } from './datacenter-watcher';
import type { MeshReporter } from './mesh-reporter';
import type { DatacenterSelection } from './settings';

export interface DatacenterSetOptions {
  readonly selection: DatacenterSelection;
  readonly api: ConsulApi;
  readonly watcherContext: WatcherContext;
  readonly mesh: MeshReporter;
  readonly status: AdapterStatusReporter;
  readonly logger: Logger;
  readonly onDenied: () => void;
  /** Reads that must also have answered once before `ready` (the rules under a KV prefix), with what they are. */
  readonly alsoBeforeReady?: { readonly what: string; readonly done: Promise<void> };
}

/**
 * The datacenters the adapter serves, and their watchers: the agent's own (learned from
 * /v1/agent/self), a fixed list, or every datacenter (/v1/catalog/datacenters, re-read every
 * `datacenterRefresh` for additions and removals). Reports the first complete picture once every
 * datacenter known at start has synced.
 */
export class DatacenterSet {
  private readonly watchers = new Map<string, DatacenterWatcher>();
  private readonly stopping: Promise<void>[] = [];

  constructor(private readonly options: DatacenterSetOptions) {}

  /** Runs until `signal` aborts; resolves once every watcher has stopped. */
  async run(signal: AbortSignal): Promise<void> {
    const { selection, api } = this.options;
    let initial: readonly string[] | undefined;
    if (selection.kind === 'listed') initial = selection.names;
    else if (selection.kind === 'local') {
      const local = await this.discover(
        "the agent's datacenter",
        'give the token agent:read, or list the datacenters in the "datacenters" option',
        () => api.agentDatacenter(signal),
        signal,
      );
      initial = local === undefined ? undefined : [local];
    } else {
      initial = await this.discover(
        'the list of datacenters',
        undefined,
        () => api.datacenters(signal),
        signal,
      );
    }
    if (initial === undefined || signal.aborted) return;
    this.setDatacenters(initial, signal);
    const firstSync = this.awaitFirstSync(signal);
    if (selection.kind === 'all') await this.followDatacenterList(selection.refreshMs, signal);
    await firstSync;
    await aborted(signal);
    await Promise.all([...[...this.watchers.values()].map((w) => w.stop()), ...this.stopping]);
  }

  private async awaitFirstSync(signal: AbortSignal): Promise<void> {
    const names = [...this.watchers.keys()];
    this.options.status.setWaitingFor(
      `every service of ${names.length === 1 ? `datacenter ${names[0]}` : `datacenters ${names.join(', ')}`} to answer once`,
    );
    await Promise.all([...this.watchers.values()].map((w) => w.firstSync));
    const also = this.options.alsoBeforeReady;
    if (also && !signal.aborted) {
      this.options.status.setWaitingFor(also.what);
      await also.done;
    }
    if (signal.aborted) return;
    this.options.mesh.goLive();
    this.options.status.markSynced();
    this.options.logger.info({ datacenters: names }, 'Consul catalog and health read: ready');
    this.describeRotation();
  }

  /** Says, once the catalog is known, whether services rotate through the request slots and how stale they may get. */
  private describeRotation(): void {
    const budget = this.options.watcherContext.budget;
    if (!budget.oversubscribed) return;
    const fields = {
      services: budget.watches,
      slots: budget.slots.capacity,
      waitMs: budget.healthWaitMs(),
      rereadWithinMs: budget.stalenessBoundMs(),
    };
    const summary =
      `${budget.watches} services share ${budget.slots.capacity} request slots: each is read again within ` +
      `${Math.ceil(budget.stalenessBoundMs() / 1000)}s; health changes are seen sooner through /v1/health/state`;
    if (budget.keepsMaxStaleness) this.options.logger.info(fields, summary);
    else {
      this.options.logger.warn(
        fields,
        `${summary}. That exceeds maxStaleness: raise maxConcurrentRequests (Consul allows 200 connections per client address by default, limits.http_max_conns_per_client)`,
      );
    }
  }

  private async followDatacenterList(refreshMs: number, signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      await sleep(refreshMs, signal);
      if (signal.aborted) return;
      try {
        this.setDatacenters(await this.options.api.datacenters(signal), signal);
      } catch (error) {
        if (signal.aborted) return;
        // The datacenters already watched keep going; their own watches report their faults.
        this.options.logger.warn(
          { reason: (error as Error).message },
          'cannot re-read the list of datacenters',
        );
      }
    }
  }

  private setDatacenters(names: readonly string[], signal: AbortSignal): void {
    const wanted = new Set(names);
    this.options.watcherContext.budget.reserveFor(wanted.size);
    for (const [name, watcher] of [...this.watchers]) {
      if (wanted.has(name)) continue;
      this.watchers.delete(name);
      this.options.logger.info(
        { datacenter: name },
        'datacenter gone from Consul; its services leave the mesh',
      );
      this.stopping.push(watcher.stop(true));
    }
    for (const name of wanted) {
      if (this.watchers.has(name)) continue;
      if (this.watchers.size > 0) this.options.logger.info({ datacenter: name }, 'new Consul datacenter');
      this.watchers.set(name, new DatacenterWatcher(name, this.options.watcherContext, signal).start());
    }
  }

  /** Reads something the watchers need before they can start, retrying with backoff and saying why it waits. */
  private async discover<T>(
    what: string,
    deniedHint: string | undefined,
    read: () => Promise<T>,
    signal: AbortSignal,
  ): Promise<T | undefined> {
    const outage = new Backoff(500, 30_000);
    const denial = new Backoff(5_000, 120_000);
    let logged: string | undefined;
    for (;;) {
      try {
        const value = await read();
        this.options.status.setStartupProblem(undefined);
        return value;
      } catch (error) {
        if (signal.aborted) return undefined;
        const fault = error instanceof ConsulFault ? error : new ConsulFault('invalid', String(error), what);
        const denied = fault.kind === 'denied';
        const delay = (denied ? denial : outage).next();
        const hint = denied && deniedHint ? ` (${deniedHint})` : '';
        // The status names no retry time: a detail that changed with every retry would be a new
        // status each time, and a log line with it.
        this.options.status.setStartupProblem(`cannot learn ${what}: ${fault.message}${hint}`);
        if (fault.message !== logged) {
          this.options.logger.warn({ reason: fault.message }, `cannot learn ${what} from Consul`);
        }
        logged = fault.message;
        this.options.logger.debug({ retryInMs: Math.round(delay) }, `retrying to learn ${what}`);
        if (denied) this.options.onDenied();
        await sleep(delay, signal);
      }
    }
  }
}

function aborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}
