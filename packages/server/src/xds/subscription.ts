import { createHash } from 'node:crypto';
import type { SubscribedNames } from '@sextant/envoy';
/**
 * What one client asked for, for one resource type on one stream: a wildcard ("everything you
 * have for me"), a set of names, or both. Shared by the SotW and delta protocols, which only
 * differ in how a request changes it; each method documents the protocol rule it implements.
 */

/** The explicit wildcard name (xDS, Envoy 1.21+): subscribes to every resource of the type. */
export const WILDCARD = '*';

export interface SubscriptionChange {
  /** Names newly subscribed to by name. */
  readonly added: readonly string[];
  /** Names no longer subscribed to by name. */
  readonly removed: readonly string[];
  /** The wildcard was turned on or off. */
  readonly wildcardChanged: boolean;
}

const NO_CHANGE: SubscriptionChange = { added: [], removed: [], wildcardChanged: false };

/**
 * Names subscribed to, with their digest. A set from a SotW list is never changed once made (a
 * change makes another; the index and the render cache share it between streams); a delta
 * subscription's set is its own and changes in place (OwnNameSet).
 */
export class NameSet {
  protected namesDigest: string | undefined;
  /** `digest()` marked wildcard or not, as Subscription.digest() gives it: made once, shared. */
  protected marked: { readonly wildcard: string; readonly named: string } | undefined;

  constructor(readonly names: ReadonlySet<string>) {}

  /** A short digest of the sorted names (a set may hold thousands), computed once. */
  digest(): string {
    if (this.namesDigest === undefined) {
      const hash = createHash('sha256');
      for (const name of [...this.names].sort()) hash.update(name).update('\n');
      this.namesDigest = hash.digest('base64url').slice(0, 22);
    }
    return this.namesDigest;
  }

  /** The digest of a subscription to these names, with or without the wildcard. */
  subscriptionDigest(wildcard: boolean): string {
    this.marked ??= { wildcard: `*${this.digest()}`, named: `-${this.digest()}` };
    return wildcard ? this.marked.wildcard : this.marked.named;
  }
}

/**
 * The names of one delta subscription, changed in place as requests subscribe and unsubscribe:
 * a request costs what it names, not the size of the set (a stream may hold 100,000 names and
 * add a hundred at a time). Never shared; its digest is computed again after a change, when a
 * snapshot is pushed, not per request.
 */
export class OwnNameSet extends NameSet {
  private readonly own: Set<string>;

  constructor() {
    const own = new Set<string>();
    super(own);
    this.own = own;
  }

  /** False if it was already there. */
  add(name: string): boolean {
    if (this.own.has(name)) return false;
    this.own.add(name);
    this.changed();
    return true;
  }

  /** False if it was not there. */
  delete(name: string): boolean {
    if (!this.own.delete(name)) return false;
    this.changed();
    return true;
  }

  private changed(): void {
    this.namesDigest = undefined;
    this.marked = undefined;
  }
}

const NO_NAMES = new NameSet(new Set());

/**
 * One NameSet per name list array: SotW requests that repeat a list seen recently carry the
 * very same (frozen) array (RecentNameLists), so a fleet subscribing alike holds one set and one
 * digest instead of one per stream. Other lists get a set of their own.
 */
export class SharedNameSets {
  private readonly byList = new WeakMap<readonly string[], NameSet>();

  of(list: readonly string[]): NameSet {
    if (!Object.isFrozen(list)) return new NameSet(withoutWildcard(list));
    let set = this.byList.get(list);
    if (!set) {
      set = new NameSet(withoutWildcard(list));
      this.byList.set(list, set);
    }
    return set;
  }
}

function withoutWildcard(list: readonly string[]): Set<string> {
  const names = new Set(list);
  names.delete(WILDCARD);
  return names;
}

export class Subscription implements SubscribedNames {
  private wildcard: boolean;
  /**
   * The client has only ever sent empty name lists, the legacy way of asking for everything
   * (LDS and CDS only). The first non-empty list ends the legacy behaviour for good.
   */
  private legacyWildcard: boolean;
  /** A delta subscription's is an OwnNameSet, changed in place; a SotW one's is replaced. */
  private nameSet: NameSet = NO_NAMES;
  /** The last SotW list as sent: clients repeat it with every ACK, so an equal list is recognised cheaply. */
  private lastList: readonly string[] = [];

  private constructor(
    legacyWildcard: boolean,
    private readonly sets: SharedNameSets,
  ) {
    this.wildcard = legacyWildcard;
    this.legacyWildcard = legacyWildcard;
  }

