import type { Snapshot } from '@sextant/core';
import {
  resourceType,
  type DeltaDiscoveryRequest,
  type EncodedResource,
  type ResourceGroup,
  type ResourceSet,
  type ResourceTypeUrl,
} from '@sextant/envoy';
import { Subscription } from './subscription';
import { typeSetOf } from './type-set';
import { TypeStatus } from './type-status';
import { deltaResponse } from './wire';
import { XdsStream, type TypeSubscriber } from './xds-stream';

class DeltaSubscriber implements TypeSubscriber {
  readonly status = new TypeStatus();
  /** What the client has: the subscribed group it was last brought up to date with. */
  delivered: ResourceGroup | undefined;
  /** The key of the resource set `delivered` was taken from: while it holds, only names change. */
  deliveredFrom: string | undefined;
  /**
   * Resources sent for owed names since `delivered`: the client has them, though `delivered`
   * does not list them. (A name answered as removed needs no entry: if it appears, it is new.)
   */
  readonly sentSince = new Map<string, EncodedResource>();
  /** What the client said it had when the stream opened; used for the first response only. */
  initialVersions: ReadonlyMap<string, string> | undefined;
  /**
   * Names to answer in the next response whatever the client has: newly subscribed names (with
   * the resource, or in `removed_resources` if there is none) and names unsubscribed while a
   * wildcard still covers them (with the resource).
   */
  readonly owed = new Set<string>();

  constructor(
    readonly stream: DeltaStream,
    readonly typeUrl: ResourceTypeUrl,
    readonly subscription: Subscription,
  ) {}
}

interface Pending {
  readonly subscriber: DeltaSubscriber;
  readonly resources: readonly EncodedResource[];
  readonly removed: readonly string[];
}

/**
 * The incremental protocol (DeltaAggregatedResources and Delta<Type>): requests subscribe and
 * unsubscribe names (or `*`), responses carry only resources that are new or changed, each with
 * its own version, and the names of resources that are gone.
 *
 * - A reconnecting client lists what it has in `initial_resource_versions`: it is sent only what
 *   differs, and told which of those resources no longer exist.
 * - A subscribed name that does not exist is answered in `removed_resources`.
 * - ACK and NACK only update the stream's status: nothing is re-sent, and a rejected resource is
 *   sent again only when it changes.
 * - Updates go out first (clusters, endpoints, listeners, routes) and removals last in the
 *   reverse order, so nothing in use disappears before what replaces it arrives.
 */
export class DeltaStream extends XdsStream<DeltaDiscoveryRequest> {
  private readonly types = new Map<ResourceTypeUrl, DeltaSubscriber>();

  subscribers(): Iterable<DeltaSubscriber> {
    return this.types.values();
  }

  protected onRequest(typeUrl: ResourceTypeUrl, request: DeltaDiscoveryRequest): void {
    const subscribe = request.resource_names_subscribe;
    const unsubscribe = request.resource_names_unsubscribe;
    let subscriber = this.types.get(typeUrl);
    if (!subscriber) {
      const subscription = Subscription.delta(subscribe, unsubscribe, resourceType(typeUrl).wholeState);
      const initial = Object.entries(request.initial_resource_versions ?? {});
      this.checkNames(typeUrl, subscription, Math.max(subscription.size, initial.length));
      subscriber = new DeltaSubscriber(this, typeUrl, subscription);
      subscriber.initialVersions = new Map(initial);
      this.types.set(typeUrl, subscriber);
      this.context.index.update(subscriber);
      this.bringUpToDate(typeSetOf(typeUrl));
      return;
    }
    const { status } = subscriber;
    const nonce = request.response_nonce;
    if (nonce !== '' && status.lastSent) {
      if (nonce !== status.lastSent.nonce) {
        status.staleRequests += 1;
      } else {
        const rejection = request.error_detail
          ? request.error_detail.message || 'rejected (no message)'
          : undefined;
        this.recordAnswer(subscriber, rejection);
      }
    }
    const change = subscriber.subscription.update(subscribe, unsubscribe);
    this.checkNames(typeUrl, subscriber.subscription);
    if (change.added.length === 0 && change.removed.length === 0 && !change.wildcardChanged) return;
    this.context.index.namesChanged(subscriber, change.added, change.removed);
    // The wildcard brings (or takes away) everything: the whole subscribed state is computed again.
    if (change.wildcardChanged) subscriber.deliveredFrom = undefined;
    for (const name of change.added) subscriber.owed.add(name);
    if (subscriber.subscription.isWildcard()) for (const name of change.removed) subscriber.owed.add(name);
    this.bringUpToDate(typeSetOf(typeUrl));
  }

