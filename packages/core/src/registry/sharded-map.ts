/**
 * An immutable map from strings, split into shards by a hash of the key, so that a copy with a few
 * entries changed shares every other shard with the original: publishing a snapshot after one
 * service changed copies one shard (size / shards entries), not the whole mesh. The shard a key
 * lives in is a deterministic function of the key, the same in every process.
 */
export class ShardedMap<V> implements ReadonlyMap<string, V> {
  private constructor(
    /** Each shard is frozen once the map is built: maps derived from it share it. */
    private readonly shards: readonly ReadonlyMap<string, V>[],
    readonly size: number,
  ) {}

  static empty<V>(shardCount = DEFAULT_SHARDS): ShardedMap<V> {
    const empty = new Map<string, V>();
    return new ShardedMap(
      Array.from({ length: shardCount }, () => empty),
      0,
    );
  }

  static of<V>(entries: Iterable<readonly [string, V]>, shardCount = DEFAULT_SHARDS): ShardedMap<V> {
    return ShardedMap.empty<V>(shardCount).with(entries);
  }

  get shardCount(): number {
    return this.shards.length;
  }

  /** The shard `key` lives in: FNV-1a of its UTF-16 code units, modulo the shard count. */
  shardOf(key: string): number {
    let hash = 0x811c9dc5;
    for (let i = 0; i < key.length; i += 1) {
      hash ^= key.charCodeAt(i);
      hash = Math.imul(hash, 0x01000193);
    }
    return (hash >>> 0) % this.shards.length;
  }

  /** The entries of one shard (for digests kept per shard). */
  shard(index: number): ReadonlyMap<string, V> {
    return this.shards[index] ?? new Map();
  }

  /** A copy with `changes` applied: a value sets its key, `undefined` deletes it. */
  with(changes: Iterable<readonly [string, V | undefined]>): ShardedMap<V> {
    const copies = new Map<number, Map<string, V>>();
    let size = this.size;
    for (const [key, value] of changes) {
      const index = this.shardOf(key);
      let shard = copies.get(index);
      if (!shard) {
        shard = new Map(this.shards[index]);
        copies.set(index, shard);
      }
      const had = shard.has(key);
      if (value === undefined) {
        if (had) {
          shard.delete(key);
          size -= 1;
        }
      } else {
        shard.set(key, value);
        if (!had) size += 1;
      }
    }
    if (copies.size === 0) return this;
    const shards = [...this.shards];
    for (const [index, shard] of copies) shards[index] = shard;
    return new ShardedMap(shards, size);
  }

  get(key: string): V | undefined {
    return this.shards[this.shardOf(key)]?.get(key);
  }

  has(key: string): boolean {
    return this.shards[this.shardOf(key)]?.has(key) ?? false;
  }

  *entries(): MapIterator<[string, V]> {
    for (const shard of this.shards) yield* shard.entries();
  }

  *keys(): MapIterator<string> {
    for (const shard of this.shards) yield* shard.keys();
  }

  *values(): MapIterator<V> {
    for (const shard of this.shards) yield* shard.values();
  }

  [Symbol.iterator](): MapIterator<[string, V]> {
    return this.entries();
  }

  forEach(callback: (value: V, key: string, map: ReadonlyMap<string, V>) => void, thisArg?: unknown): void {
    for (const [key, value] of this.entries()) callback.call(thisArg, value, key, this);
  }
}

/** 256 shards: a one-service change copies 1/256 of the mesh; iterating costs 256 small maps. */
const DEFAULT_SHARDS = 256;
