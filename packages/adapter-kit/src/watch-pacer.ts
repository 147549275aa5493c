import { systemClock, type Clock } from './clock';
import type { SharedTokenBucket, TokenRequest } from './shared-token-bucket';
import { TokenBucket } from './token-bucket';

/**
 * Whether a blocking query answered early: before most of the wait it asked for had passed, so
 * something changed (or the platform says so) and re-issuing it at once could turn into a tight
 * loop. One that waited longer paced itself. Not the whole wait: the platform's timer may fire a
 * little early by the watch's clock.
 */
export function answeredEarly(elapsedMs: number, waitMs: number): boolean {
  return elapsedMs < waitMs * 0.9;
}

/** How often a watch may be woken and still count as quiet: 3 in a row, then one a second. */
export const QUIET_WAKE_UPS = { burst: 3, intervalMs: 1000 } as const;

/**
 * Paces one blocking-query loop within its adapter's shared budget. A blocking query that
 * answered early (something changed, or looked as if it had) would be re-issued at once, and
 * under churn that is a tight loop: the re-issue waits for a token of the shared bucket instead.
 * A query that ran out its wait needs no token; it paced itself.
 *
 * A watch woken no more often than `QUIET_WAKE_UPS` waits in the quiet lane, before watches
 * woken more often than that: a storm of wake-ups on a few busy watches cannot hold back the
 * others' changes. `hint()` (something outside the watch says its data changed: Nomad's event
 * stream, Consul's failing checks) puts it in the urgent lane, before both, even while it
 * already waits.
 */
export class WatchPacer {
  private readonly quiet: TokenBucket;
  private waiting: TokenRequest | undefined;
  private hinted = false;

  constructor(
    private readonly budget: SharedTokenBucket,
    clock: Clock = systemClock,
    quiet: { readonly burst: number; readonly intervalMs: number } = QUIET_WAKE_UPS,
  ) {
    this.quiet = new TokenBucket(quiet.burst, quiet.intervalMs, clock);
  }

  /** Resolves when the watch may re-issue a query that answered early, or when `signal` aborts. */
  async beforeReread(signal: AbortSignal): Promise<void> {
    // Taken whatever the lane, so the allowance counts every wake-up.
    const quiet = this.quiet.tryTake();
    const request = this.budget.request(signal, this.hinted ? 'urgent' : quiet ? 'quiet' : 'busy');
    this.waiting = request;
    try {
      await request.granted;
    } finally {
      this.waiting = undefined;
      this.hinted = false;
    }
  }

  /** The watch's data is known to have changed: its next re-read goes first. */
  hint(): void {
    this.hinted = true;
    this.waiting?.promote();
  }
}
