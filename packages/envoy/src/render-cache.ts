import { flatText } from './flat-text';

/**
 * The one memo every renderer uses: values by a key that names exactly what they were computed
 * from, within a budget in bytes, least recently used evicted first.
 *
 * Keys are built from versions of what an answer depends on (a service entry's digest, the
 * snapshot version, a port's version, a proxy's effective domain), never from who asked: two
 * proxies that would get the same bytes share one entry, and a client inventing node ids,
 * domains or IPs cannot make the cache grow. The budget is the backstop: whatever the keys, the
 * values held cost at most `maxBytes` (as estimated by each caller's `size`).
 *
 * A value larger than the whole budget is computed and returned, not kept.
 */
export class RenderCache {
  private readonly entries = new Map<string, CacheEntry>();
  /** How many times an entry was put at the young end; each entry records when it last was. */
  private moves = 0;
  private heldBytes = 0;
  private hitCount = 0;
  private missCount = 0;
  private evictionCount = 0;

  constructor(readonly maxBytes: number) {
    if (!(maxBytes > 0)) throw new RangeError(`render cache budget must be positive, got ${maxBytes}`);
  }

  /**
   * The value cached under `key`, or `compute()` cached under it. `size` estimates the bytes
   * the value keeps alive (include what it references that nothing else in the cache holds).
   */
  get<T>(key: string, compute: () => T, size: (value: T) => number): T {
    const found = this.entries.get(key);
    if (found) {
      this.hitCount += 1;
      // Re-inserting moves the key to the young end of the Map's insertion order. An entry in
      // the younger half is left where it is (eviction is as far from it as it can be): a push
      // asks for the same few entries once per stream, thousands of times, and each move cost
      // a delete and an insert.
      if (this.moves - found.moved > this.entries.size / 2) {
        this.entries.delete(key);
        this.entries.set(key, found);
        this.moves += 1;
        found.moved = this.moves;
      }
      return found.value as T;
    }
    this.missCount += 1;
    const value = compute();
    const bytes = size(value) + key.length * 2 + ENTRY_OVERHEAD_BYTES;
    if (bytes > this.maxBytes) return value;
    this.moves += 1;
    // Kept as long as the entry: flat, not the rope a template makes (flat-text.ts).
    this.entries.set(flatText(key), { value, bytes, moved: this.moves });
    this.heldBytes += bytes;
    this.evictOverBudget();
    return value;
  }

  /** The value cached under `key`, if any, without computing or counting a miss. */
  peek<T>(key: string): T | undefined {
    return this.entries.get(key)?.value as T | undefined;
  }

  /**
   * Like `get`, but a value for which `keep` says no is returned without being cached: for
   * answers built from something a client made up, which no one else will ask for.
   */
  getIf<T>(key: string, compute: () => T, size: (value: T) => number, keep: (value: T) => boolean): T {
    const found = this.entries.get(key);
    if (found) return this.get(key, compute, size);
    const value = compute();
    if (!keep(value)) {
      this.missCount += 1;
      return value;
    }
    return this.get(key, () => value, size);
  }

  /** Forgets everything (the render options changed, or a test wants a cold cache). */
  clear(): void {
    this.entries.clear();
    this.heldBytes = 0;
  }

  stats(): RenderCacheStats {
    return {
      entries: this.entries.size,
      bytes: this.heldBytes,
      maxBytes: this.maxBytes,
      hits: this.hitCount,
      misses: this.missCount,
      evictions: this.evictionCount,
    };
  }

  private evictOverBudget(): void {
    for (const [key, entry] of this.entries) {
      if (this.heldBytes <= this.maxBytes) return;
      this.entries.delete(key);
      this.heldBytes -= entry.bytes;
      this.evictionCount += 1;
    }
  }
}

export interface RenderCacheStats {
  readonly entries: number;
  readonly bytes: number;
  readonly maxBytes: number;
  readonly hits: number;
  readonly misses: number;
  readonly evictions: number;
}

interface CacheEntry {
  readonly value: unknown;
  readonly bytes: number;
  /** `moves` when it was last put at the young end. */
  moved: number;
}

/** What a Map entry, its key string header and the entry object cost beyond the key's characters. */
const ENTRY_OVERHEAD_BYTES = 96;

/** 128 MiB: several times the working set of a 10,000-service mesh, a small part of a VM. */
export const DEFAULT_RENDER_CACHE_BYTES = 128 * 1024 * 1024;

/** Rough sizes of what renderers cache, for `RenderCache.get`'s `size`. */
export const sizeOf = {
  /** A JS string (UTF-16). */
  text: (text: string): number => text.length * 2 + 32,
  buffer: (buffer: Uint8Array): number => buffer.byteLength + 96,
  /** An array of references to values held elsewhere in the cache. */
  references: (count: number): number => count * 8 + 64,
  /** A small object of a few fields. */
  object: 128,
};
