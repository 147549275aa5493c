import type { AdapterStatus, RegistrySink } from '../adapter';
import { silentLogger, type Logger } from '../logger';
import type { ConfigResource } from '../model';
import { Debouncer } from './debouncer';
import { mergeService, type MergeConflict } from './merge';
import { Partition, type PartitionChange } from './partition';
import { ShardedMap } from './sharded-map';
import { SnapshotDigest, type ServiceEntry, type Snapshot } from './snapshot';

export interface DebounceOptions {
  /** Publish once changes have been quiet this long. */
  readonly afterMs: number;
  /** …but never later than this after the first change of a burst. */
  readonly maxMs: number;
}

export const DEFAULT_DEBOUNCE: DebounceOptions = { afterMs: 100, maxMs: 1000 };

export interface RegistryOptions {
  /** Adapter instance names in configured order; the first listed wins service attributes. */
  readonly adapters: readonly string[];
  readonly debounce?: DebounceOptions;
  readonly logger?: Logger;
  readonly now?: () => number;
}

/** An adapter's health as /debug/registry and /readyz show it. */
export interface AdapterStatusView {
  readonly name: string;
  readonly status: AdapterStatus;
  readonly detail?: string;
  /** Completed a first sync. */
  readonly synced: boolean;
  readonly statusSince: number;
  /** Last data report or `ready` confirmation; its age is how stale the partition may be. */
  readonly lastReportAt?: number;
  readonly services: number;
  readonly instances: number;
  readonly rejected: number;
  readonly recentRejections: readonly { readonly at: number; readonly message: string }[];
}

export type SnapshotListener = (snapshot: Snapshot) => void;

/**
 * Merges the adapters' partitions into immutable, versioned snapshots (DESIGN §5).
 * Nothing is published until every adapter has completed its first sync (so a proxy never
 * sees a half-known mesh that would make it drop clusters); after that, changes are
 * debounced and only the hostnames that changed are re-merged.
 */
export class Registry {
  private readonly partitions = new Map<string, Partition>();
  private readonly order: readonly string[];
  private readonly debouncer: Debouncer;
  private readonly listeners = new Set<SnapshotListener>();
  private readonly conflictsByHost = new Map<string, MergeConflict>();
  private readonly dirty = new Set<string>();
  private configDirty = false;
  private snapshot: Snapshot | undefined;
  private readonly digest = new SnapshotDigest();
  private closed = false;
  private readonly logger: Logger;
  private readonly now: () => number;

  constructor(options: RegistryOptions) {
    this.order = [...options.adapters];
    this.now = options.now ?? Date.now;
    this.logger = options.logger ?? silentLogger;
    for (const name of this.order) {
      if (this.partitions.has(name)) throw new Error(`adapter name "${name}" is used twice`);
      this.partitions.set(name, new Partition(name, this.now));
    }
    const debounce = options.debounce ?? DEFAULT_DEBOUNCE;
    this.debouncer = new Debouncer(debounce.afterMs, debounce.maxMs, () => this.publish(), this.now);
  }

  /** The sink one adapter instance reports into. */
  sink(adapter: string): RegistrySink {
    const partition = this.partitions.get(adapter);
    if (!partition) throw new Error(`no adapter named "${adapter}" in this registry`);
    return {
      replaceAll: (state) => this.apply(partition, () => partition.replaceAll(state)),
      upsertService: (service, instances) =>
        this.apply(partition, () => partition.upsert(service, instances)),
      removeService: (hostname) => this.apply(partition, () => partition.remove(hostname)),
      setStatus: (status, detail) => this.setStatus(partition, status, detail),
    };
  }

  /** The latest published snapshot; undefined until every adapter has synced once. */
  current(): Snapshot | undefined {
    return this.snapshot;
  }

