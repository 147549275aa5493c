import type { AdapterStatus, RegistrySink } from '../adapter';
import { silentLogger, type Logger } from '../logger';
import { MeshRules } from '../rules/mesh-rules';
import { parseRule } from '../rules/parse';
import type { RuleProblem } from '../rules/problems';
import type { DnsAnswer } from '../rules/service-entry-hosts';
import type { RuleInput } from '../rules/resource';
import type { RuleParser } from '../rules/rule-book';
import type { MeshFacts } from '../rules/validate/mesh-facts';
import { Debouncer } from './debouncer';
import { RejectionLog } from './rejection-log';
import { mergeService, type MergeConflict } from './merge';
import { Partition, type PartitionChange, type PartitionService } from './partition';
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
 * What a resolver of host names needs: the names resolution DNS ServiceEntries ask for, told
 * when they change, and where its answers go. Core does no lookup itself (the daemon's resolver
 * does), so the data still flows one way: names out, answers in, as an adapter's reports.
 */
export interface NameResolutionSink {
  /** The names to resolve now (lower-cased host names). */
  names(): ReadonlySet<string>;
  /** Calls `listener` whenever the set of names changes; returns the unsubscribe. */
  onNamesChanged(listener: (names: ReadonlySet<string>) => void): () => void;
  /**
   * What a lookup of `name` gave. An answer the registry already has publishes nothing; a failed
   * lookup keeps the name's last known addresses (and shows on the ServiceEntry's status).
   */
  resolved(name: string, answer: DnsAnswer): void;
}

/**
 * Merges the adapters' partitions into immutable, versioned snapshots (DESIGN §5).
 * Nothing is published until every adapter has completed its first sync (so a proxy never
 * sees a half-known mesh that would make it drop clusters); after that, changes are
 * debounced and only the hostnames that changed are re-merged.
 */
export class Registry {
  private readonly partitions = new Map<string, Partition>();
  private order: readonly string[];
  private readonly debouncer: Debouncer;
  private readonly listeners = new Set<SnapshotListener>();
  private readonly nameListeners = new Set<(names: ReadonlySet<string>) => void>();
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

  /** An adapter's partition, its rejected inputs warned once per problem. */
  private partitionOf(name: string): Partition {
    return new Partition(name, this.now, (problems) => this.rejections.report(name, problems));
  }

  constructor(options: RegistryOptions) {
    this.order = checkedOrder(options.adapters);
    this.now = options.now ?? Date.now;
    this.logger = options.logger ?? silentLogger;
    this.rejections = new RejectionLog(this.logger);
    for (const name of this.order) this.partitions.set(name, this.partitionOf(name));
    this.rulesPartition = new Partition(RULES_PARTITION, this.now, (problems) =>
      this.rejections.report(RULES_PARTITION, problems),
    );
    this.rules = new MeshRules(options.parseRule ?? parseRule, options.ruleSources ?? []);
    const debounce = options.debounce ?? DEFAULT_DEBOUNCE;
    this.debouncer = new Debouncer(debounce.afterMs, debounce.maxMs, () => this.publish(), this.now);
  }

  /**
   * The adapters of a reloaded configuration, in their new order. An adapter named before keeps
   * its partition (what it reported stays served until it reports again); a new one starts empty
   * and syncing, and does not hold back publishing once a snapshot is out; one no longer named
   * has its services and rules removed. A new order re-merges the hosts (the first listed wins
   * service attributes); what did not change keeps its version, so nothing is republished for it.
   */
  setAdapters(adapters: readonly string[]): void {
    if (this.closed) return;
    const order = checkedOrder(adapters);
    const wanted = new Set(order);
    for (const [name, partition] of this.partitions) {
      if (wanted.has(name)) continue;
      this.partitions.delete(name);
      for (const hostname of partition.services.keys()) this.markDirty(hostname);
      if (partition.rules.length > 0) this.applyRules(`adapter ${name}`, [], []);
    }
    for (const name of order) {
      if (!this.partitions.has(name)) this.partitions.set(name, this.partitionOf(name));
    }
    const reordered =
      order.filter((name) => this.order.includes(name)).join('\n') !==
      this.order.filter((name) => wanted.has(name)).join('\n');
    this.order = order;
    if (reordered) for (const hostname of this.knownHostnames()) this.markDirty(hostname);
    if (this.dirty.size > 0) this.debouncer.poke();
  }

