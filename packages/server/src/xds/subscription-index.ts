import {
  resourceDependency,
  type Dependency,
  type ResourceTypeUrl,
  type SnapshotChange,
} from '@sextant/envoy';
import type { Subscription, SubscriptionChange } from './subscription';

/** One stream's subscription to one type, as the index holds it. */
export interface Subscriber {
  readonly typeUrl: ResourceTypeUrl;
  readonly subscription: Subscription;
}

/**
 * Which subscribers a snapshot change concerns, found without asking every stream: named
 * subscriptions are indexed by what each name depends on (the service or port it is built
 * from, see ResourceType.dependency), wildcard subscriptions are kept apart (a wildcard depends
 * on everything of its type). A change to one service reaches only the streams subscribed to
 * resources built from it.
 */
export class SubscriptionIndex<S extends Subscriber> {
  private readonly named = new Map<Dependency, Map<S, number>>();
  private readonly wildcards = new Set<S>();
  private readonly all = new Set<S>();
  /** resourceDependency, remembered: a fleet subscribes to the same names again and again. */
  private readonly dependencies = new Map<ResourceTypeUrl, Map<string, Dependency>>();

  /** Records a new subscriber (with what it subscribed to) or a change to an existing one. */
  update(subscriber: S, change?: SubscriptionChange): void {
    this.all.add(subscriber);
    const { subscription, typeUrl } = subscriber;
    const added = change ? change.added : subscription.resourceNames();
    for (const name of added) {
      const dependency = this.dependencyOf(typeUrl, name);
      let holders = this.named.get(dependency);
      if (!holders) {
        holders = new Map();
        this.named.set(dependency, holders);
      }
      holders.set(subscriber, (holders.get(subscriber) ?? 0) + 1);
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

  /** The subscribers `change` may concern. Unrelated snapshots concern everyone. */
  concerned(change: SnapshotChange): Set<S> {
    if (change.everything) return new Set(this.all);
    const result = new Set<S>(this.wildcards);
    for (const dependency of [...change.dependencies, 'any' as const]) {
      for (const subscriber of this.named.get(dependency)?.keys() ?? []) result.add(subscriber);
    }
    return result;
  }

  /** Each name counts once per subscriber and dependency: a subscriber leaves a dependency with its last name. */
  private forget(subscriber: S, name: string): void {
    const dependency = this.dependencyOf(subscriber.typeUrl, name);
    const holders = this.named.get(dependency);
    const count = holders?.get(subscriber);
    if (!holders || count === undefined) return;
    if (count > 1) holders.set(subscriber, count - 1);
    else holders.delete(subscriber);
    if (holders.size === 0) this.named.delete(dependency);
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
