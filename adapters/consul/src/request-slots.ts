/** `urgent`: first reads, resyncs and services known to have changed; `routine`: the rotation. */
export type SlotPriority = 'urgent' | 'routine';

/** A place in line for a request slot. */
export interface SlotRequest {
  /** Resolves with the release function once a slot is granted, or undefined if the signal aborted first. */
  readonly granted: Promise<(() => void) | undefined>;
  /** Moves a waiting request to the front of the line (a service known to have changed). */
  promote(): void;
}

interface Waiter {
  readonly grant: (release: (() => void) | undefined) => void;
  priority: SlotPriority;
}

/**
 * A bound on the requests open to Consul at once, shared by every health watch: a slot is held
 * for the whole of a request, blocking included. Waiters are served first come, first served,
 * urgent ones before routine ones.
 */
export class RequestSlots {
  private inUse = 0;
  private readonly urgent: Waiter[] = [];
  private readonly routine: Waiter[] = [];

  constructor(private size: number) {}

  get capacity(): number {
    return this.size;
  }

  /** Changes the bound; requests already out keep their slots until they finish. */
  resize(capacity: number): void {
    this.size = capacity;
    this.dispatch();
  }

  get waiting(): number {
    return this.urgent.length + this.routine.length;
  }

  request(priority: SlotPriority, signal: AbortSignal): SlotRequest {
    let waiter: Waiter | undefined;
    const granted = new Promise<(() => void) | undefined>((resolve) => {
      if (signal.aborted) return resolve(undefined);
      if (this.inUse < this.size && this.waiting === 0) return resolve(this.take());
      const onAbort = () => {
        this.remove(waiter as Waiter);
        resolve(undefined);
      };
      waiter = {
        priority,
        grant: (release) => {
          signal.removeEventListener('abort', onAbort);
          resolve(release);
        },
      };
      this.queue(priority).push(waiter);
      signal.addEventListener('abort', onAbort, { once: true });
    });
    return {
      granted,
      promote: () => {
        if (!waiter || waiter.priority === 'urgent' || !this.remove(waiter)) return;
        waiter.priority = 'urgent';
        this.urgent.push(waiter);
      },
    };
  }

  private take(): () => void {
    this.inUse += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.inUse -= 1;
      this.dispatch();
    };
  }

  private dispatch(): void {
    while (this.inUse < this.size) {
      const next = this.urgent.shift() ?? this.routine.shift();
      if (!next) return;
      next.grant(this.take());
    }
  }

  private queue(priority: SlotPriority): Waiter[] {
    return priority === 'urgent' ? this.urgent : this.routine;
  }

  private remove(waiter: Waiter): boolean {
    const queue = this.queue(waiter.priority);
    const index = queue.indexOf(waiter);
    if (index < 0) return false;
    queue.splice(index, 1);
    return true;
  }
}