  /** New debounce windows, from the next change on. */
  setDebounce(debounce: DebounceOptions): void {
    this.debouncer.configure(debounce.afterMs, debounce.maxMs);
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
      replaceRules: (origin, rules, problems) =>
        this.apply(partition, () => partition.replaceRules(origin, rules, problems)),
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

  /** Where a resolver of the names of resolution DNS ServiceEntries takes them and reports answers. */
  nameResolution(): NameResolutionSink {
    return {
      names: () => this.rules.namesToResolve(),
      onNamesChanged: (listener) => {
        this.nameListeners.add(listener);
        return () => this.nameListeners.delete(listener);
      },
      resolved: (name, answer) => this.applyAnswer(name, answer),
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

  /**
   * What `inputs` would have as problems if they replaced their identities' versions in force,
   * checked against the latest snapshot (a dry run for the Rules API; nothing changes).
   */
  checkRules(inputs: readonly RuleInput[]): RuleProblem[] {
    const snapshot = this.snapshot;
    return this.rules.check(inputs, snapshot && snapshotFacts(snapshot));
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

  /**
   * Every adapter has completed a first sync, or a snapshot is out already: an adapter added by a
   * reload does not take readiness away while it syncs (what is served meanwhile is the rest).
   */
  isSynced(): boolean {
    return this.snapshot !== undefined || this.allSynced();
  }

  private allSynced(): boolean {
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
    this.nameListeners.clear();
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
    if (change.rules)
      this.applyRules(`adapter ${partition.name}`, adapterRules(partition), partition.ruleProblems);
    if (change.hostnames.length > 0) this.debouncer.poke();
  }

  /** A rule source's new set: the hosts whose policy (or ServiceEntry services) it may change are re-merged. */
  private applyRules(source: string, inputs: readonly RuleInput[], problems: readonly RuleProblem[]): void {
    if (this.closed) return;
    const { hostnames, entriesChanged, namesChanged } = this.rules.replace(source, inputs, problems, () =>
      this.knownHostnames(),
    );
    for (const hostname of hostnames) this.dirty.add(hostname);
    if (this.dirty.size > 0) this.dirtySince ??= this.now();
    if (entriesChanged) {
      for (const hostname of this.rulesPartition.replaceAll(this.rules.serviceEntries()).hostnames)
        this.markDirty(hostname);
    }
    if (this.dirty.size > 0) this.debouncer.poke();
    if (namesChanged) {
      const names = this.rules.namesToResolve();
      for (const listener of this.nameListeners) {
        try {
          listener(names);
        } catch (error) {
          this.logger.error({ err: error }, 'name resolution listener failed');
        }
      }
    }
  }

  /** A lookup's answer: only the ServiceEntry hosts whose instances it changes are re-merged. */
  private applyAnswer(name: string, answer: DnsAnswer): void {
    if (this.closed) return;
    let touched = false;
    for (const { service, instances } of this.rules.resolved(name, answer)) {
      for (const hostname of this.rulesPartition.upsert(service, instances).hostnames) {
        this.markDirty(hostname);
        touched = true;
      }
    }
    if (touched) this.debouncer.poke();
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
    const wasSynced = this.allSynced();
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
    if (!wasSynced && this.allSynced()) this.publish();
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
    // Adapters in configured order, then the rules' services: who wins a hostname's attributes.
    const sources: { adapter: string; partition: Partition }[] = [];
    for (const adapter of this.order) {
      const partition = this.partitions.get(adapter);
      if (partition) sources.push({ adapter, partition });
    }
    sources.push({ adapter: RULES_PARTITION, partition: this.rulesPartition });
    for (const hostname of this.dirty) {
      const holders: { adapter: string; reported: PartitionService }[] = [];
      for (const { adapter, partition } of sources) {
        const reported = partition.services.get(hostname);
        if (reported) holders.push({ adapter, reported });
      }
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

/** Adapter names as partitions take them: unique, and not the rules' own. */
function checkedOrder(adapters: readonly string[]): readonly string[] {
  const seen = new Set<string>();
  for (const name of adapters) {
    if (seen.has(name)) throw new Error(`adapter name "${name}" is used twice`);
    if (name === RULES_PARTITION) throw new Error(`"${RULES_PARTITION}" is reserved for the rules' services`);
    seen.add(name);
  }
  return [...adapters];
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
        healthyInstanceLabels: entry.instances.filter((i) => i.health === 'healthy').map((i) => i.labels),
      };
    },
  };
}
