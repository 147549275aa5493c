import { Backoff, sleep } from '@sextant/adapter-kit';
import type { Logger } from '@sextant/core';
import type { NomadClient } from '../nomad/nomad-client';
import { NomadError } from '../nomad/nomad-error';
import { parseEventLine, type ServiceEvent } from '../nomad/wire';

/** Nomad's heartbeats come every 10 s (30 s in some versions): a stream silent this long is dead. */
export const STREAM_IDLE_TIMEOUT_MS = 75_000;
/** A batch is the events of one write: thousands of registrations of a large job fit. */
const MAX_LINE_LENGTH = 16 * 1024 * 1024;
/** Nomad refusing the stream (ACLs, an old version) does not change in seconds: retry slowly. */
const MAX_RETRY_MS = 5 * 60_000;

export interface ServiceEventsOptions {
  readonly client: NomadClient;
  /** `*`, or the one namespace watched. */
  readonly namespace: string;
  readonly retryInitialMs: number;
  readonly logger: Logger;
  /** The events of one write. */
  readonly onEvents: (events: readonly ServiceEvent[]) => void;
  /** Tests shorten it. */
  readonly idleTimeoutMs?: number;
}

/**
 * Follows Nomad's event stream for the `Service` topic (`/v1/event/stream?topic=Service`): one
 * long-lived request that says which registrations each write touched. It is a hint, never the
 * record: the stream may skip events (a subscriber that falls behind, a resume from an index no
 * longer buffered), so the blocking queries stay the source of truth and the stream only tells
 * them which service to read first. When Nomad refuses it (a token without the rights, a Nomad
 * older than 1.0, the event broker turned off) or it breaks, the adapter follows changes with
 * blocking queries alone; it says so once per reason, and tries again with a slow backoff. A
 * reconnection resumes after the last index seen, from Nomad's buffer.
 */
export class ServiceEvents {
  private readonly backoff: Backoff;
  private lastIndex = 0;
  private unavailableFor: string | undefined;

  constructor(
    private readonly options: ServiceEventsOptions,
    private readonly signal: AbortSignal,
  ) {
    this.backoff = new Backoff(options.retryInitialMs, MAX_RETRY_MS);
  }

  /** Follows the stream until the signal aborts. Never throws. */
  async run(): Promise<void> {
    const { client, namespace, logger } = this.options;
    while (!this.signal.aborted) {
      try {
        await client.stream(
          {
            path: '/v1/event/stream',
            query: {
              topic: 'Service',
              namespace,
              index: this.lastIndex > 0 ? String(this.lastIndex + 1) : undefined,
            },
            signal: this.signal,
            idleTimeoutMs: this.options.idleTimeoutMs ?? STREAM_IDLE_TIMEOUT_MS,
            maxLineLength: MAX_LINE_LENGTH,
          },
          (line) => this.onLine(line),
        );
        // Nomad ended it (a server leaving, a subscription closed): reconnect after a pause.
        logger.debug('the Nomad event stream ended; reconnecting');
      } catch (error) {
        if (this.signal.aborted) return;
        this.unavailable(error);
      }
      await sleep(this.backoff.next(), this.signal);
    }
  }

  private onLine(line: string): void {
    const batch = parseEventLine(line);
    if (this.unavailableFor !== undefined) {
      this.unavailableFor = undefined;
      this.options.logger.info('following the Nomad event stream again');
    }
    this.backoff.reset();
    if (!batch) return;
    this.lastIndex = Math.max(this.lastIndex, batch.index);
    if (batch.events.length === 0) return;
    try {
      this.options.onEvents(batch.events);
    } catch (error) {
      this.options.logger.error({ err: error }, 'handling Nomad events failed');
    }
  }

  private unavailable(error: unknown): void {
    const reason = error instanceof NomadError ? error.message : String(error);
    if (reason === this.unavailableFor) {
      this.options.logger.debug({ reason }, 'the Nomad event stream is still unavailable');
      return;
    }
    this.unavailableFor = reason;
    this.options.logger.info(
      { reason },
      'the Nomad event stream is unavailable; following changes with blocking queries alone',
    );
  }
}
