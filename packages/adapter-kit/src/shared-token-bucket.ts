import { systemClock, type Clock } from './clock';

/** Where a request waits for its token: `urgent` ones (known to carry a change) before `routine` ones. */
export type Lane = 'urgent' | 'routine';

/** A request's place in a SharedTokenBucket's line. */
export interface TokenRequest {
  /** Resolves true when the request may go, false when its signal aborted first. */
  readonly granted: Promise<boolean>;
  /** Moves a request still waiting to the back of the urgent lane. */
  promote(): void;
}

interface Waiter {
  lane: Lane;
  readonly grant: () => void;
}

const GRANTED: TokenRequest = { granted: Promise.resolve(true), promote: () => undefined };
const REFUSED: TokenRequest = { granted: Promise.resolve(false), promote: () => undefined };

/**
 * One token bucket for every watch of an adapter: the adapter's bound on the requests its
 * watches send to the platform, whichever watches send them. `burst` requests go back to back,
 * then one per `intervalMs`; an idle bucket earns its burst back.
 *
 * Spreading one budget across the watches, rather than giving each its own, is what lets a watch
 * woken many times in a row by writes that change nothing (Consul and Nomad wake watchers for
 * those) keep listening: it draws on what the adapter as a whole has left, not on a small
 * allowance of its own that the wake-ups used up just before a real change arrives.
 *
 * Requests that find the bucket empty wait in line, first come first served. A watch has one
 * request at a time, so the line is round robin between watches: a storm of wake-ups on k
 * watches delays another watch's request by at most k tokens, and nobody starves. Urgent
 * requests (a side channel says they carry a change) go before the line; they are as rare as
 * real changes.
 */
export class SharedTokenBucket {
  /** Tokens in the bucket, fractional while one is being earned. */
  private tokens: number;
  private updatedAt: number;
  private readonly lanes: Record<Lane, Waiter[]> = { urgent: [], routine: [] };
  /** Stops the loop that hands out tokens to waiters; set while there are any. */
  private dispatcher: AbortController | undefined;

  constructor(
    readonly burst: number,
    readonly intervalMs: number,
    private readonly clock: Clock = systemClock,
  ) {
    this.tokens = burst;
    this.updatedAt = clock.now();
  }

  /** Requests waiting for a token. */
  get waiting(): number {
    return this.lanes.urgent.length + this.lanes.routine.length;
  }

  /**
   * Asks for a token: granted at once while the bucket has one and nobody waits, else when its
   * turn comes. A waiter whose signal aborts leaves the line (and takes no token).
   */
  request(signal: AbortSignal, lane: Lane = 'routine'): TokenRequest {
    if (signal.aborted) return REFUSED;
    if (this.waiting === 0 && this.takeNow()) return GRANTED;
    let waiter: Waiter | undefined;
    const granted = new Promise<boolean>((resolve) => {
      const onAbort = (): void => {
        if (waiter) this.leave(waiter);
        resolve(false);
      };
      waiter = {
        lane,
        grant: () => {
          signal.removeEventListener('abort', onAbort);
          resolve(true);
        },
      };
      this.lanes[lane].push(waiter);
      signal.addEventListener('abort', onAbort, { once: true });
    });
    void this.dispatch();
    return {
      granted,
      promote: () => {
        if (!waiter || waiter.lane === 'urgent' || !this.leave(waiter)) return;
        waiter.lane = 'urgent';
        this.lanes.urgent.push(waiter);
        void this.dispatch();
      },
    };
  }

  private takeNow(): boolean {
    const now = this.clock.now();
    this.tokens =
      this.intervalMs > 0
        ? Math.min(this.burst, this.tokens + (now - this.updatedAt) / this.intervalMs)
        : this.burst;
    this.updatedAt = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Hands out tokens to waiters as they are earned, until nobody waits. */
  private async dispatch(): Promise<void> {
    if (this.dispatcher) return;
    const stop = new AbortController();
    this.dispatcher = stop;
    while (!stop.signal.aborted) {
      const next = this.lanes.urgent[0] ?? this.lanes.routine[0];
      if (!next) break;
      if (this.takeNow()) {
        this.leave(next);
        next.grant();
        continue;
      }
      // Rounded up, so the wake-up finds the token earned rather than spinning just short of it.
      await this.clock.sleep(Math.ceil((1 - this.tokens) * this.intervalMs), stop.signal);
    }
    if (this.dispatcher === stop) this.dispatcher = undefined;
  }

  /** Takes a waiter out of its lane; says whether it was there. The last one out stops the dispatcher. */
  private leave(waiter: Waiter): boolean {
    const lane = this.lanes[waiter.lane];
    const at = lane.indexOf(waiter);
    if (at < 0) return false;
    lane.splice(at, 1);
    if (this.waiting === 0 && this.dispatcher) {
      // Its pending sleep ends now: nothing is left scheduled once nobody waits.
      this.dispatcher.abort();
      this.dispatcher = undefined;
    }
    return true;
  }
}
