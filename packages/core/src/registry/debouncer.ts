/**
 * Coalesces bursts of changes: fires once changes have been quiet for `afterMs`, and never
 * later than `maxMs` after the first change of a burst, so a platform that never stops
 * changing still gets its updates out.
 */
export class Debouncer {
  private timer: NodeJS.Timeout | undefined;
  private burstStartedAt: number | undefined;

  constructor(
    private afterMs: number,
    private maxMs: number,
    private readonly fire: () => void,
    private readonly now: () => number = Date.now,
  ) {}

  /** A change happened. */
  poke(): void {
    const now = this.now();
    this.burstStartedAt ??= now;
    const due = Math.min(now + this.afterMs, this.burstStartedAt + this.maxMs);
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.flush(), Math.max(0, due - now));
    this.timer.unref();
  }

  /** New windows, from the next change on (a burst under way keeps the deadline it has). */
  configure(afterMs: number, maxMs: number): void {
    this.afterMs = afterMs;
    this.maxMs = maxMs;
  }

  /** Fires now if a change is pending. */
  flush(): void {
    if (this.burstStartedAt === undefined) return;
    this.cancel();
    this.fire();
  }

  get pending(): boolean {
    return this.burstStartedAt !== undefined;
  }

  cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.burstStartedAt = undefined;
  }
}
