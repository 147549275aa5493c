/** Shortest wait a rotating blocking query asks for: below it, rotation is polling in disguise. */
const MIN_ROTATING_WAIT_MS = 250;

interface Waiter {
  readonly grant: () => void;
}

/**
 * A watch's standing in the line for slots. A hint (the event stream says its service changed)
 * makes it urgent: a request it has waiting moves ahead of the rotation, and so does the next one
 * until a read is done.
 */
export class Standing {
  private hinted = false;
  private promoteWaiting: (() => void) | undefined;

  get urgent(): boolean {
    return this.hinted;
  }

  hint(): void {
    this.hinted = true;
    this.promoteWaiting?.();
  }

  /** A read was answered: the hint is spent. */
  served(): void {
    this.hinted = false;
  }

  /** While a request waits in line: how to move it ahead. Returns the call for when it stops waiting. */
  waiting(promote: () => void): () => void {
    this.promoteWaiting = promote;
    return () => {
      if (this.promoteWaiting === promote) this.promoteWaiting = undefined;
    };
  }
}

/**
 * Bounds the requests (and so the connections) open to Nomad at once. Each watch holds a slot
 * for the whole of its blocking query, and Nomad refuses one client IP more than 100 connections
 * by default, so with more watches than slots the watches take turns: waiting ones queue first
 * in, first out (urgent ones, whose service is known to have changed, first), and blocking
 * queries ask for a wait short enough that every watch comes round within `maxStalenessMs`. With
 * as many slots as watches, every query waits the full time.
 */
export class RequestSlots {
  private active = 0;
  private watches = 0;
  private readonly urgent: Waiter[] = [];
  private readonly routine: Waiter[] = [];

  constructor(
    readonly size: number,
    private readonly maxStalenessMs: number,
  ) {}

  /** Counts a watch sharing the slots; returns its leave. */
  join(): () => void {
    this.watches += 1;
    let left = false;
    return () => {
      if (left) return;
      left = true;
      this.watches -= 1;
    };
  }

  /** The wait a blocking query should ask for, given how many watches share the slots now. */
  waitMs(configuredMs: number): number {
    if (this.watches <= this.size) return configuredMs;
    const turn = (this.maxStalenessMs * this.size) / this.watches;
    return Math.min(configuredMs, Math.max(MIN_ROTATING_WAIT_MS, Math.round(turn)));
  }

  /** Waits for a slot; resolves its release, or undefined if `signal` aborts first. */
  acquire(signal: AbortSignal, standing?: Standing): Promise<(() => void) | undefined> {
    if (signal.aborted) return Promise.resolve(undefined);
    if (this.active < this.size) {
      this.active += 1;
      return Promise.resolve(this.releaser());
    }
    return new Promise((resolve) => {
      let stopWaiting = (): void => undefined;
      const waiter: Waiter = {
        grant: () => {
          stopWaiting();
          signal.removeEventListener('abort', onAbort);
          resolve(this.releaser());
        },
      };
      const onAbort = (): void => {
        stopWaiting();
        this.remove(waiter);
        resolve(undefined);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      (standing?.urgent ? this.urgent : this.routine).push(waiter);
      if (standing) {
        stopWaiting = standing.waiting(() => {
          if (this.routine.includes(waiter)) {
            this.remove(waiter);
            this.urgent.push(waiter);
          }
        });
      }
    });
  }

  /** Requests in flight. */
  inUse(): number {
    return this.active;
  }

  private remove(waiter: Waiter): void {
    for (const queue of [this.urgent, this.routine]) {
      const at = queue.indexOf(waiter);
      if (at >= 0) queue.splice(at, 1);
    }
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.urgent.shift() ?? this.routine.shift();
      // The slot passes straight to the next waiter; otherwise it is free.
      if (next) next.grant();
      else this.active -= 1;
    };
  }
}
