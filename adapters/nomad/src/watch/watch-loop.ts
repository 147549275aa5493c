import { Backoff, sleep, WatchPacer, type SharedTokenBucket } from '@sextant/adapter-kit';
import type { Logger } from '@sextant/core';
import { NomadError } from '../nomad/nomad-error';
import { Standing } from './request-slots';

/** Pause before the unreported retry of a lost connection. */
const RECONNECT_MS = 50;

/** What a read found: no `value` when it has nothing to report. */
export interface WatchResult<T> {
  readonly index: number;
  readonly value?: T;
  /** A blocking read Nomad answered before its wait ran out: the next one needs a token of the budget. */
  readonly early?: boolean;
}

/** One read of a watched endpoint from `minIndex` (0: answer now), with its standing in the line for slots. */
export type WatchRead<T> = (
  minIndex: number,
  signal: AbortSignal,
  standing?: Standing,
) => Promise<WatchResult<T>>;

export interface WatchHandlers<T> {
  /** A successful read: the current value (possibly unchanged: a wake-up proves nothing). */
  onValue(value: T): void;
  /** A failed read; the loop retries after a backoff. */
  onFault(error: NomadError): void;
}

export interface WatchTiming {
  /** The adapter's budget for re-reads after early answers (`rateLimit`), shared by every watch. */
  readonly rateLimit: SharedTokenBucket;
  readonly retry: { readonly initialMs: number; readonly maxMs: number };
}

/**
 * The blocking-query loop of one endpoint: read from the last index, report, read again, until
 * stopped. The index rules of Consul's and Nomad's clients apply: a lower index than before (a
 * snapshot restore, a lagging server) means start over from 0 and read again at once, without
 * reporting the lower answer; an index of 0 is taken as 1 so the loop still blocks. After a
 * failure the next read starts from 0 too, so recovery is seen (and resynced) at once; a lost
 * connection on a healthy watch is first retried after a moment, unreported. A read after one
 * Nomad answered early waits for a token of the adapter's shared budget (WatchPacer); failures
 * back off exponentially with jitter (at least as long as a Retry-After says) and never end the
 * loop.
 */
export class WatchLoop<T> {
  private readonly controller = new AbortController();
  private readonly pacer: WatchPacer;
  private readonly standing = new Standing();
  private readonly backoff: Backoff;
  private running: Promise<void> | undefined;

  constructor(
    private readonly what: string,
    private readonly read: WatchRead<T>,
    private readonly handlers: WatchHandlers<T>,
    timing: WatchTiming,
    private readonly logger: Logger,
  ) {
    this.pacer = new WatchPacer(timing.rateLimit);
    this.backoff = new Backoff(timing.retry.initialMs, timing.retry.maxMs);
  }

  start(): void {
    this.running ??= this.loop();
  }

  /**
   * The watched data is known to have changed (Nomad's event stream said so): the next read goes
   * ahead of other watches, for a token and for a slot, even if it already waits for one.
   */
  hint(): void {
    this.pacer.hint();
    this.standing.hint();
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
    let early = false;
    while (!signal.aborted) {
      if (early) await this.pacer.beforeReread(signal);
      early = false;
      if (signal.aborted) return;
      let result: WatchResult<T>;
      try {
        result = await this.read(index, signal, this.standing);
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
      this.standing.served();
      early = result.early ?? false;
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
