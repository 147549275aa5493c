/**
 * Exponential backoff with jitter for retrying a failing request: the first delay is about
 * `initialMs`, each next one doubles up to `maxMs`, and each is drawn from the upper half of its
 * range, so a fleet of watches failing together does not retry in lockstep.
 */
export class Backoff {
  private attempt = 0;

  constructor(
    private readonly initialMs: number,
    private readonly maxMs: number,
    private readonly random: () => number = Math.random,
  ) {}

  /** The delay before the next retry; at least `floorMs` (a server's Retry-After). */
  next(floorMs = 0): number {
    const ceiling = Math.min(this.maxMs, this.initialMs * 2 ** Math.min(this.attempt, 30));
    this.attempt += 1;
    return Math.max(floorMs, ceiling / 2 + this.random() * (ceiling / 2));
  }

  /** A success: the next failure starts over from `initialMs`. */
  reset(): void {
    this.attempt = 0;
  }
}
