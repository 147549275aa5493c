import type { SharedTokenBucket, TokenRequest } from './shared-token-bucket';

/**
 * Whether a blocking query answered early: before most of the wait it asked for had passed, so
 * something changed (or the platform says so) and re-issuing it at once could turn into a tight
 * loop. One that waited longer paced itself. Not the whole wait: the platform's timer may fire a
 * little early by the watch's clock.
 */
export function answeredEarly(elapsedMs: number, waitMs: number): boolean {
  return elapsedMs < waitMs * 0.9;
}

/**
 * Paces one blocking-query loop within its adapter's shared budget. A blocking query that
 * answered early (something changed, or looked as if it had) would be re-issued at once, and
 * under churn that is a tight loop: the re-issue waits for a token of the shared bucket instead.
 * A query that ran out its wait needs no token; it paced itself.
 *
 * `hint()` (something outside the watch says its data changed: Nomad's event stream, Consul's
 * failing checks) puts the next re-issue ahead of the line, even while it already waits.
 */
export class WatchPacer {
  private waiting: TokenRequest | undefined;
  private hinted = false;

  constructor(private readonly budget: SharedTokenBucket) {}

  /** Resolves when the watch may re-issue a query that answered early, or when `signal` aborts. */
  async beforeReread(signal: AbortSignal): Promise<void> {
    const request = this.budget.request(signal, this.hinted ? 'urgent' : 'routine');
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
