import { createHash } from 'node:crypto';
import { KvStore } from './kv-store';
import type { CheckStatus, FakeCheckInput, FakeNodeInput, FakeServiceInput } from './types';
import { ConfigEntryStore } from './config-entries';

export interface NodeRecord {
  readonly node: string;
  readonly id: string;
  readonly address: string;
  readonly meta: Readonly<Record<string, string>> | null;
  createIndex: number;
  modifyIndex: number;
}

export interface ServiceRecord {
  readonly node: string;
  readonly id: string;
  readonly input: FakeServiceInput;
  createIndex: number;
  modifyIndex: number;
}

export interface CheckRecord {
  readonly node: string;
  readonly input: FakeCheckInput;
  createIndex: number;
  modifyIndex: number;
}

/** One instance with its node and every check that applies to it (node-level first), as health queries see it. */
export interface HealthEntry {
  readonly node: NodeRecord;
  readonly service: ServiceRecord;
  readonly checks: readonly CheckRecord[];
}

type Table = 'nodes' | 'services' | 'checks';

/**
 * One datacenter's catalog with Consul's index bookkeeping (platform-apis.md §1.5 step 4): every
 * write takes the next raft index; tables remember the index of their last write; each service
 * name remembers the index of the last write touching one of its instances, their checks or their
 * nodes; and the "last extinction" index is the write at which some service lost its final instance.
 */
export class DatacenterState {
  private raftIndex: number;
  private readonly tableIndex: Record<Table, number>;
  private readonly serviceIndex = new Map<string, number>();
  private extinctionIndex = 0;
  private readonly nodes = new Map<string, NodeRecord>();
  /** node → instance id → instance. */
  private readonly services = new Map<string, Map<string, ServiceRecord>>();
  /** node → check id → check. */
  private readonly checks = new Map<string, Map<string, CheckRecord>>();
  /** service name → instances, for health queries that must not scan the whole catalog. */
  private readonly byName = new Map<string, Set<ServiceRecord>>();
  /** The key/value store: its writes take raft indexes from the same sequence as the catalog's. */
  readonly kv: KvStore;
  /** Config entries (`/v1/config`), written at the datacenter's raft indexes. */
  readonly configEntries: ConfigEntryStore;

  constructor(
    readonly name: string,
    firstIndex = 1,
  ) {
    this.raftIndex = Math.max(1, firstIndex);
    this.tableIndex = { nodes: this.raftIndex, services: this.raftIndex, checks: this.raftIndex };
    this.kv = new KvStore(() => this.beginWrite(), this.raftIndex);
    this.configEntries = new ConfigEntryStore(() => this.beginWrite(), this.raftIndex);
  }

  get lastIndex(): number {
    return this.raftIndex;
  }

  registerNode(input: FakeNodeInput): number {
    const existing = this.nodes.get(input.node);
    const index = this.beginWrite();
    this.nodes.set(input.node, {
      node: input.node,
      id: input.id ?? existing?.id ?? uuidFrom(`${this.name}/${input.node}`),
      address: input.address,
      meta: input.meta ? { ...input.meta } : null,
      createIndex: existing?.createIndex ?? index,
      modifyIndex: index,
    });
    if (!existing && input.serfHealth !== false) {
      this.putCheck(
        input.node,
        {
          checkId: 'serfHealth',
          name: 'Serf Health Status',
          status: 'passing',
          output: 'Agent alive and reachable',
          type: '',
        },
        index,
      );
    }
    return this.endWrite(index, ['nodes', 'checks'], this.namesOnNode(input.node));
  }

  /**
   * Registers (or re-registers, bumping its indexes even if nothing changed) an instance and
   * checks; a check without `serviceId` is a node check, as in a catalog registration.
   */
  registerService(node: string, input: FakeServiceInput, checks: readonly FakeCheckInput[] = []): number {
    this.requireNode(node);
    const id = input.id ?? input.service;
    const onNode = this.services.get(node) ?? new Map<string, ServiceRecord>();
    this.services.set(node, onNode);
    const existing = onNode.get(id);
    const index = this.beginWrite();
    const affected = [input.service];
    if (existing) {
      this.byName.get(existing.input.service)?.delete(existing);
      if (existing.input.service !== input.service) affected.push(existing.input.service);
    }
    const record: ServiceRecord = {
      node,
      id,
      input: { ...input, id },
      createIndex: existing?.createIndex ?? index,
      modifyIndex: index,
    };
    onNode.set(id, record);
    this.indexByName(record);
    for (const check of checks) this.putCheck(node, check, index);
    const nodeChecks = checks.some((check) => check.serviceId === undefined);
    const touched = nodeChecks ? [...affected, ...this.namesOnNode(node)] : affected;
    return this.endWrite(index, checks.length > 0 ? ['services', 'checks'] : ['services'], touched);
  }

