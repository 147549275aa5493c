/**
 * A token bucket that spaces out a watch's requests (platform-apis.md §1.5.7): a burst of
 * `capacity` requests goes at once, then one per `intervalMs`. A watch on a busy service answers
 * at once every time; without a limit it would query in a tight loop, and with an unconditional
 * sleep every later answer would be immediate too (consul#3890).
 */
export class TokenBucket {
  private tokens: number;
  private updatedAt: number;

  constructor(
    private readonly capacity: number,
    private readonly intervalMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.tokens = capacity;
    this.updatedAt = now();
  }

  /** Takes a token; returns how long to wait before using it (0 when one was there). */
  take(): number {
    const now = this.now();
    this.tokens = Math.min(this.capacity, this.tokens + (now - this.updatedAt) / this.intervalMs);
    this.updatedAt = now;
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : -this.tokens * this.intervalMs;
  }
}
