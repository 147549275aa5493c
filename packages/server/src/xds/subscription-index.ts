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
  /** Each dependency of the set's names, with how many of its names have it. */
  readonly dependencies: Map<Dependency, number>;
  readonly subscribers: Set<S>;
}

/**
 * The sets filed under one dependency: one set alone (most dependencies: a delta stream naming
 * 100,000 made-up names has as many, each its own), or several. An empty Set costs ~300 bytes.
 */
type Filed<S> = Holders<S> | Set<Holders<S>>;

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
  private readonly named = new Map<Dependency, Filed<S>>();
  private readonly bySet = new Map<ResourceTypeUrl, Map<NameSet, Holders<S>>>();
  private readonly memberOf = new Map<S, Holders<S>>();
  private readonly wildcards = new Set<S>();
  private readonly all = new Set<S>();
  /** resourceDependency, remembered: a fleet subscribes to the same names again and again. */
  private readonly dependencies = new Map<ResourceTypeUrl, Map<string, Dependency>>();

  /** Records a new subscriber or a change to what an existing one subscribes to (a set replaced by another). */
  update(subscriber: S): void {
    this.all.add(subscriber);
    const { subscription } = subscriber;
    const set = subscription.names();
    const current = this.memberOf.get(subscriber);
    if (current?.set !== set) {
      if (current) this.leave(subscriber, current);
      if (set.names.size > 0) this.join(subscriber, set);
    }
    this.updateWildcard(subscriber);
  }

  /**
   * Records a change made in place to the set a subscriber holds (a delta subscription's own):
   * the entries of the names that came and went change, the others are not looked at.
   */
  namesChanged(subscriber: S, added: readonly string[], removed: readonly string[]): void {
    const current = this.memberOf.get(subscriber);
    const set = subscriber.subscription.names();
    if (current?.set !== set) {
      this.update(subscriber);
      return;
    }
    if (set.names.size === 0) {
      this.leave(subscriber, current);
    } else {
      for (const name of added) this.count(current, this.dependencyOf(current.typeUrl, name), 1);
      for (const name of removed) this.count(current, this.dependencyOf(current.typeUrl, name), -1);
    }
    this.updateWildcard(subscriber);
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
      const filed = this.named.get(dependency);
      if (!filed) continue;
      for (const holders of filed instanceof Set ? filed : [filed]) {
        for (const subscriber of holders.subscribers) result.add(subscriber);
      }
    }
    return result;
  }

  private updateWildcard(subscriber: S): void {
    if (subscriber.subscription.isWildcard()) this.wildcards.add(subscriber);
    else this.wildcards.delete(subscriber);
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
      holders = { typeUrl, set, dependencies: new Map(), subscribers: new Set() };
      sets.set(set, holders);
      for (const name of set.names) this.count(holders, this.dependencyOf(typeUrl, name), 1);
    }
    holders.subscribers.add(subscriber);
    this.memberOf.set(subscriber, holders);
  }

  /** One name of the set more (or fewer) with this dependency; the set is filed under it while any has it. */
  private count(holders: Holders<S>, dependency: Dependency, by: 1 | -1): void {
    const count = (holders.dependencies.get(dependency) ?? 0) + by;
    if (count > 0) {
      if (count === 1 && by === 1) this.file(dependency, holders);
      holders.dependencies.set(dependency, count);
      return;
    }
    holders.dependencies.delete(dependency);
    this.unfile(dependency, holders);
  }

  private file(dependency: Dependency, holders: Holders<S>): void {
    const filed = this.named.get(dependency);
    if (!filed) this.named.set(dependency, holders);
    else if (filed instanceof Set) filed.add(holders);
    else if (filed !== holders) this.named.set(dependency, new Set([filed, holders]));
  }

  private unfile(dependency: Dependency, holders: Holders<S>): void {
    const filed = this.named.get(dependency);
    if (filed === holders) this.named.delete(dependency);
    else if (filed instanceof Set) {
      filed.delete(holders);
      if (filed.size === 1) this.named.set(dependency, filed.values().next().value as Holders<S>);
    }
  }

  /** A subscriber leaves its set; the set leaves the index with its last subscriber. */
  private leave(subscriber: S, holders: Holders<S>): void {
    holders.subscribers.delete(subscriber);
    this.memberOf.delete(subscriber);
    if (holders.subscribers.size > 0) return;
    this.bySet.get(holders.typeUrl)?.delete(holders.set);
    for (const dependency of holders.dependencies.keys()) this.unfile(dependency, holders);
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
