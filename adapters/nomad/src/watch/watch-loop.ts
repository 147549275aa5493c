import { Backoff, sleep, TokenBucket } from '@sextant/adapter-kit';
import type { Logger } from '@sextant/core';
import { NomadError } from '../nomad/nomad-error';

/** Pause before the unreported retry of a lost connection. */
const RECONNECT_MS = 50;

/** One read of a watched endpoint from `minIndex` (0: answer now); no `value` when it has nothing to report. */
export type WatchRead<T> = (minIndex: number, signal: AbortSignal) => Promise<{ index: number; value?: T }>;

export interface WatchHandlers<T> {
  /** A successful read: the current value (possibly unchanged: a wake-up proves nothing). */
  onValue(value: T): void;
  /** A failed read; the loop retries after a backoff. */
  onFault(error: NomadError): void;
}

export interface WatchTiming {
  readonly rateLimit: { readonly burst: number; readonly intervalMs: number };
  readonly retry: { readonly initialMs: number; readonly maxMs: number };
}

/**
 * The blocking-query loop of one endpoint: read from the last index, report, read again, until
 * stopped. The index rules of Consul's and Nomad's clients apply: a lower index than before (a
 * snapshot restore, a lagging server) means start over from 0 and read again at once, without
 * reporting the lower answer; an index of 0 is taken as 1 so the loop still blocks. After a
 * failure the next read starts from 0 too, so recovery is seen (and resynced) at once; a lost
 * connection on a healthy watch is first retried after a moment, unreported. Requests are
 * rate-limited by a token bucket; failures back off exponentially with jitter (at least as long as
 * a Retry-After says) and never end the loop.
 */
export class WatchLoop<T> {
  private readonly controller = new AbortController();
  private readonly limiter: TokenBucket;
  private readonly backoff: Backoff;
  private running: Promise<void> | undefined;

  constructor(
    private readonly what: string,
    private readonly read: WatchRead<T>,
    private readonly handlers: WatchHandlers<T>,
    timing: WatchTiming,
    private readonly logger: Logger,
  ) {
    this.limiter = new TokenBucket(timing.rateLimit.burst, timing.rateLimit.intervalMs);
    this.backoff = new Backoff(timing.retry.initialMs, timing.retry.maxMs);
  }

  start(): void {
    this.running ??= this.loop();
  }

  /** Aborts the request in flight; resolves when the loop has ended. */
  stop(): Promise<void> {
    this.controller.abort();
    return this.running ?? Promise.resolve();
  }

  /** A handler that throws is a bug; it is logged, and the watch goes on. */
  private report(value: T): void {
    try {
      this.handlers.onValue(value);
    } catch (error) {
      this.logger.error({ err: error, watch: this.what }, 'handling an answer from Nomad failed');
    }
  }

  private async loop(): Promise<void> {
    const signal = this.controller.signal;
    let index = 0;
    let healthy = true;
    while (!signal.aborted) {
      await this.limiter.take(signal);
      if (signal.aborted) return;
      let result: { index: number; value?: T };
      try {
        result = await this.read(index, signal);
      } catch (error) {
        if (signal.aborted) return;
        const fault = asNomadError(error, this.what);
        // A connection that worked a moment ago may just have been recycled (a restarted agent,
        // a proxy's idle timeout, a keep-alive race): try once more, unreported, after a moment
        // (by then the pool has seen its other sockets close; jittered, so watches do not stampede).
        if (healthy && fault.kind === 'unreachable') {
          healthy = false;
          this.logger.debug({ watch: this.what, reason: fault.message }, 'Nomad connection lost; retrying');
          await sleep(RECONNECT_MS * (1 + Math.random()), signal);
          continue;
        }
        healthy = false;
        this.handlers.onFault(fault);
        await sleep(this.backoff.next(fault.details.retryAfterMs), signal);
        // Read afresh: an answer at once says whether Nomad is back (a blocking read could sit
        // on a healthy connection for minutes while the fault is still shown), and resyncs.
        index = 0;
        continue;
      }
      if (signal.aborted) return;
      healthy = true;
      this.backoff.reset();
      if (result.index < index) {
        this.logger.debug(
          { watch: this.what, was: index, now: result.index },
          'Nomad index went backwards; reading again from 0',
        );
        index = 0;
        continue;
      }
      index = Math.max(1, result.index);
      if (result.value !== undefined) this.report(result.value);
    }
  }
}

function asNomadError(error: unknown, what: string): NomadError {
  if (error instanceof NomadError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new NomadError('invalid', `reading ${what} failed: ${message}`, { cause: error });
}
