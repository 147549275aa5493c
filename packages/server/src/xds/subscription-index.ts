import {
  resourceDependency,
  type Dependency,
  type SnapshotChange,
  type ResourceTypeUrl,
} from '@sextant/envoy';
import type { Subscription, SubscriptionChange } from './subscription';

/** One stream's subscription to one type, as the index holds it. */
export interface Subscriber {
  readonly typeUrl: ResourceTypeUrl;
  readonly subscription: Subscription;
}

/** What a snapshot change may concern for one subscriber. */
export interface Concern {
  /** The subscriber is a wildcard: its whole set may have changed. */
  readonly wildcard: boolean;
  /** Names it subscribed to whose resources may have changed. */
  readonly names: ReadonlySet<string>;
}

const dependencies = new Map<ResourceTypeUrl, Map<string, Dependency>>();
const MAX_REMEMBERED = 100_000;

/** resourceDependency, remembered: a fleet subscribes to the same few names again and again. */
function dependencyOf(typeUrl: ResourceTypeUrl, name: string): Dependency {
  let byName = dependencies.get(typeUrl);
  if (!byName) {
    byName = new Map();
    dependencies.set(typeUrl, byName);
  }
  let dependency = byName.get(name);
  if (dependency === undefined) {
    // Names come from clients: forgetting them all now and then keeps a hostile client from growing this.
    if (byName.size >= MAX_REMEMBERED) byName.clear();
    dependency = resourceDependency(typeUrl, name);
    byName.set(name, dependency);
  }
  return dependency;
}

/**
 * Which subscribers a snapshot change concerns, found without asking every stream: named
 * subscriptions are indexed by what each name depends on (the service or port it is built
 * from, see resourceDependency), wildcard subscriptions are kept apart (a wildcard depends on
 * everything of its type). A change to one service reaches only the streams subscribed to
 * resources built from it.
 */
export class SubscriptionIndex<S extends Subscriber> {
  private readonly named = new Map<Dependency, Map<S, Set<string>>>();
  private readonly wildcards = new Set<S>();
  private readonly all = new Set<S>();

  /** Records a new subscriber (with what it subscribed to) or a change to an existing one. */
  update(subscriber: S, change?: SubscriptionChange): void {
    this.all.add(subscriber);
    const { subscription, typeUrl } = subscriber;
    const added = change ? change.added : [...subscription.resourceNames()];
    for (const name of added) {
      const dependency = dependencyOf(typeUrl, name);
      let holders = this.named.get(dependency);
      if (!holders) {
        holders = new Map();
        this.named.set(dependency, holders);
      }
      let names = holders.get(subscriber);
      if (!names) {
        names = new Set();
        holders.set(subscriber, names);
      }
      names.add(name);
    }
    for (const name of change?.removed ?? []) this.forget(subscriber, name);
    if (subscription.isWildcard()) this.wildcards.add(subscriber);
    else this.wildcards.delete(subscriber);
  }

  remove(subscriber: S): void {
    for (const name of subscriber.subscription.resourceNames()) this.forget(subscriber, name);
    this.wildcards.delete(subscriber);
    this.all.delete(subscriber);
  }

  get size(): number {
    return this.all.size;
  }

  /** The subscribers `change` may concern. Unrelated snapshots concern everyone, with every name. */
  concerned(change: SnapshotChange): Map<S, Concern> {
    const result = new Map<S, { wildcard: boolean; names: Set<string> }>();
    const entry = (subscriber: S) => {
      let concern = result.get(subscriber);
      if (!concern) {
        concern = { wildcard: false, names: new Set() };
        result.set(subscriber, concern);
      }
      return concern;
    };
    if (change.everything) {
      for (const subscriber of this.all) {
        const concern = entry(subscriber);
        concern.wildcard = subscriber.subscription.isWildcard();
        for (const name of subscriber.subscription.resourceNames()) concern.names.add(name);
      }
      return result;
    }
    for (const dependency of [...change.dependencies, 'any' as const]) {
      for (const [subscriber, names] of this.named.get(dependency) ?? []) {
        const concern = entry(subscriber);
        for (const name of names) concern.names.add(name);
      }
    }
    for (const subscriber of this.wildcards) entry(subscriber).wildcard = true;
    return result;
  }

  private forget(subscriber: S, name: string): void {
    const dependency = dependencyOf(subscriber.typeUrl, name);
    const holders = this.named.get(dependency);
    const names = holders?.get(subscriber);
    if (!holders || !names) return;
    names.delete(name);
    if (names.size === 0) holders.delete(subscriber);
    if (holders.size === 0) this.named.delete(dependency);
  }
}