  protected sync(types: readonly ResourceTypeUrl[], snapshot: Snapshot): void {
    const removals: Pending[] = [];
    for (const typeUrl of types) {
      const subscriber = this.types.get(typeUrl);
      if (!subscriber) continue;
      const set = this.resourceSetFor(typeUrl, snapshot);
      const before = subscriber.delivered;
      const first = !before;
      const { resources, removed } = !before
        ? this.initial(subscriber, this.subscribedState(subscriber, set))
        : subscriber.deliveredFrom === set.key
          ? this.owedOnly(subscriber, set)
          : this.changes(subscriber, before, this.subscribedState(subscriber, set), set);
      // The first response is always sent, even empty: a client waiting to initialise is never left waiting.
      if (resources.length > 0 || first)
        this.send({ subscriber, resources, removed: first ? removed : [] }, snapshot);
      if (!first && removed.length > 0) removals.push({ subscriber, resources: [], removed });
    }
    for (const pending of removals.reverse()) this.send(pending, snapshot);
  }

  /** The whole subscribed state, which the client is brought up to date with (costs the size of the subscription). */
  private subscribedState(subscriber: DeltaSubscriber, set: ResourceSet): ResourceGroup {
    const state = this.context.renderer.subscribedGroup(set, subscriber.subscription);
    subscriber.delivered = state;
    subscriber.deliveredFrom = set.key;
    return state;
  }

  /**
   * Only the names changed since the client was brought up to date (same resource set): it is
   * sent what it is owed, looked up by name, and the subscribed state is not computed again
   * (a request costs what it names, however many names the stream holds).
   */
  private owedOnly(
    subscriber: DeltaSubscriber,
    set: ResourceSet,
  ): { resources: EncodedResource[]; removed: string[] } {
    const resources: EncodedResource[] = [];
    const removed: string[] = [];
    for (const name of subscriber.owed) {
      if (!subscriber.subscription.wants(name)) continue;
      const resource = set.get(name);
      if (resource) {
        resources.push(resource);
        subscriber.sentSince.set(name, resource);
      } else removed.push(name);
    }
    subscriber.owed.clear();
    return { resources, removed };
  }

  /**
   * The first response of a type: everything subscribed that the client does not already have at
   * that version, and the names it has (or asked for) that do not exist.
   */
  private initial(subscriber: DeltaSubscriber, state: ResourceGroup) {
    const has = subscriber.initialVersions ?? new Map<string, string>();
    subscriber.initialVersions = undefined;
    subscriber.owed.clear();
    const resources = [...state.resources()].filter((r) => has.get(r.name) !== r.version);
    const asked = new Set([...has.keys(), ...subscriber.subscription.resourceNames()]);
    const removed = [...asked].filter((name) => !state.get(name));
    return { resources, removed };
  }

  /**
   * What changed since the client was last brought up to date (`before`), counting what it was
   * sent for owed names since, and the names it is still owed.
   */
  private changes(
    subscriber: DeltaSubscriber,
    before: ResourceGroup,
    state: ResourceGroup,
    set: ResourceSet,
  ): { resources: EncodedResource[]; removed: string[] } {
    const { sentSince, subscription } = subscriber;
    const diff = before.diffTo(state);
    const resources = diff.upserted.filter((r) => sentSince.get(r.name)?.version !== r.version);
    const sent = new Set(resources.map((r) => r.name));
    const removed = new Set<string>();
    // A resource that left the state because it no longer exists is removed; one the client
    // unsubscribed from is not mentioned.
    for (const resource of diff.removed) {
      if (subscription.wants(resource.name)) removed.add(resource.name);
    }
    // Sent since, absent from both states: gone meanwhile.
    for (const name of sentSince.keys()) {
      if (subscription.wants(name) && !state.get(name) && !before.get(name)) removed.add(name);
    }
    sentSince.clear();
    for (const name of subscriber.owed) {
      if (!subscription.wants(name) || sent.has(name)) continue;
      const resource = state.get(name) ?? set.get(name);
      if (resource) resources.push(resource);
      else removed.add(name);
      sent.add(name);
    }
    subscriber.owed.clear();
    return { resources, removed: [...removed] };
  }

  private send({ subscriber, resources, removed }: Pending, snapshot: Snapshot): void {
    const nonce = this.nextNonce();
    this.write(
      subscriber.typeUrl,
      deltaResponse(subscriber.typeUrl, snapshot.version, nonce, resources, removed),
    );
    this.recordSent(subscriber, {
      version: snapshot.version,
      nonce,
      at: this.context.now(),
      resources: resources.length,
      removed: removed.length,
    });
  }
}
