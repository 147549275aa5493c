import { answeredEarly, Backoff, sleep, WatchPacer, type SharedTokenBucket } from '@sextant/adapter-kit';
import { silentLogger, type Logger } from '@sextant/core';
import { nextIndex, type IndexStep } from './blocking-index';
import type { ConsulAnswer } from './consul-api';
import { ConsulFault } from './consul-fault';
import type { FaultGate, GateTicket } from './fault-gate';
import type { RequestSlots, SlotPriority, SlotRequest } from './request-slots';

/** One read of the watched endpoint. */
export type WatchFetch<T> = (index: bigint, waitMs: number, signal: AbortSignal) => Promise<ConsulAnswer<T>>;

export interface BlockingWatchOptions<T> {
  /** Names the watch in logs (`dc1 health web`). */
  readonly name: string;
  readonly fetch: WatchFetch<T>;
  /** A new body: the index moved (or went backwards, `step.reset`). Unchanged answers are not passed on. */
  readonly onAnswer: (body: T, step: IndexStep) => void;
  /** Every answer, changed or not: Consul answered normally. */
  readonly onConfirmed?: (knownLeader: boolean) => void;
  /**
   * A fault of this watch alone (a 4xx other than 403: the request is wrong, Consul is fine), or
   * undefined once it answers again. Outages and refusals go to the gate instead.
   */
  readonly onOwnFault?: (fault: ConsulFault | undefined) => void;
  readonly gate: FaultGate;
  /** Present for watches that share the bounded request slots (health watches). */
  readonly slots?: RequestSlots;
  /** The wait to ask for now (it shrinks when slots are scarce). */
  readonly waitMs: () => number;
  /** The adapter's budget for re-reads after early answers (the `rateLimit` option), shared by every watch. */
  readonly rateLimit: SharedTokenBucket;
  readonly logger?: Logger;
}

/**
 * One blocking query loop (platform-apis.md §1.5): read with the last index, hand on a body when
 * the index moves, follow Consul's index rules, re-read after an early answer only with a token
 * of the adapter's shared budget, and let the datacenter's FaultGate hold it back while Consul
 * fails. It never throws; `done` resolves once its last request has settled after `cancel()` or
 * the parent signal's abort.
 */
export class BlockingWatch<T> {
  private readonly controller = new AbortController();
  private readonly pacer: WatchPacer;
  /** The last answer came back early: the next request needs a token of the shared budget. */
  private early = false;
  private readonly ownBackoff = new Backoff(30_000, 5 * 60_000);
  private readonly logger: Logger;
  private index = 0n;
  /** A resync was asked for since the request in flight was sent: its answer's index must not be kept. */
  private resyncAsked = false;
  private priority: SlotPriority = 'urgent';
  private waitingForSlot: SlotRequest | undefined;
  private request: AbortController | undefined;
  private ownFault = false;
  private answered = false;
  done: Promise<void> = Promise.resolve();

  constructor(
    private readonly options: BlockingWatchOptions<T>,
    parent: AbortSignal,
  ) {
    this.pacer = new WatchPacer(options.rateLimit);
    this.logger = options.logger ?? silentLogger;
    if (parent.aborted) this.controller.abort();
    else
      parent.addEventListener('abort', () => this.controller.abort(), {
        once: true,
        signal: this.controller.signal,
      });
  }

  start(): this {
    this.done = this.loop();
    return this;
  }

  cancel(): void {
    this.controller.abort();
  }

  /**
   * Reads again from index 0 at the front of the line, dropping a request in flight (it may be
   * held on an index the server no longer has).
   */
  resync(): void {
    this.index = 0n;
    this.resyncAsked = true;
    this.priority = 'urgent';
    this.pacer.hint();
    this.waitingForSlot?.promote();
    this.request?.abort();
  }

  /** The service is known to have changed: if waiting for a token or a slot, go first. */
  hint(): void {
    this.pacer.hint();
    this.waitingForSlot?.promote();
  }

