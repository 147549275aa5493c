import type { Snapshot } from '@sextant/core';
import {
  EMPTY_GROUP,
  groupDiff,
  groupResources,
  RESOURCE_TYPES,
  type DeltaDiscoveryRequest,
  type EncodedResource,
  type ResourceGroup,
  type ResourceTypeUrl,
} from '@sextant/envoy';
import {
  namedChanges,
  setsOf,
  uniqueByName,
  WHOLE_STATE_TYPES,
  wildcardMayHaveChanged,
} from './resource-changes';
import { subscribedGroup } from './subscribed-group';
import { Subscription, type SubscriptionChange } from './subscription';
import type { Concern } from './subscription-index';
import { TypeStatus } from './type-status';
import { deltaResponse } from './wire';
import { XdsStream, type SnapshotUpdate, type TypeSubscriber } from './xds-stream';

class DeltaSubscriber implements TypeSubscriber {
  readonly status = new TypeStatus();
  /** The wildcard group the client was last brought up to date with (wildcard subscriptions). */
  lastWildcard: ResourceGroup | undefined;
  /** What the client said it had when the stream opened; used for the first response only. */
  initialVersions: ReadonlyMap<string, string> | undefined;

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
 * - After a snapshot, updates go out first (clusters, endpoints, listeners, routes) and removals
 *   last in the reverse order, so nothing in use disappears before what replaces it arrives.
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
      const subscription = Subscription.delta(subscribe, unsubscribe, WHOLE_STATE_TYPES.has(typeUrl));
      subscriber = new DeltaSubscriber(this, typeUrl, subscription);
      subscriber.initialVersions = new Map(Object.entries(request.initial_resource_versions ?? {}));
      this.types.set(typeUrl, subscriber);
      this.context.index.update(subscriber);
      this.sendInitial(subscriber);
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
        if (status.recordAnswer(rejection, this.context.now()) !== undefined)
          this.recordNack(typeUrl, rejection ?? '');
      }
    }
    const change = subscriber.subscription.update(subscribe, unsubscribe);
    if (change.added.length > 0 || change.removed.length > 0 || change.wildcardChanged) {
      this.context.index.update(subscriber, change);
      this.answerSubscriptionChange(subscriber, change);
    }
  }

  onSnapshot(update: SnapshotUpdate, concerns: ReadonlyMap<ResourceTypeUrl, Concern>): void {
    const removals: Pending[] = [];
    for (const typeUrl of RESOURCE_TYPES) {
      const subscriber = this.types.get(typeUrl);
      if (!subscriber) continue;
      if (!subscriber.status.lastSent) {
        this.sendInitial(subscriber, update.next);
        continue;
      }
      const concern = concerns.get(typeUrl);
      if (!concern) continue;
      const { resources, removed } = this.changesFor(subscriber, update, concern);
      if (resources.length > 0) this.send({ subscriber, resources, removed: [] }, update.next);
      if (removed.length > 0) removals.push({ subscriber, resources: [], removed });
    }
    for (const pending of removals.reverse()) this.send(pending, update.next);
  }

  /**
   * The first response of a type: everything subscribed that the client does not already have at
   * that version, and the names it has (or asked for) that do not exist. Always sent, even empty,
   * so a client waiting to initialise is never left waiting.
   */
  private sendInitial(subscriber: DeltaSubscriber, snapshot = this.context.current()): void {
    if (!snapshot) return;
    const set = this.resourceSetFor(subscriber.typeUrl, snapshot);
    const state = subscribedGroup(set, subscriber.subscription);
    const has = subscriber.initialVersions ?? new Map<string, string>();
    subscriber.initialVersions = undefined;
    const present = new Set<string>();
    const resources: EncodedResource[] = [];
    for (const resource of groupResources(state)) {
      present.add(resource.name);
      if (has.get(resource.name) !== resource.version) resources.push(resource);
    }
    const asked = [...has.keys(), ...subscriber.subscription.resourceNames()];
    const removed = [...new Set(asked)].filter((name) => !present.has(name));
    if (subscriber.subscription.isWildcard()) subscriber.lastWildcard = set.wildcard();
    this.send({ subscriber, resources, removed }, snapshot);
  }

  /**
   * Newly subscribed names are answered with the resource or, if it does not exist, its name in
   * `removed_resources`. A name unsubscribed while a wildcard still covers it is answered with
   * its current state. Turning the wildcard on sends the whole wildcard group.
   */
  private answerSubscriptionChange(subscriber: DeltaSubscriber, change: SubscriptionChange): void {
    const snapshot = this.context.current();
    if (!snapshot) return;
    const set = this.resourceSetFor(subscriber.typeUrl, snapshot);
    const wildcard = subscriber.subscription.isWildcard();
    const resources: EncodedResource[] = [];
    const removed: string[] = [];
    const answer = (name: string) => {
      const resource = set.get(name);
      if (resource) resources.push(resource);
      else removed.push(name);
    };
    change.added.forEach(answer);
    if (wildcard) change.removed.forEach(answer);
    if (change.wildcardChanged && wildcard) {
      subscriber.lastWildcard = set.wildcard();
      resources.push(...groupResources(subscriber.lastWildcard));
    }
    if (resources.length > 0 || removed.length > 0) {
      this.send({ subscriber, resources: uniqueByName(resources), removed }, snapshot);
    }
  }

  private changesFor(
    subscriber: DeltaSubscriber,
    update: SnapshotUpdate,
    concern: Concern,
  ): { resources: EncodedResource[]; removed: string[] } {
    const requester = this.requester();
    const { before, after } = setsOf(update, subscriber.typeUrl, requester, this.context.options);
    const { upserted, removed } = namedChanges(concern.names, before, after);
    if (
      concern.wildcard &&
      wildcardMayHaveChanged(update, subscriber.typeUrl, requester, this.context.options)
    ) {
      const wildcard = after.wildcard();
      const diff = groupDiff(subscriber.lastWildcard ?? EMPTY_GROUP, wildcard);
      subscriber.lastWildcard = wildcard;
      upserted.push(...diff.upserted);
      const named = subscriber.subscription.resourceNames();
      for (const resource of diff.removed) {
        // A name also subscribed explicitly stays while it exists.
        if (!(named.has(resource.name) && after.get(resource.name))) removed.push(resource.name);
      }
    }
    return { resources: uniqueByName(upserted), removed: [...new Set(removed)] };
  }

  private send({ subscriber, resources, removed }: Pending, snapshot: Snapshot): void {
    const nonce = this.nextNonce();
    this.write(
      subscriber.typeUrl,
      deltaResponse(subscriber.typeUrl, snapshot.version, nonce, resources, removed),
    );
    subscriber.status.recordSent({
      version: snapshot.version,
      nonce,
      at: this.context.now(),
      resources: resources.length,
      removed: removed.length,
    });
  }
}