  deregisterService(node: string, serviceId: string): number {
    const record = this.services.get(node)?.get(serviceId);
    if (!record) throw new Error(`no service instance "${serviceId}" on node "${node}" in ${this.name}`);
    const index = this.beginWrite();
    this.removeInstance(record);
    return this.endWrite(index, ['services', 'checks'], [record.input.service]);
  }

  /** Removes a node with everything on it. */
  deregisterNode(node: string): number {
    this.requireNode(node);
    const names = this.namesOnNode(node);
    const index = this.beginWrite();
    for (const record of [...(this.services.get(node)?.values() ?? [])]) this.removeInstance(record);
    this.checks.delete(node);
    this.nodes.delete(node);
    return this.endWrite(index, ['nodes', 'services', 'checks'], names);
  }

  /** Adds or updates a check (a status flip, an output change). */
  setCheck(node: string, check: FakeCheckInput): number {
    this.requireNode(node);
    if (check.serviceId !== undefined && !this.services.get(node)?.has(check.serviceId)) {
      throw new Error(`no service instance "${check.serviceId}" on node "${node}" in ${this.name}`);
    }
    const index = this.beginWrite();
    this.putCheck(node, check, index);
    return this.endWrite(index, ['checks'], this.namesForCheck(node, check.serviceId));
  }

  setCheckStatus(node: string, checkId: string, status: CheckStatus, output?: string): number {
    const existing = this.checks.get(node)?.get(checkId);
    if (!existing) throw new Error(`no check "${checkId}" on node "${node}" in ${this.name}`);
    return this.setCheck(node, { ...existing.input, status, ...(output !== undefined && { output }) });
  }

  removeCheck(node: string, checkId: string): number {
    const existing = this.checks.get(node)?.get(checkId);
    if (!existing) throw new Error(`no check "${checkId}" on node "${node}" in ${this.name}`);
    const index = this.beginWrite();
    this.checks.get(node)?.delete(checkId);
    return this.endWrite(index, ['checks'], this.namesForCheck(node, existing.input.serviceId));
  }

  /**
   * An idempotent re-registration of every instance of `service`: a write that changes nothing,
   * so watchers wake up with a new index and an identical body.
   */
  touchService(service: string): number {
    const instances = [...(this.byName.get(service) ?? [])];
    if (instances.length === 0) throw new Error(`no instances of "${service}" in ${this.name}`);
    const index = this.beginWrite();
    for (const record of instances) record.modifyIndex = index;
    return this.endWrite(index, ['services'], [service]);
  }

  /**
   * Moves every index back so that the last write is at `to` (a snapshot restore, a new cluster
   * under the same name): relative order is kept, every index stays ≥ 1.
   */
  rewindTo(to: number): void {
    const shift = this.raftIndex - Math.max(1, to);
    if (shift <= 0) return;
    const back = (index: number): number => (index === 0 ? 0 : Math.max(1, index - shift));
    this.raftIndex = back(this.raftIndex);
    for (const table of Object.keys(this.tableIndex) as Table[]) {
      this.tableIndex[table] = back(this.tableIndex[table]);
    }
    for (const [name, index] of this.serviceIndex) this.serviceIndex.set(name, back(index));
    this.extinctionIndex = back(this.extinctionIndex);
    this.configEntries.rewind(back);
    const records = [
      ...this.nodes.values(),
      ...[...this.services.values()].flatMap((m) => [...m.values()]),
      ...[...this.checks.values()].flatMap((m) => [...m.values()]),
    ];
    for (const record of records) {
      record.createIndex = back(record.createIndex);
      record.modifyIndex = back(record.modifyIndex);
    }
    this.kv.rewind(back);
  }

  /** The index `/v1/catalog/services` answers with: the services table's last write. */
  catalogIndex(): number {
    return this.tableIndex.services;
  }

  /** The index `/v1/health/service/:name` answers with: the service's, or the last extinction when it has no instances. */
  healthServiceIndex(name: string): number {
    return (this.byName.get(name)?.size ?? 0) > 0
      ? (this.serviceIndex.get(name) ?? this.raftIndex)
      : this.missingIndex();
  }

  /** The index `/v1/health/state/:state` answers with: the checks table's last write. */
  checksIndex(): number {
    return this.tableIndex.checks;
  }

