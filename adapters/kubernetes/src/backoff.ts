export interface BackoffPolicy {
  /** The first delay. */
  readonly initialMs: number;
  /** Delays double up to this. */
  readonly maxMs: number;
}

/** client-go's reflector backs off from 800 ms to 30 s; so does this, with jitter. */
export const DEFAULT_BACKOFF: BackoffPolicy = { initialMs: 800, maxMs: 30_000 };

/**
 * Exponential backoff with jitter: each delay is a random point in the upper half of a window
 * that doubles from `initialMs` to `maxMs`. Watches failing together (an API server restart fails
 * all of them at once) come back spread out instead of as a storm, and never sooner than half the
 * window, so a persistent failure is retried at a bounded rate.
 */
export class Backoff {
  private attempt = 0;

  constructor(
    private readonly policy: BackoffPolicy,
    private readonly random: () => number = Math.random,
  ) {}

  next(): number {
    const window = Math.min(this.policy.maxMs, this.policy.initialMs * 2 ** this.attempt);
    if (window < this.policy.maxMs) this.attempt += 1;
    return Math.round(window / 2 + (this.random() * window) / 2);
  }

  reset(): void {
    this.attempt = 0;
  }
}
