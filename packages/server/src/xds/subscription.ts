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

export class Subscription implements SubscribedNames {
  private wildcard: boolean;
  /**
   * The client has only ever sent empty name lists, the legacy way of asking for everything
   * (LDS and CDS only). The first non-empty list ends the legacy behaviour for good.
   */
  private legacyWildcard: boolean;
  private names = new Set<string>();
  private keyDigest: string | undefined;
  /** The last SotW list as sent: clients repeat it with every ACK, so an equal list is recognised cheaply. */
  private lastList: readonly string[] = [];

  private constructor(legacyWildcard: boolean) {
    this.wildcard = legacyWildcard;
    this.legacyWildcard = legacyWildcard;
  }

  /**
   * A SotW subscription from the first request of its type on a stream. An empty list is the
   * legacy wildcard, but only for types that support wildcards (listeners and clusters): an Envoy
   * that has no cluster yet may send an empty EDS list, which asks for nothing.
   */
  static sotw(names: readonly string[], wildcardCapable: boolean): Subscription {
    const subscription = new Subscription(wildcardCapable && names.length === 0);
    subscription.setNames(names);
    return subscription;
  }

  /** A delta subscription from the first request of its type on a stream (same legacy rule as SotW). */
  static delta(
    subscribe: readonly string[],
    unsubscribe: readonly string[],
    wildcardCapable: boolean,
  ): Subscription {
    const subscription = new Subscription(wildcardCapable && subscribe.length === 0);
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
    const next = new Set(list.filter((name) => name !== WILDCARD));
    const wildcard = list.includes(WILDCARD);
    const added = [...next].filter((name) => !this.names.has(name));
    const removed = [...this.names].filter((name) => !next.has(name));
    const wildcardChanged = wildcard !== this.wildcard;
    this.wildcard = wildcard;
    if (added.length > 0 || removed.length > 0) this.names = next;
    if (added.length > 0 || removed.length > 0 || wildcardChanged) this.invalidateKey();
    return { added, removed, wildcardChanged };
  }

  /**
   * Delta: requests carry changes. Subscribing to names ends the legacy behaviour but keeps the
   * wildcard (only unsubscribing from `*` drops it); subscribing and unsubscribing `*` turn the
   * wildcard on and off. Unsubscribing a name that a wildcard still covers keeps the resource
   * (the caller answers with its current state).
   */
  update(subscribe: readonly string[], unsubscribe: readonly string[]): SubscriptionChange {
    if (this.legacyWildcard && subscribe.length > 0) this.legacyWildcard = false;
    const before = this.wildcard;
    const added: string[] = [];
    const removed: string[] = [];
    for (const name of subscribe) {
      if (name === WILDCARD) this.wildcard = true;
      else if (!this.names.has(name)) {
        this.names.add(name);
        added.push(name);
      }
    }
    for (const name of unsubscribe) {
      if (name === WILDCARD) this.wildcard = false;
      else if (this.names.delete(name)) removed.push(name);
    }
    const wildcardChanged = before !== this.wildcard;
    if (added.length > 0 || removed.length > 0 || wildcardChanged) this.invalidateKey();
    return { added, removed, wildcardChanged };
  }

  isWildcard(): boolean {
    return this.wildcard;
  }

  /** Names subscribed to explicitly (a wildcard subscription may name some as well). */
  resourceNames(): ReadonlySet<string> {
    return this.names;
  }

  /** Whether a resource of this name is wanted, by name or through the wildcard. */
  wants(name: string): boolean {
    return this.wildcard || this.names.has(name);
  }

  /**
   * A canonical text of what is subscribed: subscriptions with equal keys receive equal
   * responses from equal resource sets, so response bodies are cached by it.
   */
  key(): string {
    return `${this.wildcard ? '*' : ''}\n${[...this.names].sort().join('\n')}`;
  }

  /** A short digest of `key()`, kept until the subscription changes (a key may list thousands of names). */
  digest(): string {
    if (this.keyDigest === undefined) {
      const hash = createHash('sha256').update(this.wildcard ? '*' : '');
      for (const name of [...this.names].sort()) hash.update('\n').update(name);
      this.keyDigest = hash.digest('base64url').slice(0, 22);
    }
    return this.keyDigest;
  }

  /** How many names it subscribes to by name. */
  get size(): number {
    return this.names.size;
  }

  private invalidateKey(): void {
    this.keyDigest = undefined;
  }
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i += 1) if (a[i] !== b[i]) return false;
  return true;
}
