/**
 * Exponential backoff with jitter, for retrying whatever failed against a platform.
 *
 * The n-th delay is drawn from the upper half of a window that doubles from `initialMs` up to
 * `maxMs`: clients that failed together (a server restart fails every watch at once) come back
 * spread out instead of as a storm, and never sooner than half the window, so a persistent
 * failure is retried at a bounded rate. Delays are whole milliseconds, as timers count them.
 */
export class Backoff {
  /** Doublings so far. It stops growing once the window reaches `maxMs`, so it never overflows. */
  private attempt = 0;

  constructor(
    private readonly initialMs: number,
    private readonly maxMs: number,
    /** A source of numbers in [0, 1); tests pass a constant to make the jitter predictable. */
    private readonly random: () => number = Math.random,
  ) {}

  /**
   * The delay before the next retry. `floorMs` is a lower bound the platform asked for (an
   * HTTP Retry-After): the jittered delay is used when it is longer, so a short Retry-After
   * does not defeat the backoff either.
   */
  next(floorMs = 0): number {
    const window = Math.min(this.maxMs, this.initialMs * 2 ** Math.min(this.attempt, MAX_DOUBLINGS));
    if (window < this.maxMs && this.attempt < MAX_DOUBLINGS) this.attempt += 1;
    return Math.max(floorMs, Math.round(window / 2 + (this.random() * window) / 2));
  }

  /** A success: the next failure starts over from `initialMs`. */
  reset(): void {
    this.attempt = 0;
  }
}

/** 2³⁰ × 1 ms is twelve days: no sensible window is wider, and the arithmetic stays exact. */
const MAX_DOUBLINGS = 30;
