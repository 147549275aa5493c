import type {
  NomadEventBatch,
  NomadServiceEvent,
  NomadServiceEventType,
  NomadServiceRegistration,
} from './wire';

/** A registration before a write stamps its indexes. */
export type UnindexedRegistration = Omit<NomadServiceRegistration, 'CreateIndex' | 'ModifyIndex'>;

type Watcher = () => void;

const serviceKey = (namespace: string, name: string): string => `${namespace}\u0000${name}`;

/**
 * The `service_registrations` table of a Nomad server's state store, as its blocking queries
 * see it. Its index is the raft index of the last write to the table: one index for every
 * service of every namespace, which is why a wake-up proves nothing. Watchers of the whole table
 * (`/v1/services`) wake on any object change; watchers of one service (`/v1/service/:name`) only
 * on changes to that name in that namespace; a restore wakes everyone. Every write is also
 * published as one batch of `Service` events, kept in a bounded buffer as Nomad's event broker does.
 */
export class RegistrationTable {
  private readonly rows = new Map<string, NomadServiceRegistration>();
  private lastIndex: number;
  private readonly tableWatchers = new Set<Watcher>();
  private readonly serviceWatchers = new Map<string, Set<Watcher>>();
  private readonly eventBuffer: NomadEventBatch[] = [];
  private readonly eventListeners = new Set<(batch: NomadEventBatch) => void>();

  constructor(
    initialIndex: number,
    private readonly eventBufferSize: number,
  ) {
    this.lastIndex = initialIndex;
  }

  /** The table's index as Nomad reports it: never below 1. */
  get index(): number {
    return Math.max(1, this.lastIndex);
  }

  /** Every registration, in ID order (the state store's iteration order). */
  all(): NomadServiceRegistration[] {
    return [...this.rows.values()].sort(byId);
  }

  get(id: string): NomadServiceRegistration | undefined {
    return this.rows.get(id);
  }

  /** The registrations of one name in one namespace, in ID order. */
  byName(namespace: string, name: string): NomadServiceRegistration[] {
    return this.all().filter((r) => r.Namespace === namespace && r.ServiceName === name);
  }

  /**
   * One write registering (or re-registering) these; returns its index. A re-registration keeps
   * its CreateIndex and takes the write's ModifyIndex, so its body differs only there.
   */
  upsert(registrations: readonly UnindexedRegistration[]): number {
    if (registrations.length === 0) return this.index;
    const index = this.nextIndex();
    const events: NomadServiceEvent[] = [];
    for (const registration of registrations) {
      const existing = this.rows.get(registration.ID);
      const row = { ...registration, CreateIndex: existing?.CreateIndex ?? index, ModifyIndex: index };
      this.rows.set(row.ID, row);
      events.push(event('ServiceRegistration', row, index));
    }
    this.commit(index, events);
    return index;
  }

  /** One write removing the registrations with these IDs (unknown IDs are ignored); returns its index. */
  remove(ids: readonly string[]): number {
    const removed = ids.flatMap((id) => {
      const row = this.rows.get(id);
      return row ? [row] : [];
    });
    if (removed.length === 0) return this.index;
    const index = this.nextIndex();
    for (const row of removed) this.rows.delete(row.ID);
    this.commit(
      index,
      removed.map((row) => event('ServiceDeregistration', row, index)),
    );
    return index;
  }

  /**
   * A write that changes no object (an idempotent upsert the state store skips): the index
   * moves, nobody wakes, and the next query with an older index answers at once.
   */
  bumpIndex(): number {
    this.lastIndex = this.nextIndex();
    return this.index;
  }

  /**
   * A snapshot restore (or a failover to a server that is behind): the table becomes exactly
   * `registrations` at `index`, which may be lower than before; every blocked query wakes and
   * re-evaluates. The event buffer starts over.
   */
  restore(index: number, registrations: readonly NomadServiceRegistration[] = this.all()): void {
    this.rows.clear();
    for (const row of registrations) this.rows.set(row.ID, row);
    this.lastIndex = index;
    this.eventBuffer.length = 0;
    for (const watcher of [...this.tableWatchers]) watcher();
    for (const watchers of [...this.serviceWatchers.values()]) for (const watcher of [...watchers]) watcher();
  }

  /** Calls `watcher` at the next change of any registration; returns the cancel. */
  watchTable(watcher: Watcher): () => void {
    this.tableWatchers.add(watcher);
    return () => this.tableWatchers.delete(watcher);
  }

  /** Calls `watcher` at the next change of `name` in `namespace`; returns the cancel. */
  watchService(namespace: string, name: string, watcher: Watcher): () => void {
    const key = serviceKey(namespace, name);
    let watchers = this.serviceWatchers.get(key);
    if (!watchers) this.serviceWatchers.set(key, (watchers = new Set()));
    watchers.add(watcher);
    return () => {
      watchers.delete(watcher);
      if (watchers.size === 0) this.serviceWatchers.delete(key);
    };
  }

  /** Buffered batches from the closest one at or after `index`, or from the oldest kept (a gap). */
  eventsFrom(index: number): NomadEventBatch[] {
    return this.eventBuffer.filter((batch) => batch.Index >= index);
  }

  /** Oldest buffered batch's index, if any. */
  oldestEventIndex(): number | undefined {
    return this.eventBuffer[0]?.Index;
  }

  /** Calls `listener` with every batch written from now on; returns the cancel. */
  onEvents(listener: (batch: NomadEventBatch) => void): () => void {
    this.eventListeners.add(listener);
    return () => this.eventListeners.delete(listener);
  }

  /** Forgets buffered events but the newest `keep`: a stream resuming before them sees a gap. */
  truncateEvents(keep = 0): void {
    this.eventBuffer.splice(0, Math.max(0, this.eventBuffer.length - keep));
  }

  /** Number of blocked queries waiting on the table or on a service, for tests that wait for parking. */
  watcherCount(): number {
    let count = this.tableWatchers.size;
    for (const watchers of this.serviceWatchers.values()) count += watchers.size;
    return count;
  }

  private nextIndex(): number {
    return this.index + 1;
  }

  private commit(index: number, events: NomadServiceEvent[]): void {
    this.lastIndex = index;
    const batch: NomadEventBatch = { Index: index, Events: events };
    this.eventBuffer.push(batch);
    this.eventBuffer.splice(0, Math.max(0, this.eventBuffer.length - this.eventBufferSize));
    const touched = new Set(events.map((e) => serviceKey(e.Namespace, e.Payload.Service.ServiceName)));
    for (const watcher of [...this.tableWatchers]) watcher();
    for (const key of touched) for (const watcher of [...(this.serviceWatchers.get(key) ?? [])]) watcher();
    for (const listener of [...this.eventListeners]) listener(batch);
  }
}

function event(
  type: NomadServiceEventType,
  registration: NomadServiceRegistration,
  index: number,
): NomadServiceEvent {
  return {
    Topic: 'Service',
    Type: type,
    Key: registration.ID,
    Namespace: registration.Namespace,
    FilterKeys: [registration.JobID, registration.ServiceName],
    Index: index,
    Payload: { Service: registration },
  };
}

function byId(a: NomadServiceRegistration, b: NomadServiceRegistration): number {
  return a.ID < b.ID ? -1 : a.ID > b.ID ? 1 : 0;
}
