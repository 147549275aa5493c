import type { EncodedBody } from '@sextant/envoy';

interface Slot {
  readonly validFor: string;
  readonly body: EncodedBody;
}

/**
 * Encoded answers by request key, each valid for one "validity token" (the snapshot version,
 * or a service entry's version for SDS). A lookup with another token produces the body again
 * and replaces the slot, so nothing needs flushing when a snapshot is published, and SDS
 * answers for unchanged services survive changes elsewhere. Bodies share their large chunks
 * (see EncodedBody), so a slot per proxy costs little. Bounded: the least recently filled
 * slots are dropped first (proxies come and go).
 */
export class ResponseCache {
  private readonly slots = new Map<string, Slot>();
  hits = 0;
  misses = 0;

  constructor(private readonly maxEntries = 20_000) {}

  get(key: string, validFor: string, produce: () => EncodedBody): EncodedBody {
    const slot = this.slots.get(key);
    if (slot && slot.validFor === validFor) {
      this.hits += 1;
      return slot.body;
    }
    this.misses += 1;
    const body = produce();
    this.slots.delete(key);
    this.slots.set(key, { validFor, body });
    if (this.slots.size > this.maxEntries) {
      const oldest = this.slots.keys().next().value;
      if (oldest !== undefined) this.slots.delete(oldest);
    }
    return body;
  }

  get size(): number {
    return this.slots.size;
  }
}