  /** `/v1/catalog/services`: the index of the services table, names with their tag unions. */
  catalogServices(): { index: number; services: Map<string, string[]> } {
    const services = new Map<string, string[]>();
    for (const [name, instances] of [...this.byName].sort(([a], [b]) => compare(a, b))) {
      const tags = new Set<string>();
      for (const record of instances) for (const tag of record.input.tags ?? []) tags.add(tag);
      services.set(name, [...tags]);
    }
    return { index: this.catalogIndex(), services };
  }

  /** `/v1/health/service/:name` before filtering: the service's index (or the extinction index) and its entries. */
  healthService(name: string): { index: number; entries: HealthEntry[] } {
    const instances = [...(this.byName.get(name) ?? [])].sort(
      (a, b) => compare(a.node, b.node) || compare(a.id, b.id),
    );
    const entries = instances.map((service) => ({
      node: this.nodes.get(service.node) as NodeRecord,
      service,
      checks: this.checksFor(service),
    }));
    return { index: this.healthServiceIndex(name), entries };
  }

  /** `/v1/health/state/:state`: the checks table's index and every check (node and service). */
  healthState(): { index: number; checks: { check: CheckRecord; service?: ServiceRecord }[] } {
    const checks: { check: CheckRecord; service?: ServiceRecord }[] = [];
    for (const node of [...this.checks.keys()].sort(compare)) {
      for (const check of this.checks.get(node)?.values() ?? []) {
        const service =
          check.input.serviceId === undefined
            ? undefined
            : this.services.get(node)?.get(check.input.serviceId);
        checks.push(service ? { check, service } : { check });
      }
    }
    return { index: this.checksIndex(), checks };
  }

  node(name: string): NodeRecord | undefined {
    return this.nodes.get(name);
  }

  instance(node: string, serviceId: string): ServiceRecord | undefined {
    return this.services.get(node)?.get(serviceId);
  }

  private beginWrite(): number {
    this.raftIndex += 1;
    return this.raftIndex;
  }

  private endWrite(index: number, tables: readonly Table[], affected: Iterable<string>): number {
    for (const table of tables) this.tableIndex[table] = index;
    for (const name of affected) {
      if ((this.byName.get(name)?.size ?? 0) > 0) {
        this.serviceIndex.set(name, index);
      } else {
        this.byName.delete(name);
        this.serviceIndex.delete(name);
        this.extinctionIndex = index;
      }
    }
    return index;
  }

  /** A service with no instances answers with the last extinction, else the newest table write. */
  private missingIndex(): number {
    if (this.extinctionIndex > 0) return this.extinctionIndex;
    return Math.max(this.tableIndex.nodes, this.tableIndex.services, this.tableIndex.checks);
  }

  private putCheck(node: string, input: FakeCheckInput, index: number): void {
    const onNode = this.checks.get(node) ?? new Map<string, CheckRecord>();
    this.checks.set(node, onNode);
    const existing = onNode.get(input.checkId);
    onNode.set(input.checkId, {
      node,
      input: { ...input },
      createIndex: existing?.createIndex ?? index,
      modifyIndex: index,
    });
  }

  private removeInstance(record: ServiceRecord): void {
    this.services.get(record.node)?.delete(record.id);
    this.byName.get(record.input.service)?.delete(record);
    const checks = this.checks.get(record.node);
    for (const [id, check] of checks ?? []) {
      if (check.input.serviceId === record.id) checks?.delete(id);
    }
  }

  private indexByName(record: ServiceRecord): void {
    const set = this.byName.get(record.input.service) ?? new Set<ServiceRecord>();
    this.byName.set(record.input.service, set);
    set.add(record);
  }

  private checksFor(service: ServiceRecord): CheckRecord[] {
    const all = [...(this.checks.get(service.node)?.values() ?? [])];
    const nodeLevel = all.filter((c) => c.input.serviceId === undefined);
    const own = all.filter((c) => c.input.serviceId === service.id);
    return [...nodeLevel, ...own];
  }

  private namesOnNode(node: string): string[] {
    return [...new Set([...(this.services.get(node)?.values() ?? [])].map((r) => r.input.service))];
  }

  private namesForCheck(node: string, serviceId: string | undefined): string[] {
    if (serviceId === undefined) return this.namesOnNode(node);
    const record = this.services.get(node)?.get(serviceId);
    return record ? [record.input.service] : [];
  }

  private requireNode(node: string): void {
    if (!this.nodes.has(node)) throw new Error(`no node "${node}" in ${this.name}`);
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A stable UUID-shaped id, as agents generate for their node. */
function uuidFrom(seed: string): string {
  const hex = createHash('sha256').update(seed).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