  /**
   * A SotW subscription from the first request of its type on a stream. An empty list is the
   * legacy wildcard, but only for types that support wildcards (listeners and clusters): an Envoy
   * that has no cluster yet may send an empty EDS list, which asks for nothing.
   */
  static sotw(
    names: readonly string[],
    wildcardCapable: boolean,
    sets: SharedNameSets = new SharedNameSets(),
  ): Subscription {
    const subscription = new Subscription(wildcardCapable && names.length === 0, sets);
    subscription.setNames(names);
    return subscription;
  }

  /** A delta subscription from the first request of its type on a stream (same legacy rule as SotW). */
  static delta(
    subscribe: readonly string[],
    unsubscribe: readonly string[],
    wildcardCapable: boolean,
  ): Subscription {
    const subscription = new Subscription(wildcardCapable && subscribe.length === 0, new SharedNameSets());
    subscription.nameSet = new OwnNameSet();
    subscription.update(subscribe, unsubscribe);
    return subscription;
  }

  /**
   * SotW: every request carries the whole list, which replaces the previous one. An empty list
   * keeps a legacy wildcard a wildcard; otherwise the wildcard holds only while `*` is listed
   * (a client moving from legacy wildcard to names must list `*` to keep it).
   */
  setNames(list: readonly string[]): SubscriptionChange {
    if (this.legacyWildcard) {
      if (list.length === 0) return NO_CHANGE;
      this.legacyWildcard = false;
    } else if (sameList(list, this.lastList)) {
      return NO_CHANGE;
    }
    this.lastList = list;
    const nextSet = this.sets.of(list);
    const wildcard = list.includes(WILDCARD);
    const wildcardChanged = wildcard !== this.wildcard;
    this.wildcard = wildcard;
    if (nextSet === this.nameSet) return { added: [], removed: [], wildcardChanged };
    const before = this.nameSet.names;
    const next = nextSet.names;
    const added = [...next].filter((name) => !before.has(name));
    const removed = [...before].filter((name) => !next.has(name));
    if (added.length > 0 || removed.length > 0) this.nameSet = nextSet;
    return { added, removed, wildcardChanged };
  }

  /**
   * Delta: requests carry changes. Subscribing to names ends the legacy behaviour but keeps the
   * wildcard (only unsubscribing from `*` drops it); subscribing and unsubscribing `*` turn the
   * wildcard on and off. Unsubscribing a name that a wildcard still covers keeps the resource
   * (the caller answers with its current state). The set changes in place: the names are this
   * subscription's own, and the index is told what came and went (SubscriptionIndex.namesChanged).
   */
  update(subscribe: readonly string[], unsubscribe: readonly string[]): SubscriptionChange {
    const names = this.nameSet;
    if (!(names instanceof OwnNameSet))
      throw new Error('update() is the delta protocol: a SotW subscription changes by setNames()');
    if (this.legacyWildcard && subscribe.length > 0) this.legacyWildcard = false;
    if (subscribe.length === 0 && unsubscribe.length === 0) return NO_CHANGE;
    const before = this.wildcard;
    const added: string[] = [];
    const removed: string[] = [];
    for (const name of subscribe) {
      if (name === WILDCARD) this.wildcard = true;
      else if (names.add(name)) added.push(name);
    }
    for (const name of unsubscribe) {
      if (name === WILDCARD) this.wildcard = false;
      else if (names.delete(name)) removed.push(name);
    }
    return { added, removed, wildcardChanged: before !== this.wildcard };
  }

  isWildcard(): boolean {
    return this.wildcard;
  }

  /** Names subscribed to explicitly (a wildcard subscription may name some as well). */
  resourceNames(): ReadonlySet<string> {
    return this.nameSet.names;
  }

  /** The set of names, shared with the subscriptions that sent the same list. */
  names(): NameSet {
    return this.nameSet;
  }

  /** Whether a resource of this name is wanted, by name or through the wildcard. */
  wants(name: string): boolean {
    return this.wildcard || this.nameSet.names.has(name);
  }

  /**
   * A short digest of what is subscribed (the wildcard flag and the names, in any order), shared
   * with the subscriptions of the same names: subscriptions with equal digests receive equal
   * responses from equal resource sets, so subscribed groups are cached by it.
   */
  digest(): string {
    return this.nameSet.subscriptionDigest(this.wildcard);
  }

  /** How many names it subscribes to by name. */
  get size(): number {
    return this.nameSet.names.size;
  }
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  // Requests repeating a list seen recently carry the very same array (RecentNameLists).
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i += 1) if (a[i] !== b[i]) return false;
  return true;
}
