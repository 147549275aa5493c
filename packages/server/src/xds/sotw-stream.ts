import {
  compose,
  groupDiff,
  groupResources,
  resourceSet,
  RESOURCE_TYPES,
  type DiscoveryRequest,
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
import { subscribedGroup, existing } from './subscribed-group';
import { Subscription, type SubscriptionChange } from './subscription';
import type { Concern } from './subscription-index';
import { TypeStatus } from './type-status';
import { sotwResponse } from './wire';
import { XdsStream, type SnapshotUpdate, type TypeSubscriber } from './xds-stream';

class SotwSubscriber implements TypeSubscriber {
  readonly status = new TypeStatus();
  /**
   * What the client was last sent of this type as a whole: for listeners and clusters the full
   * state (the next response is compared with it), for a wildcard on routes or endpoints the
   * wildcard group (to find what changed in it).
   */
  lastGroup: ResourceGroup | undefined;
  /** The version of the last response the client rejected: never sent again. */
  rejectedVersion: string | undefined;

  constructor(
    readonly stream: SotwStream,
    readonly typeUrl: ResourceTypeUrl,
    readonly subscription: Subscription,
  ) {}
}

type Send = () => void;

/**
 * The state-of-the-world protocol (StreamAggregatedResources and Stream<Type>): each response
 * carries a version and a nonce; the client answers each with the nonce, ACK or NACK (with
 * `error_detail`), and the resource names it now wants.
 *
 * - Listeners and clusters: every response carries the whole subscribed state; its version is a
 *   digest of it, so an unchanged state is never re-sent and a rejected one is not sent again.
 * - Routes and endpoints: the first response for a subscription carries all it names; later
 *   ones carry only the resources that changed (a resource left out is kept by the client); the
 *   version is the snapshot's.
 * - A request answering an older nonce is ignored: a newer response has crossed it, and the
 *   client will answer that one too.
 * - A change of resource names is answered at once, even when it repeats the last nonce.
 */
export class SotwStream extends XdsStream<DiscoveryRequest> {
  private readonly types = new Map<ResourceTypeUrl, SotwSubscriber>();

  subscribers(): Iterable<SotwSubscriber> {
    return this.types.values();
  }

  protected onRequest(typeUrl: ResourceTypeUrl, request: DiscoveryRequest): void {
    const names = request.resource_names;
    let subscriber = this.types.get(typeUrl);
    if (!subscriber) {
      subscriber = new SotwSubscriber(
        this,
        typeUrl,
        Subscription.sotw(names, WHOLE_STATE_TYPES.has(typeUrl)),
      );
      this.types.set(typeUrl, subscriber);
      this.context.index.update(subscriber);
      this.sendFullState(subscriber);
      return;
    }
    const { status } = subscriber;
    const nonce = request.response_nonce;
    if (nonce !== '' && status.lastSent && nonce !== status.lastSent.nonce) {
      status.staleRequests += 1;
      return;
    }
    if (nonce !== '' && status.lastSent) {
      const rejection = request.error_detail
        ? request.error_detail.message || 'rejected (no message)'
        : undefined;
      if (status.recordAnswer(rejection, this.context.now()) !== undefined) {
        subscriber.rejectedVersion = status.lastSent.version;
        this.recordNack(typeUrl, rejection ?? '');
      }
    }
    const change = subscriber.subscription.setNames(names);
    const changed = change.added.length > 0 || change.removed.length > 0 || change.wildcardChanged;
    if (changed) this.context.index.update(subscriber, change);
    // A request without a nonce on a known type comes from a client that lost track: send it all.
    if (nonce === '') this.sendFullState(subscriber);
    else if (changed) this.answerSubscriptionChange(subscriber, change);
  }

  onSnapshot(update: SnapshotUpdate, concerns: ReadonlyMap<ResourceTypeUrl, Concern>): void {
    const bridges: Send[] = [];
    for (const typeUrl of RESOURCE_TYPES) {
      const subscriber = this.types.get(typeUrl);
      if (!subscriber) continue;
      if (!subscriber.status.lastSent) {
        this.sendFullState(subscriber, update.next);
        continue;
      }
      const concern = concerns.get(typeUrl);
      if (!concern) continue;
      if (WHOLE_STATE_TYPES.has(typeUrl)) {
        const bridge = this.pushWholeState(subscriber, update, concern);
        if (bridge) bridges.push(bridge);
      } else {
        this.pushChanged(subscriber, update, concern);
      }
    }
    // Removals last, listeners before the clusters they used (make-before-break).
    for (const send of bridges.reverse()) send();
  }

  /** Everything the subscription covers; waits for the first snapshot if there is none yet. */
  private sendFullState(subscriber: SotwSubscriber, snapshot = this.context.current()): void {
    if (!snapshot) return;
    const set = this.resourceSetFor(subscriber.typeUrl, snapshot);
    const state = subscribedGroup(set, subscriber.subscription);
    const whole = WHOLE_STATE_TYPES.has(subscriber.typeUrl);
    subscriber.lastGroup = whole ? state : subscriber.subscription.isWildcard() ? set.wildcard() : undefined;
    this.send(subscriber, whole ? state.digest : snapshot.version, groupResources(state));
  }

  /**
   * Listeners and clusters answer with the new whole state. Routes and endpoints answer with the
   * resources newly asked for (the client keeps what it has; an empty answer still tells it that
   * the change was seen).
   */
  private answerSubscriptionChange(subscriber: SotwSubscriber, change: SubscriptionChange): void {
    const snapshot = this.context.current();
    if (!snapshot) return;
    if (WHOLE_STATE_TYPES.has(subscriber.typeUrl)) {
      this.sendFullState(subscriber, snapshot);
      return;
    }
    const set = this.resourceSetFor(subscriber.typeUrl, snapshot);
    const resources = existing(set, change.added);
    if (change.wildcardChanged && subscriber.subscription.isWildcard()) {
      subscriber.lastGroup = set.wildcard();
      resources.push(...groupResources(subscriber.lastGroup));
    }
    this.send(subscriber, snapshot.version, uniqueByName(resources));
  }

  /**
   * Sends the new whole state if it differs from what the client has (and from what it last
   * rejected). When resources disappear, the first response keeps them beside the new state, and
   * the returned step sends the state without them once the other types have moved off them.
   */
  private pushWholeState(
    subscriber: SotwSubscriber,
    update: SnapshotUpdate,
    concern: Concern,
  ): Send | undefined {
    const requester = this.requester();
    const { options } = this.context;
    const wildcardMoved =
      concern.wildcard && wildcardMayHaveChanged(update, subscriber.typeUrl, requester, options);
    if (!wildcardMoved && concern.names.size === 0) return undefined;
    const state = subscribedGroup(
      resourceSet(update.next, subscriber.typeUrl, requester, options),
      subscriber.subscription,
    );
    const last = subscriber.lastGroup;
    if (state.digest === last?.digest || state.digest === subscriber.rejectedVersion) return undefined;
    subscriber.lastGroup = state;
    const removed = last ? groupDiff(last, state).removed : [];
    if (removed.length === 0) {
      this.send(subscriber, state.digest, groupResources(state));
      return undefined;
    }
    const bridge = compose(removed, state);
    this.send(subscriber, bridge.digest, groupResources(bridge));
    return () => this.send(subscriber, state.digest, groupResources(state));
  }

  /** Routes and endpoints: only what changed among what the subscription covers. */
  private pushChanged(subscriber: SotwSubscriber, update: SnapshotUpdate, concern: Concern): void {
    const requester = this.requester();
    const { before, after } = setsOf(update, subscriber.typeUrl, requester, this.context.options);
    const changed: EncodedResource[] = namedChanges(concern.names, before, after).upserted;
    if (
      concern.wildcard &&
      wildcardMayHaveChanged(update, subscriber.typeUrl, requester, this.context.options)
    ) {
      const wildcard = after.wildcard();
      if (subscriber.lastGroup) changed.push(...groupDiff(subscriber.lastGroup, wildcard).upserted);
      else changed.push(...groupResources(wildcard));
      subscriber.lastGroup = wildcard;
    }
    if (changed.length > 0) this.send(subscriber, update.next.version, uniqueByName(changed));
  }

  private send(subscriber: SotwSubscriber, version: string, resources: Iterable<EncodedResource>): void {
    const nonce = this.nextNonce();
    const response = sotwResponse(subscriber.typeUrl, version, nonce, resources);
    this.write(subscriber.typeUrl, response);
    subscriber.status.recordSent({
      version,
      nonce,
      at: this.context.now(),
      resources: response.length - 1,
      removed: 0,
    });
  }
}
