/** Consul's cap on one value (agent option kv_max_value_size, default 512 KiB). */
export const KV_MAX_VALUE_SIZE = 512 * 1024;

/** One key as Consul stores it. */
export interface KvEntry {
  readonly key: string;
  readonly value: Buffer | null;
  readonly flags: number;
  readonly createIndex: number;
  readonly modifyIndex: number;
  readonly lockIndex: number;
  readonly session: string | undefined;
}

/** How a write takes its raft index from the datacenter it belongs to. */
export type TakeIndex = () => number;

/**
 * One datacenter's key/value store with Consul's index bookkeeping (hashicorp/consul
 * `agent/consul/state/kvs.go`): each write takes the datacenter's next raft index; a read of a key
 * or a prefix answers with the highest ModifyIndex under it, counting deleted keys (their
 * tombstones), so a watch on a prefix wakes when a key below it goes; with nothing there at all
 * it answers with the index of the store's last write.
 */
export class KvStore {
  private readonly entries = new Map<string, KvEntry>();
  /** Deleted key → the index of its deletion (Consul's tombstones, never reaped here). */
  private readonly tombstones = new Map<string, number>();
  private tableIndex: number;

  constructor(
    private readonly takeIndex: TakeIndex,
    firstIndex: number,
  ) {
    this.tableIndex = firstIndex;
  }

  get(key: string): KvEntry | undefined {
    return this.entries.get(key);
  }

  /** Every entry whose key starts with `prefix`, in key order. */
  list(prefix: string): KvEntry[] {
    return [...this.entries.values()]
      .filter((entry) => entry.key.startsWith(prefix))
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  /** The index a read of `prefix` (a key, or with `?recurse` every key under it) answers with. */
  indexOf(prefix: string): number {
    let index = 0;
    for (const entry of this.entries.values())
      if (entry.key.startsWith(prefix)) index = Math.max(index, entry.modifyIndex);
    for (const [key, deleted] of this.tombstones)
      if (key.startsWith(prefix)) index = Math.max(index, deleted);
    return index === 0 ? this.tableIndex : index;
  }

  /**
   * Sets a key; with `cas`, only when it matches (0: the key must not exist; n: its ModifyIndex
   * must be n). Returns whether it was written.
   */
  put(key: string, value: Buffer | null, options: { cas?: number; flags?: number } = {}): boolean {
    const existing = this.entries.get(key);
    if (options.cas !== undefined) {
      if (options.cas === 0 && existing) return false;
      if (options.cas !== 0 && existing?.modifyIndex !== options.cas) return false;
    }
    const index = this.write();
    this.tombstones.delete(key);
    this.entries.set(key, {
      key,
      value,
      flags: options.flags ?? existing?.flags ?? 0,
      createIndex: existing?.createIndex ?? index,
      modifyIndex: index,
      lockIndex: existing?.lockIndex ?? 0,
      session: existing?.session,
    });
    return true;
  }

  /** Deletes a key (or, with `recurse`, every key under it); with `cas`, only when its ModifyIndex matches. */
  delete(key: string, options: { cas?: number; recurse?: boolean } = {}): boolean {
    if (options.cas !== undefined) {
      const existing = this.entries.get(key);
      if (!existing || existing.modifyIndex !== options.cas) return false;
    }
    const doomed = options.recurse ? this.list(key).map((entry) => entry.key) : [key];
    // Consul commits a delete even when there is nothing to delete: the index moves all the same.
    const index = this.write();
    for (const gone of doomed) {
      if (this.entries.delete(gone)) this.tombstones.set(gone, index);
    }
    return true;
  }

  /** Moves every index back by `back` (a snapshot restore: see DatacenterState.rewindTo). */
  rewind(back: (index: number) => number): void {
    this.tableIndex = back(this.tableIndex);
    for (const [key, entry] of this.entries) {
      this.entries.set(key, {
        ...entry,
        createIndex: back(entry.createIndex),
        modifyIndex: back(entry.modifyIndex),
      });
    }
    for (const [key, index] of this.tombstones) this.tombstones.set(key, back(index));
  }

  private write(): number {
    this.tableIndex = this.takeIndex();
    return this.tableIndex;
  }
}
