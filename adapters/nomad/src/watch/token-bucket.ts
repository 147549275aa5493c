import { abortableDelay } from './abortable-delay';

/** Time as the bucket sees it; tests substitute one that moves only when told. */
export interface BucketClock {
  now(): number;
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

const realClock: BucketClock = { now: () => performance.now(), sleep: abortableDelay };

/**
 * Rate limit of one watch loop: `burst` requests back to back, then one per `intervalMs`. A
 * blocking query that returns at once (the watched data keeps changing) would otherwise loop as
 * fast as the network allows; sleeping a fixed time after each answer instead would make every
 * next query return at once under churn. Isolated changes pass without delay; a service that
 * changes continuously is read at most once per interval, and each read carries its latest state.
 */
export class TokenBucket {
  private tokens: number;
  private updatedAt: number;

  constructor(
    private readonly burst: number,
    private readonly intervalMs: number,
    private readonly clock: BucketClock = realClock,
  ) {
    this.tokens = burst;
    this.updatedAt = clock.now();
  }

  /** Resolves when a request may go out (or at once when `signal` has aborted), taking a token. */
  async take(signal: AbortSignal): Promise<void> {
    this.refill();
    if (this.tokens < 1) {
      await this.clock.sleep((1 - this.tokens) * this.intervalMs, signal);
      this.refill();
    }
    this.tokens = Math.max(0, this.tokens - 1);
  }

  private refill(): void {
    const now = this.clock.now();
    const earned = this.intervalMs > 0 ? (now - this.updatedAt) / this.intervalMs : Infinity;
    this.tokens = Math.min(this.burst, this.tokens + earned);
    this.updatedAt = now;
  }
}
