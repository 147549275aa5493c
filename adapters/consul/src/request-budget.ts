import { RequestSlots } from './request-slots';

export interface BudgetSettings {
  /** Requests open to Consul at once, all watches together. */
  readonly maxConcurrentRequests: number;
  /** The wait a health watch asks for when it can hold its slot. */
  readonly waitMs: number;
  /** The bound on how long a service may go unread when there are more services than slots. */
  readonly maxStalenessMs: number;
}

/** Control watches per datacenter kept out of the health slots: the catalog and up to two accelerators. */
export const CONTROL_REQUESTS_PER_DATACENTER = 3;

/**
 * Shares the bounded request slots among health watches (docs/adapters/consul.md, "Many
 * services, few sockets"). With no more watches than slots, each holds its blocking query for the
 * full `wait` and sees changes at once. With more, they rotate through the slots in turn, and the
 * wait each asks for shrinks to `maxStaleness × slots / watches`, so every service is read again
 * within `maxStaleness`; waits never go below min(1 s, maxStaleness), which bounds the request rate
 * (at most slots / 1 s) at the price of a longer round when the catalog is very large.
 */
export class RequestBudget {
  readonly slots: RequestSlots;
  private watchCount = 0;
  private readonly listeners = new Set<() => void>();
  private wasOversubscribed = false;
  private datacenters = 1;
  /** Blocking watches of rule origins (a KV prefix), each holding one request open. */
  private ruleWatches = 0;

  constructor(private readonly settings: BudgetSettings) {
    this.slots = new RequestSlots(this.healthCapacity());
  }

  /** Keeps the control requests of `datacenters` datacenters (and one for the datacenter list) out of the health slots. */
  reserveFor(datacenters: number): void {
    this.datacenters = Math.max(1, datacenters);
    this.slots.resize(this.healthCapacity());
    this.changed();
  }

  /** Keeps the request of one more rule watch out of the health slots. */
  reserveRuleWatch(): void {
    this.ruleWatches += 1;
    this.slots.resize(this.healthCapacity());
    this.changed();
  }

  private healthCapacity(): number {
    const control = 1 + CONTROL_REQUESTS_PER_DATACENTER * this.datacenters + this.ruleWatches;
    return Math.max(1, this.settings.maxConcurrentRequests - control);
  }

  get watches(): number {
    return this.watchCount;
  }

  /** More health watches than slots: they rotate, and an accelerator pays off. */
  get oversubscribed(): boolean {
    return this.watchCount > this.slots.capacity;
  }

  addWatch(): void {
    this.watchCount += 1;
    this.changed();
  }

  removeWatch(): void {
    this.watchCount -= 1;
    this.changed();
  }

  /** The wait a health watch should ask for now. */
  healthWaitMs(): number {
    if (!this.oversubscribed) return this.settings.waitMs;
    const floor = Math.min(1000, this.settings.maxStalenessMs);
    const share = (this.settings.maxStalenessMs * this.slots.capacity) / this.watchCount;
    return Math.min(this.settings.waitMs, Math.max(floor, Math.floor(share)));
  }

  /** How long a change may go unseen by its watch (without an accelerator's hint): 0 when every watch holds a slot. */
  stalenessBoundMs(): number {
    if (!this.oversubscribed) return 0;
    return Math.ceil(this.watchCount / this.slots.capacity) * this.healthWaitMs();
  }

  /** Whether the rotation can keep the `maxStaleness` promise (it cannot once waits hit their 1 s floor). */
  get keepsMaxStaleness(): boolean {
    return this.stalenessBoundMs() <= this.settings.maxStalenessMs + this.healthWaitMs();
  }

  /** Calls `listener` when `oversubscribed` flips. */
  onOversubscription(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(): void {
    const now = this.oversubscribed;
    if (now === this.wasOversubscribed) return;
    this.wasOversubscribed = now;
    for (const listener of this.listeners) listener();
  }
}
