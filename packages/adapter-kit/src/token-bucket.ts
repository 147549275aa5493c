import { systemClock, type Clock } from './clock';

/**
 * A token bucket that spaces out one loop's requests: `burst` requests go back to back, then
 * one per `intervalMs`; an idle loop earns its burst back.
 *
 * A blocking query (Consul, Nomad) returns at once whenever the watched data has changed, so a
 * busy service would otherwise be read in a tight loop. Sleeping a fixed time after every answer
 * is no cure: under steady churn every later query would then return at once too (consul#3890).
 * The bucket lets isolated changes pass without delay and reads a continuously changing service
 * at most once per interval, each read carrying its latest state.
 */
export class TokenBucket {
  /**
   * When the bucket will be full again, if nobody takes another token. The bucket holds
   * `burst − (fullAt − now) / intervalMs` tokens, fewer than none while callers wait for theirs;
   * keeping the time instead of a fractional count keeps the waits exact.
   */
  private fullAt: number;

  constructor(
    private readonly burst: number,
    private readonly intervalMs: number,
    private readonly clock: Clock = systemClock,
  ) {
    this.fullAt = clock.now();
  }

  /**
   * Takes a token, resolving when the request may go out: at once while the burst lasts, else
   * when the token is earned. Callers that find the bucket empty each reserve their own token, so
   * they go out one interval apart, in turn. When `signal` aborts it resolves at once; the caller
   * checks `signal.aborted`.
   */
  async take(signal: AbortSignal): Promise<void> {
    const now = this.clock.now();
    // An idle bucket does not fill beyond full: earlier idleness buys no larger burst.
    this.fullAt = Math.max(this.fullAt, now) + this.intervalMs;
    const wait = this.fullAt - this.burst * this.intervalMs - now;
    if (wait > 0) await this.clock.sleep(wait, signal);
  }
}