  private async loop(): Promise<void> {
    const signal = this.controller.signal;
    while (!signal.aborted) {
      if (this.early) await this.pacer.beforeReread(signal);
      this.early = false;
      const ticket = await this.options.gate.enter(signal);
      if (!ticket) break;
      const release = await this.slot(signal);
      if (!release) {
        this.options.gate.abandon(ticket);
        break;
      }
      if (!this.options.gate.admits(ticket)) {
        // The gate closed while this watch waited for a slot: wait at the gate again, or an
        // outage would cost one failed request per queued watch instead of one probe.
        release();
        continue;
      }
      await this.readOnce(ticket, release);
    }
  }

  private async slot(signal: AbortSignal): Promise<(() => void) | undefined> {
    const slots = this.options.slots;
    if (!slots) return () => undefined;
    this.waitingForSlot = slots.request(this.priority, signal);
    try {
      return await this.waitingForSlot.granted;
    } finally {
      this.waitingForSlot = undefined;
    }
  }

  private async readOnce(ticket: GateTicket, release: () => void): Promise<void> {
    const signal = this.controller.signal;
    const request = new AbortController();
    const forward = () => request.abort();
    signal.addEventListener('abort', forward, { once: true });
    this.request = request;
    // A probe asks for an answer now: held on an unchanged index, it would keep the gate closed
    // for a whole wait though Consul is back. Its answer is a read from 0, a resync in itself.
    const index = ticket.probe ? 0n : this.index;
    this.resyncAsked = false;
    const waitMs = this.options.waitMs();
    const sentAt = performance.now();
    let answer: ConsulAnswer<T> | undefined;
    let failure: unknown;
    try {
      answer = await this.options.fetch(index, waitMs, request.signal);
    } catch (error) {
      failure = error;
    } finally {
      release();
      signal.removeEventListener('abort', forward);
      this.request = undefined;
    }
    if (!answer) {
      if (request.signal.aborted) {
        // Cancelled, or a resync dropped this request: neither says anything about Consul.
        this.options.gate.abandon(ticket);
        return;
      }
      const fault =
        failure instanceof ConsulFault
          ? failure
          : new ConsulFault('invalid', String(failure), this.options.name);
      if (fault.kind !== 'rejected') {
        this.options.gate.failed(ticket, fault);
        return;
      }
      // Consul answered; it is this request it refuses.
      this.options.gate.succeeded(ticket);
      this.failAlone(fault);
      await sleep(this.ownBackoff.next(), signal);
      return;
    }
    this.options.gate.succeeded(ticket);
    this.recoverAlone();
    // A read from 0 answers at once by design; a blocking one that did is a wake-up.
    this.early = index > 0n && answeredEarly(performance.now() - sentAt, waitMs);
    // A resync asked during the request wins over the index this answer carries (the probe's own
    // answer, read from 0, is the resync its success asks for).
    const resyncAsked = this.resyncAsked && !ticket.probe;
    this.resyncAsked = false;
    const step = nextIndex(index, answer.index);
    this.index = resyncAsked ? 0n : step.next;
    this.priority = resyncAsked || step.reset ? 'urgent' : 'routine';
    if (step.reset)
      this.logger.info({ watch: this.options.name }, 'Consul index went backwards; reading again from 0');
    try {
      if (step.moved || !this.answered) {
        this.answered = true;
        this.options.onAnswer(answer.body, step);
      }
      this.options.onConfirmed?.(answer.knownLeader);
    } catch (error) {
      this.logger.error({ err: error, watch: this.options.name }, 'handling a Consul answer failed');
    }
  }

  private failAlone(fault: ConsulFault): void {
    if (!this.ownFault)
      this.logger.error({ watch: this.options.name, reason: fault.message }, 'Consul refuses this request');
    this.ownFault = true;
    this.options.onOwnFault?.(fault);
  }

  private recoverAlone(): void {
    if (!this.ownFault) return;
    this.ownFault = false;
    this.ownBackoff.reset();
    this.options.onOwnFault?.(undefined);
  }
}
