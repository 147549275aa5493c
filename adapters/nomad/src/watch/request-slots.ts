/** Shortest wait a rotating blocking query asks for: below it, rotation is polling in disguise. */
const MIN_ROTATING_WAIT_MS = 250;

interface Waiter {
  readonly grant: () => void;
}

/**
 * Bounds the requests (and so the connections) open to Nomad at once. Each watch holds a slot
 * for the whole of its blocking query, and Nomad refuses one client IP more than 100 connections
 * by default, so with more watches than slots the watches take turns: waiting ones queue first
 * in, first out, and blocking queries ask for a wait short enough that every watch comes round
 * within `maxStalenessMs`. With as many slots as watches, every query waits the full time.
 */
export class RequestSlots {
  private active = 0;
  private watches = 0;
  private readonly queue: Waiter[] = [];

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
  acquire(signal: AbortSignal): Promise<(() => void) | undefined> {
    if (signal.aborted) return Promise.resolve(undefined);
    if (this.active < this.size) {
      this.active += 1;
      return Promise.resolve(this.releaser());
    }
    return new Promise((resolve) => {
      const waiter: Waiter = {
        grant: () => {
          signal.removeEventListener('abort', onAbort);
          resolve(this.releaser());
        },
      };
      const onAbort = (): void => {
        const at = this.queue.indexOf(waiter);
        if (at >= 0) this.queue.splice(at, 1);
        resolve(undefined);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.queue.push(waiter);
    });
  }

  /** Requests in flight. */
  inUse(): number {
    return this.active;
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.queue.shift();
      // The slot passes straight to the next waiter; otherwise it is free.
      if (next) next.grant();
      else this.active -= 1;
    };
  }
}
