import type { Snapshot } from '@sextant/core';
import { ResourceGroup, resourceType, type DiscoveryRequest, type ResourceTypeUrl } from '@sextant/envoy';
import type { ResponseContent } from './shared-responses';
import { Subscription } from './subscription';
import { typeSetOf } from './type-set';
import { TypeStatus } from './type-status';
import { XdsStream, type TypeSubscriber } from './xds-stream';

class SotwSubscriber implements TypeSubscriber {
  readonly status = new TypeStatus();
  /** What the client was last sent, as the subscribed group it was computed from. */
  delivered: ResourceGroup | undefined;
  /** The digest of the last whole state the client rejected: never sent again. */
  rejectedDigest: string | undefined;
  /** A response is owed even if nothing changed (a first request, a change of names). */
  answerDue = true;
  /** The client lost track (a request without a nonce): send it everything again. */
  resendAll = false;

  constructor(
    readonly stream: SotwStream,
    readonly typeUrl: ResourceTypeUrl,
    readonly subscription: Subscription,
  ) {}
}

/**
 * The state-of-the-world protocol (StreamAggregatedResources and Stream<Type>): each response
 * carries a version and a nonce; the client answers each with the nonce, ACK or NACK (with
 * `error_detail`), and the resource names it now wants.
 *
 * - Listeners and clusters: every response carries the whole subscribed state; its version is a
 *   digest of it, so an unchanged state is never re-sent and a rejected one is not sent again.
 *   When resources disappear, a first response keeps them beside the new state and the state
 *   without them follows once the other types have moved off them (make-before-break).
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
      const subscription = Subscription.sotw(names, resourceType(typeUrl).wholeState, this.context.nameSets);
      this.checkNames(typeUrl, subscription);
      subscriber = new SotwSubscriber(this, typeUrl, subscription);
      this.types.set(typeUrl, subscriber);
      this.context.index.update(subscriber);
      this.bringUpToDate(typeSetOf(typeUrl));
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
      if (this.recordAnswer(subscriber, rejection) !== undefined)
        subscriber.rejectedDigest = status.lastSent.version;
    }
    const change = subscriber.subscription.setNames(names);
    this.checkNames(typeUrl, subscriber.subscription);
    const changed = change.added.length > 0 || change.removed.length > 0 || change.wildcardChanged;
    if (changed) this.context.index.update(subscriber);
    // A request without a nonce on a known type comes from a client that lost track: send it all.
    if (nonce === '') subscriber.resendAll = true;
    if (nonce === '' || changed) {
      subscriber.answerDue = true;
      this.bringUpToDate(typeSetOf(typeUrl));
    }
  }

  protected sync(types: readonly ResourceTypeUrl[], snapshot: Snapshot): void {
    const finals: (() => void)[] = [];
    for (const typeUrl of types) {
      const subscriber = this.types.get(typeUrl);
      if (!subscriber) continue;
      const state = this.context.renderer.subscribedGroup(
        this.resourceSetFor(typeUrl, snapshot),
        subscriber.subscription,
      );
      if (resourceType(typeUrl).wholeState) {
        const final = this.syncWholeState(subscriber, state);
        if (final) finals.push(final);
      } else {
        this.syncChanged(subscriber, state, snapshot);
      }
    }
    // Removals last, listeners before the clusters they used (make-before-break).
    for (const send of finals.reverse()) send();
  }

  /**
   * Sends the new whole state if it differs from what the client has (and from what it last
   * rejected). When resources disappear, the response keeps them beside the new state, and the
   * returned step sends the state without them once the other types have moved off them.
   */
  private syncWholeState(subscriber: SotwSubscriber, state: ResourceGroup): (() => void) | undefined {
    const last = subscriber.delivered;
    const owed = subscriber.answerDue || subscriber.resendAll || !last;
    subscriber.answerDue = false;
    subscriber.resendAll = false;
    if (!owed && (state.digest === last?.digest || state.digest === subscriber.rejectedDigest))
      return undefined;
    const removed = last ? last.diffTo(state).removed : [];
    if (removed.length === 0) {
      this.send(subscriber, state, wholeState(subscriber.typeUrl, state));
      return undefined;
    }
    const bridge = ResourceGroup.compose(removed, state);
    this.send(subscriber, bridge, wholeState(subscriber.typeUrl, bridge));
    return () => this.send(subscriber, state, wholeState(subscriber.typeUrl, state));
  }

  /** Routes and endpoints: everything at first (or when asked again), then only what changed. */
  private syncChanged(subscriber: SotwSubscriber, state: ResourceGroup, snapshot: Snapshot): void {
    const last = subscriber.delivered;
    const owed = subscriber.answerDue;
    const all = subscriber.resendAll || !last;
    subscriber.answerDue = false;
    subscriber.resendAll = false;
    const { typeUrl } = subscriber;
    const { version } = snapshot;
    if (all) {
      this.send(subscriber, state, {
        key: state.transient ? undefined : `${typeUrl} ${version} all ${state.digest}`,
        typeUrl,
        version,
        resources: () => [...state.resources()],
      });
      return;
    }
    const changed = state.digest === last.digest ? [] : last.diffTo(state).upserted;
    // An answer to a change of names is owed even when it carries nothing new: the client then knows it was seen.
    if (changed.length > 0 || owed) {
      // What changed between two groups is named by their digests: streams moving between the same two share it.
      this.send(subscriber, state, {
        key:
          state.transient || last.transient
            ? undefined
            : `${typeUrl} ${version} ${last.digest}>${state.digest}`,
        typeUrl,
        version,
        resources: () => changed,
      });
    } else subscriber.delivered = state;
  }

  private send(subscriber: SotwSubscriber, delivered: ResourceGroup, content: ResponseContent): void {
    const { status } = subscriber;
    const response = this.context.responses.sotw(content, status.lastSent?.nonce);
    this.write(subscriber.typeUrl, response.bytes);
    subscriber.delivered = delivered;
    this.recordSent(subscriber, {
      version: content.version,
      nonce: response.nonce,
      at: this.context.now(),
      resources: response.resources,
      removed: 0,
    });
  }
}

/** Listeners and clusters: the whole group, its digest for version; equal digests, equal responses. */
function wholeState(typeUrl: ResourceTypeUrl, group: ResourceGroup): ResponseContent {
  return {
    key: group.transient ? undefined : `${typeUrl} whole ${group.digest}`,
    typeUrl,
    version: group.digest,
    resources: () => [...group.resources()],
  };
}
