/** Consul's default blocking wait and its cap (agent settings default_query_time / max_query_time). */
export const DEFAULT_WAIT_MS = 5 * 60_000;
export const MAX_WAIT_MS = 10 * 60_000;

/** How long a blocking query may be held: min(wait or 5m, 10m) plus jitter in [0, wait/16]. */
export function effectiveWaitMs(requestedMs: number | undefined, random: () => number): number {
  const base = Math.min(requestedMs ?? DEFAULT_WAIT_MS, MAX_WAIT_MS);
  return base + random() * (base / 16);
}

interface Held {
  readonly minIndex: bigint;
  readonly currentIndex: () => number;
  readonly finish: () => void;
}

/**
 * Requests blocked on an index (platform-apis.md §1.5): each is answered as soon as its endpoint's
 * index passes the one the client sent, or when its wait elapses, whichever comes first. Every
 * write to a datacenter wakes its held queries to re-check their index; a write elsewhere leaves
 * them asleep. A client that goes away releases its timer at once.
 */
export class BlockingQueries {
  private readonly held = new Map<string, Set<Held>>();

  constructor(private readonly random: () => number = Math.random) {}

  /**
   * Answers now (`respond()`) when `minIndex` is 0 or the endpoint is already past it; otherwise
   * holds until it is, or `waitMs` (before jitter) elapses. `onAbandon` registers the hook called
   * if the client disconnects first.
   */
  run(
    datacenter: string,
    minIndex: bigint,
    waitMs: number | undefined,
    currentIndex: () => number,
    respond: () => void,
    onAbandon: (release: () => void) => void,
  ): void {
    if (minIndex === 0n || BigInt(currentIndex()) > minIndex) {
      respond();
      return;
    }
    const set = this.held.get(datacenter) ?? new Set<Held>();
    this.held.set(datacenter, set);
    let done = false;
    const release = () => {
      done = true;
      clearTimeout(timer);
      set.delete(held);
    };
    const finish = () => {
      if (done) return;
      release();
      respond();
    };
    const held: Held = { minIndex, currentIndex, finish };
    const timer = setTimeout(finish, effectiveWaitMs(waitMs, this.random));
    set.add(held);
    onAbandon(release);
  }

  /** A write happened in `datacenter`: answer every held query whose index moved past the client's. */
  wake(datacenter: string): void {
    for (const held of [...(this.held.get(datacenter) ?? [])]) {
      if (BigInt(held.currentIndex()) > held.minIndex) held.finish();
    }
  }

  /** How many queries are being held, for tests that wait for a client to block. */
  count(datacenter?: string): number {
    if (datacenter !== undefined) return this.held.get(datacenter)?.size ?? 0;
    let total = 0;
    for (const set of this.held.values()) total += set.size;
    return total;
  }
}
