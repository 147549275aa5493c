import {
  resourceDependency,
  type Dependency,
  type ResourceTypeUrl,
  type SnapshotChange,
} from '@sextant/envoy';
import type { NameSet, Subscription } from './subscription';

/** One stream's subscription to one type, as the index holds it. */
export interface Subscriber {
  readonly typeUrl: ResourceTypeUrl;
  readonly subscription: Subscription;
}

/** The subscribers of one type holding one name set, and what the set's names depend on. */
interface Holders<S> {
  readonly typeUrl: ResourceTypeUrl;
  readonly set: NameSet;
  readonly dependencies: readonly Dependency[];
  readonly subscribers: Set<S>;
}

/**
 * Which subscribers a snapshot change concerns, found without asking every stream: named
 * subscriptions are indexed by what each name depends on (the service or port it is built
 * from, see ResourceType.dependency), wildcard subscriptions are kept apart (a wildcard depends
 * on everything of its type). A change to one service reaches only the streams subscribed to
 * resources built from it.
 *
 * Subscribers are held by name set: a fleet whose proxies subscribe alike shares one set
 * (SharedNameSets), indexed once under its names' dependencies however many streams hold it.
 * A subscriber costs the index a few entries, not one per name.
 */
export class SubscriptionIndex<S extends Subscriber> {
  private readonly named = new Map<Dependency, Set<Holders<S>>>();
  private readonly bySet = new Map<ResourceTypeUrl, Map<NameSet, Holders<S>>>();
  private readonly memberOf = new Map<S, Holders<S>>();
  private readonly wildcards = new Set<S>();
  private readonly all = new Set<S>();
  /** resourceDependency, remembered: a fleet subscribes to the same names again and again. */
  private readonly dependencies = new Map<ResourceTypeUrl, Map<string, Dependency>>();

  /** Records a new subscriber or a change to what an existing one subscribes to. */
  update(subscriber: S): void {
    this.all.add(subscriber);
    const { subscription } = subscriber;
    const set = subscription.names();
    const current = this.memberOf.get(subscriber);
    if (current?.set !== set) {
      if (current) this.leave(subscriber, current);
      if (set.names.size > 0) this.join(subscriber, set);
    }
    if (subscription.isWildcard()) this.wildcards.add(subscriber);
    else this.wildcards.delete(subscriber);
  }

  remove(subscriber: S): void {
    const current = this.memberOf.get(subscriber);
    if (current) this.leave(subscriber, current);
    this.wildcards.delete(subscriber);
    this.all.delete(subscriber);
  }

  get size(): number {
    return this.all.size;
  }

  /** The subscribers `change` may concern. Unrelated snapshots concern everyone. */
  concerned(change: SnapshotChange): Set<S> {
    if (change.everything) return new Set(this.all);
    const result = new Set<S>(this.wildcards);
    for (const dependency of [...change.dependencies, 'any' as const]) {
      for (const holders of this.named.get(dependency) ?? []) {
        for (const subscriber of holders.subscribers) result.add(subscriber);
      }
    }
    return result;
  }

  private join(subscriber: S, set: NameSet): void {
    const { typeUrl } = subscriber;
    let sets = this.bySet.get(typeUrl);
    if (!sets) {
      sets = new Map();
      this.bySet.set(typeUrl, sets);
    }
    let holders = sets.get(set);
    if (!holders) {
      const dependencies = new Set<Dependency>();
      for (const name of set.names) dependencies.add(this.dependencyOf(typeUrl, name));
      holders = { typeUrl, set, dependencies: [...dependencies], subscribers: new Set() };
      sets.set(set, holders);
      for (const dependency of holders.dependencies) {
        let holding = this.named.get(dependency);
        if (!holding) {
          holding = new Set();
          this.named.set(dependency, holding);
        }
        holding.add(holders);
      }
    }
    holders.subscribers.add(subscriber);
    this.memberOf.set(subscriber, holders);
  }

  /** A subscriber leaves its set; the set leaves the index with its last subscriber. */
  private leave(subscriber: S, holders: Holders<S>): void {
    holders.subscribers.delete(subscriber);
    this.memberOf.delete(subscriber);
    if (holders.subscribers.size > 0) return;
    this.bySet.get(holders.typeUrl)?.delete(holders.set);
    for (const dependency of holders.dependencies) {
      const holding = this.named.get(dependency);
      holding?.delete(holders);
      if (holding?.size === 0) this.named.delete(dependency);
    }
  }

  private dependencyOf(typeUrl: ResourceTypeUrl, name: string): Dependency {
    let byName = this.dependencies.get(typeUrl);
    if (!byName) {
      byName = new Map();
      this.dependencies.set(typeUrl, byName);
    }
    let dependency = byName.get(name);
    if (dependency === undefined) {
      // Names come from clients: forgetting them all now and then keeps a hostile client from growing this.
      if (byName.size >= MAX_REMEMBERED_NAMES) byName.clear();
      dependency = resourceDependency(typeUrl, name);
      byName.set(name, dependency);
    }
    return dependency;
  }
}

const MAX_REMEMBERED_NAMES = 100_000;
