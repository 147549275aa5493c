import type { Histogram } from 'prom-client';

/** Rounds waited on at once; older ones are given up (a client that never ACKs holds its round for ever). */
const MAX_OPEN_ROUNDS = 64;

interface Round {
  /** When the change reached the registry (ms since epoch). */
  readonly since: number;
  /** Subscribers concerned that have not acknowledged it yet. */
  pending: number;
  done: boolean;
}

/**
 * Measures how long a platform change takes to reach the fleet: from the moment it reached the
 * registry until every stream subscribed to what it changed has acknowledged a response carrying
 * it (sextant_proxy_convergence_seconds). One round per pushed snapshot; a subscriber settles every
 * round it holds when it is up to date, since acknowledging newer state covers older changes.
 *
 * Bounded: at most MAX_OPEN_ROUNDS rounds wait at once (a round held back by a client that keeps
 * rejecting is given up without a sample), and each subscriber holds only rounds still open.
 */
export class Convergence<Subscriber extends object> {
  private readonly open: Round[] = [];
  private readonly held = new Map<Subscriber, Round[]>();

  constructor(
    private readonly histogram: Histogram,
    private readonly now: () => number,
  ) {}

  /** A snapshot whose earliest change arrived at `since` is being pushed to `subscribers`. */
  start(since: number, subscribers: readonly Subscriber[]): void {
    if (subscribers.length === 0) return;
    if (this.open.length >= MAX_OPEN_ROUNDS) {
      const oldest = this.open.shift();
      if (oldest) oldest.done = true;
    }
    const round: Round = { since, pending: subscribers.length, done: false };
    this.open.push(round);
    for (const subscriber of subscribers) {
      const rounds = (this.held.get(subscriber) ?? []).filter((r) => !r.done);
      rounds.push(round);
      this.held.set(subscriber, rounds);
    }
  }

  /** The subscriber is up to date (or gone): it no longer holds any round back. */
  settle(subscriber: Subscriber): void {
    const rounds = this.held.get(subscriber);
    if (!rounds) return;
    this.held.delete(subscriber);
    for (const round of rounds) {
      if (round.done) continue;
      round.pending -= 1;
      if (round.pending > 0) continue;
      round.done = true;
      this.open.splice(this.open.indexOf(round), 1);
      this.histogram.observe(Math.max(0, this.now() - round.since) / 1000);
    }
  }

  /** Whether the subscriber holds a round back. */
  holds(subscriber: Subscriber): boolean {
    return this.held.has(subscriber);
  }

  /** How many rounds, open or given up, the subscriber still references (the memory bound). */
  heldBy(subscriber: Subscriber): number {
    return this.held.get(subscriber)?.length ?? 0;
  }

  /** Forgets everything (shutdown). */
  clear(): void {
    for (const round of this.open) round.done = true;
    this.open.length = 0;
    this.held.clear();
  }
}
