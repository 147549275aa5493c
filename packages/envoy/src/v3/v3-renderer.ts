import type { Snapshot } from '@sextant/core';
import { ownedBuffer } from '../owned-buffer';
import { sizeOf } from '../render-cache';
import { groupBytes, type V3Scope } from './render-scope';
import { ResourceGroup } from './resource-group';
import { resourceSet, sharedGroup, type ResourceSet } from './resource-sets';
import type { ResourceTypeUrl } from './type-urls';
import type { ResourceRequester } from './types';
import type { EncodedResource } from './encoded-resource';
import type { V3RenderOptions } from './options';

/** What a client subscribed to, as far as the resources it receives depend on it. */
export interface SubscribedNames {
  isWildcard(): boolean;
  /** Names subscribed to explicitly (a wildcard subscription may name some as well). */
  resourceNames(): ReadonlySet<string>;
  /** A digest of the wildcard flag and the names: equal digests, equal subscriptions. */
  digest(): string;
}

/** The v3 resources of a snapshot, for a requester, through the server's caches. */
export class V3Renderer {
  /**
   * The last subscribed group asked of each set: a fleet whose proxies subscribe alike asks a
   * set for the same group once per stream, thousands of times a push. One per set, and only
   * what the cache keeps too (never a transient group).
   */
  private readonly lastSubscribed = new WeakMap<ResourceSet, { digest: string; group: ResourceGroup }>();

  constructor(private readonly scope: V3Scope) {}

  get options(): V3RenderOptions {
    return this.scope.options;
  }

  resourceSet(snapshot: Snapshot, typeUrl: ResourceTypeUrl, requester: ResourceRequester): ResourceSet {
    return resourceSet(this.scope, snapshot, typeUrl, requester);
  }

  sharedGroup(snapshot: Snapshot, typeUrl: ResourceTypeUrl, requester: ResourceRequester): ResourceGroup {
    return sharedGroup(this.scope, snapshot, typeUrl, requester);
  }

  /**
   * Everything a subscription receives from a set: the wildcard group, the resources it names
   * (those that exist, in name order), or both. Cached by set and subscription, so a fleet of
   * clients that subscribe alike shares one group (and one digest) per snapshot.
   */
  subscribedGroup(set: ResourceSet, subscription: SubscribedNames): ResourceGroup {
    const digest = subscription.digest();
    const last = this.lastSubscribed.get(set);
    if (last?.digest === digest) return last.group;
    const group = this.scope.cache.getIf(
      `sub ${set.key} ${digest}`,
      () => buildSubscribed(set, subscription),
      groupBytes,
      (built) => !built.transient,
    );
    if (!group.transient) this.lastSubscribed.set(set, { digest, group });
    return group;
  }

  /**
   * A group as the body of a REST-JSON DiscoveryResponse, assembled from each resource's cached
   * JSON once per content: requesters whose groups have equal digests share the bytes.
   */
  restBody(typeUrl: ResourceTypeUrl, group: ResourceGroup): Buffer {
    return this.scope.cache.getIf(
      `rest ${typeUrl} ${group.digest}`,
      () => {
        const resources = [...group.resources()].map((r) => r.json()).join(',');
        return ownedBuffer(
          `{"version_info":${JSON.stringify(group.digest)},"resources":[${resources}],"type_url":${JSON.stringify(typeUrl)}}`,
        );
      },
      sizeOf.buffer,
      () => !group.transient,
    );
  }
}

function buildSubscribed(set: ResourceSet, subscription: SubscribedNames): ResourceGroup {
  const names = [...subscription.resourceNames()].sort();
  if (!subscription.isWildcard()) return ResourceGroup.of(existing(set, names));
  const wildcard = set.wildcard();
  if (names.length === 0) return wildcard;
  return ResourceGroup.compose(
    existing(
      set,
      names.filter((name) => !wildcard.get(name)),
    ),
    wildcard,
  );
}

/** The resources of `names` that exist in `set`. */
export function existing(set: ResourceSet, names: Iterable<string>): EncodedResource[] {
  const resources: EncodedResource[] = [];
  for (const name of names) {
    const resource = set.get(name);
    if (resource) resources.push(resource);
  }
  return resources;
}