  /** Calls `listener` with every snapshot published from now on; returns the unsubscribe. */
  onSnapshot(listener: SnapshotListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Every adapter has completed a first sync. */
  isSynced(): boolean {
    for (const partition of this.partitions.values()) if (!partition.everReady) return false;
    return true;
  }

  adapterStatuses(): AdapterStatusView[] {
    return this.order.map((name) => {
      const p = this.partitions.get(name) as Partition;
      let instances = 0;
      for (const reported of p.services.values()) instances += reported.instances.length;
      return {
        name,
        status: p.status,
        detail: p.detail,
        synced: p.everReady,
        statusSince: p.statusSince,
        lastReportAt: p.lastReportAt,
        services: p.services.size,
        instances,
        rejected: p.rejectedCount,
        recentRejections: [...p.recentRejections],
      };
    });
  }

  conflicts(): MergeConflict[] {
    return [...this.conflictsByHost.values()].sort((a, b) => (a.hostname < b.hostname ? -1 : 1));
  }

  /** Publishes pending changes now instead of at the end of the debounce window. */
  flush(): void {
    this.debouncer.flush();
  }

  /** Stops publishing; later reports are ignored. */
  close(): void {
    this.closed = true;
    this.debouncer.cancel();
    this.listeners.clear();
  }

  private apply(partition: Partition, report: () => PartitionChange): void {
    if (this.closed) return;
    let change: PartitionChange;
    try {
      change = report();
    } catch (error) {
      // Normalisation guards every field; this only catches what it could not foresee.
      this.logger.error({ err: error, adapter: partition.name }, 'adapter report could not be applied');
      return;
    }
    partition.lastReportAt = this.now();
    for (const hostname of change.hostnames) this.dirty.add(hostname);
    if (change.config) this.configDirty = true;
    if (change.hostnames.length > 0 || change.config) this.debouncer.poke();
  }

  private setStatus(partition: Partition, status: AdapterStatus, detail: string | undefined): void {
    if (this.closed) return;
    const wasSynced = this.isSynced();
    if (status !== partition.status || detail !== partition.detail) {
      const log = status === 'degraded' ? this.logger.warn : this.logger.info;
      log.call(
        this.logger,
        { adapter: partition.name, status, detail },
        `adapter ${partition.name} is ${status}`,
      );
    }
    partition.setStatus(status, detail);
    // The first complete picture goes out at once: proxies are waiting for it.
    if (!wasSynced && this.isSynced()) this.publish();
  }

  private publish(): void {
    this.debouncer.cancel();
    if (this.closed || !this.isSynced()) return;
    const previous = this.snapshot;
    const before = previous?.services ?? ShardedMap.empty<ServiceEntry>();
    const updates: [string, ServiceEntry | undefined][] = [];
    const changed = new Set<string>();
    for (const hostname of this.dirty) {
      const holders = this.order.flatMap((adapter) => {
        const reported = this.partitions.get(adapter)?.services.get(hostname);
        return reported ? [{ adapter, reported }] : [];
      });
      const merged = mergeService(holders);
      const was = before.get(hostname);
      if (merged?.conflict) this.conflictsByHost.set(hostname, merged.conflict);
      else this.conflictsByHost.delete(hostname);
      if (!merged) {
        if (was) {
          updates.push([hostname, undefined]);
          changed.add(hostname);
        }
      } else if (was?.version !== merged.entry.version) {
        updates.push([hostname, merged.entry]);
        changed.add(hostname);
      }
    }
    this.dirty.clear();
    const config = this.configDirty || !previous ? this.collectConfig() : previous.config;
    const configChanged = this.configDirty;
    this.configDirty = false;
    if (previous && changed.size === 0 && !configChanged) return;

    // Only the shards holding a changed hostname are copied and re-digested.
    const services = before.with(updates);
    this.digest.update(services, new Set([...changed].map((hostname) => services.shardOf(hostname))));
    const version = this.digest.version(config);
    if (previous && version === previous.version) return;
    const snapshot: Snapshot = {
      version,
      services,
      changed,
      previousVersion: previous?.version,
      config,
      createdAt: this.now(),
    };
    this.snapshot = snapshot;
    this.logger.debug({ version, changed: changed.size, services: services.size }, 'snapshot published');
    for (const listener of this.listeners) {
      try {
        listener(snapshot);
      } catch (error) {
        this.logger.error({ err: error }, 'snapshot listener failed');
      }
    }
  }

  private collectConfig(): ConfigResource[] {
    return this.order.flatMap((name) => this.partitions.get(name)?.config ?? []);
  }
}
