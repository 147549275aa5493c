import { Backoff } from '@sextant/adapter-kit';
import type { ConsulFault } from './consul-fault';

/** A permission to send one request; `probe` marks the one request let through while failing. */
export interface GateTicket {
  readonly probe: boolean;
  readonly epoch: number;
}

export interface GateListener {
  /** Requests are failing with `fault`; the next probe goes in `retryInMs`. */
  failing(fault: ConsulFault, retryInMs: number): void;
  /** A probe succeeded after a failure: requests flow again. */
  recovered(): void;
}

export interface GateBackoffs {
  /** After outages (unreachable, timeouts, 429, 5xx). */
  readonly outage: Backoff;
  /** After refusals (403): a token does not fix itself in seconds, and each retry is a denied request logged by Consul. */
  readonly denial: Backoff;
}

export const defaultGateBackoffs = (): GateBackoffs => ({
  outage: new Backoff(500, 30_000),
  denial: new Backoff(5_000, 120_000),
});

interface Failure {
  fault: ConsulFault;
  readonly epoch: number;
  timer: NodeJS.Timeout | undefined;
  /** The backoff delay has passed: the next request may go as the probe. */
  due: boolean;
  probeOut: boolean;
}

interface Waiter {
  readonly grant: (ticket: GateTicket | undefined) => void;
}

/**
 * Shared by every watch of one datacenter, so that a Consul outage costs one request per backoff
 * interval, not one per watch. While requests succeed it lets everything through. The first
 * failure closes it: watches wait, and after a backoff delay (exponential with jitter; slower for a
 * 403) exactly one request goes as the probe. The probe's success reopens it for all; its failure
 * doubles the delay. Failures of requests sent before the gate closed are not counted again.
 */
export class FaultGate {
  private failure: Failure | undefined;
  private epoch = 0;
  private readonly waiters: Waiter[] = [];

  constructor(
    private readonly listener: GateListener,
    private readonly backoffs: GateBackoffs = defaultGateBackoffs(),
  ) {}

  /** The fault the gate is closed for, if it is. */
  get fault(): ConsulFault | undefined {
    return this.failure?.fault;
  }

  /** Resolves when a request may go, or with undefined when `signal` aborts first. */
  enter(signal: AbortSignal): Promise<GateTicket | undefined> {
    if (signal.aborted) return Promise.resolve(undefined);
    const failure = this.failure;
    if (!failure) return Promise.resolve({ probe: false, epoch: this.epoch });
    if (failure.due && !failure.probeOut) {
      failure.probeOut = true;
      return Promise.resolve({ probe: true, epoch: this.epoch });
    }
    return new Promise((resolve) => {
      const onAbort = () => {
        const index = this.waiters.indexOf(waiter);
        if (index >= 0) this.waiters.splice(index, 1);
        resolve(undefined);
      };
      const waiter: Waiter = {
        grant: (ticket) => {
          signal.removeEventListener('abort', onAbort);
          resolve(ticket);
        },
      };
      this.waiters.push(waiter);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  /**
   * Whether a ticket still lets its request go: no, if the gate closed since it was given (its
   * holder waited for a request slot meanwhile) and it is not the current probe.
   */
  admits(ticket: GateTicket): boolean {
    const failure = this.failure;
    return !failure || (ticket.probe && ticket.epoch === failure.epoch);
  }

  succeeded(ticket: GateTicket): void {
    const failure = this.failure;
    // An answer to a request sent before the failure proves nothing about now.
    if (!failure || ticket.epoch < failure.epoch) return;
    clearTimeout(failure.timer);
    this.failure = undefined;
    this.backoffs.outage.reset();
    this.backoffs.denial.reset();
    for (const waiter of this.waiters.splice(0)) waiter.grant({ probe: false, epoch: this.epoch });
    this.listener.recovered();
  }

  failed(ticket: GateTicket, fault: ConsulFault): void {
    const failure = this.failure;
    if (failure && !ticket.probe) {
      // A request that was already out when the gate closed: keep the newest reason, no new delay.
      if (ticket.epoch < failure.epoch) failure.fault = fault;
      return;
    }
    if (!failure) {
      this.epoch += 1;
      this.failure = { fault, epoch: this.epoch, timer: undefined, due: false, probeOut: false };
    } else {
      failure.fault = fault;
      failure.due = false;
      failure.probeOut = false;
    }
    this.schedule(this.failure as Failure);
  }

  /** A ticket used for nothing (its watch was cancelled): a probe's turn passes to the next waiter. */
  abandon(ticket: GateTicket): void {
    const failure = this.failure;
    if (!failure || !ticket.probe || ticket.epoch !== failure.epoch || !failure.probeOut) return;
    failure.probeOut = false;
    if (!failure.due) return;
    const next = this.waiters.shift();
    if (next) {
      failure.probeOut = true;
      next.grant({ probe: true, epoch: this.epoch });
    }
  }

  /** Stops the probe timer and lets every waiter go (with nothing). */
  dispose(): void {
    clearTimeout(this.failure?.timer);
    for (const waiter of this.waiters.splice(0)) waiter.grant(undefined);
  }

  private schedule(failure: Failure): void {
    const backoff = failure.fault.kind === 'denied' ? this.backoffs.denial : this.backoffs.outage;
    const delay = backoff.next();
    clearTimeout(failure.timer);
    failure.timer = setTimeout(() => {
      failure.timer = undefined;
      failure.due = true;
      const next = this.waiters.shift();
      if (next) {
        failure.probeOut = true;
        next.grant({ probe: true, epoch: this.epoch });
      }
    }, delay);
    this.listener.failing(failure.fault, delay);
  }
}
