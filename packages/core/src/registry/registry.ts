import type { AdapterStatus, RegistrySink } from '../adapter';
import { silentLogger, type Logger } from '../logger';
import { MeshRules } from '../rules/mesh-rules';
import { parseRule } from '../rules/parse';
import type { RuleProblem } from '../rules/problems';
import type { RuleInput } from '../rules/resource';
import type { RuleParser } from '../rules/rule-book';
import type { MeshFacts } from '../rules/validate/mesh-facts';
import { Debouncer } from './debouncer';
import { RejectionLog } from './rejection-log';
import { mergeService, type MergeConflict } from './merge';
import { Partition, type PartitionChange } from './partition';
import { ShardedMap } from './sharded-map';
import { SnapshotDigest, withPolicy, type ServiceEntry, type Snapshot } from './snapshot';

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
  /** Rule sources (rules files) in configured order; adapters that report rules come after them. */
  readonly ruleSources?: readonly string[];
  /** Parses a rule resource (default: rules/parse's parseRule). */
  readonly parseRule?: RuleParser;
}

/** Where a rule source (a rules file, the Rules API's store) reports its whole set of rules. */
export interface RuleSink {
  /** The source's rules as of now, with problems of the source as a whole (a document that does not parse). */
  replace(inputs: readonly RuleInput[], problems?: readonly RuleProblem[]): void;
  /** The source could not be read: its rules in force stay as they were. */
  fail(problems: readonly RuleProblem[]): void;
}

/** The partition ServiceEntries report into: after every adapter, so adapters' attributes win. */
const RULES_PARTITION = 'rules';

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
  /** When the earliest change not yet published arrived. */
  private dirtySince: number | undefined;
  private readonly rules: MeshRules;
  /** Services ServiceEntries add, merged after every adapter's. */
  private readonly rulesPartition: Partition;
  private snapshot: Snapshot | undefined;
  private readonly digest = new SnapshotDigest();
  private closed = false;
  private readonly logger: Logger;
  private readonly rejections: RejectionLog;
  private readonly now: () => number;

  constructor(options: RegistryOptions) {
    this.order = [...options.adapters];
    this.now = options.now ?? Date.now;
    this.logger = options.logger ?? silentLogger;
    this.rejections = new RejectionLog(this.logger);
    for (const name of this.order) {
      if (this.partitions.has(name)) throw new Error(`adapter name "${name}" is used twice`);
      if (name === RULES_PARTITION)
        throw new Error(`"${RULES_PARTITION}" is reserved for the rules' services`);
      this.partitions.set(
        name,
        new Partition(name, this.now, (problems) => this.rejections.report(name, problems)),
      );
    }
    this.rulesPartition = new Partition(RULES_PARTITION, this.now, (problems) =>
      this.rejections.report(RULES_PARTITION, problems),
    );
    this.rules = new MeshRules(options.parseRule ?? parseRule, options.ruleSources ?? []);
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

  /**
   * The sink a rule source reports into. Sources win an identity they share in the order their
   * sinks are first asked for (after `ruleSources`).
   */
  ruleSink(source: string): RuleSink {
    this.rules.register(source);
    return {
      replace: (inputs, problems = []) => this.applyRules(source, inputs, problems),
      fail: (problems) => this.rules.fail(source, problems),
    };
  }

  /**
   * Every rule resource with its state and problems (those of the rules in force checked against
   * the latest snapshot: hosts, ports and subsets they name that are gone), and the problems of
   * each rule source.
   */
  ruleStatuses(): ReturnType<MeshRules['statuses']> {
    const snapshot = this.snapshot;
    return this.rules.statuses(snapshot && snapshotFacts(snapshot));
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
    for (const hostname of change.hostnames) this.markDirty(hostname);
    if (change.rules) this.applyRules(`adapter ${partition.name}`, adapterRules(partition), []);
    if (change.hostnames.length > 0) this.debouncer.poke();
  }

  /** A rule source's new set: the hosts whose policy (or ServiceEntry services) it may change are re-merged. */
  private applyRules(source: string, inputs: readonly RuleInput[], problems: readonly RuleProblem[]): void {
    if (this.closed) return;
    const { hostnames, entriesChanged } = this.rules.replace(source, inputs, problems, () =>
      this.knownHostnames(),
    );
    for (const hostname of hostnames) this.dirty.add(hostname);
    if (this.dirty.size > 0) this.dirtySince ??= this.now();
    if (entriesChanged) {
      for (const hostname of this.rulesPartition.replaceAll(this.rules.serviceEntries()).hostnames)
        this.markDirty(hostname);
    }
    if (this.dirty.size > 0) this.debouncer.poke();
  }

  /** A hostname whose services changed; if it appeared or went, its policy is computed afresh. */
  private markDirty(hostname: string): void {
    this.dirty.add(hostname);
    this.dirtySince ??= this.now();
    this.rules.hostChanged(hostname);
  }

  private *knownHostnames(): Iterable<string> {
    const seen = new Set<string>();
    for (const partition of [...this.partitions.values(), this.rulesPartition]) {
      for (const hostname of partition.services.keys()) {
        if (!seen.has(hostname)) {
          seen.add(hostname);
          yield hostname;
        }
      }
    }
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
    const started = performance.now();
    const changedSince = this.dirtySince ?? this.now();
    this.dirtySince = undefined;
    const previous = this.snapshot;
    const before = previous?.services ?? ShardedMap.empty<ServiceEntry>();
    const updates: [string, ServiceEntry | undefined][] = [];
    const changed = new Set<string>();
    for (const hostname of this.dirty) {
      const holders = [...this.order, RULES_PARTITION].flatMap((adapter) => {
        const partition = adapter === RULES_PARTITION ? this.rulesPartition : this.partitions.get(adapter);
        const reported = partition?.services.get(hostname);
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
      } else {
        const entry = withPolicy(merged.entry, this.rules.policyFor(hostname));
        if (was?.version !== entry.version) {
          updates.push([hostname, entry]);
          changed.add(hostname);
        }
      }
    }
    this.dirty.clear();
    if (previous && changed.size === 0) return;

    // Only the shards holding a changed hostname are copied and re-digested.
    const services = before.with(updates);
    this.digest.update(services, new Set([...changed].map((hostname) => services.shardOf(hostname))));
    const version = this.digest.version();
    if (previous && version === previous.version) return;
    const snapshot: Snapshot = {
      version,
      services,
      changed,
      previousVersion: previous?.version,
      createdAt: this.now(),
      changedSince,
      buildMs: performance.now() - started,
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
}

/** An adapter's rules as rule inputs, located by the adapter and the object. */
function adapterRules(partition: Partition): RuleInput[] {
  return partition.rules.map((resource) => ({
    apiVersion: resource.apiVersion,
    kind: resource.kind,
    metadata: resource.metadata,
    spec: resource.spec,
    location: {
      source:
        resource.source ??
        `adapter ${partition.name}: ${resource.kind} ${resource.metadata.namespace ?? 'default'}/${resource.metadata.name}`,
      at: [],
    },
  }));
}

/** The mesh as the rule checks see it, looked up in a snapshot host by host. */
function snapshotFacts(snapshot: Snapshot): MeshFacts {
  return {
    service: (hostname) => {
      const entry = snapshot.services.get(hostname);
      if (!entry) return undefined;
      return {
        ports: entry.service.ports.map((p) => ({ name: p.name, port: p.port })),
        instanceLabels: entry.instances.map((i) => i.labels),
      };
    },
  };
}
