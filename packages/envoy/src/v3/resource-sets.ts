import type { Snapshot } from '@sextant/core';
import type { EncodedResource } from './encoded-resource';
import type { V3Scope } from './render-scope';
import { ResourceGroup } from './resource-group';
import type { ResourceTypeUrl } from './type-urls';
import { resourceType, type ResourceRequester, type ResourceType } from './types';

/**
 * Every resource of one type one requester can ask for, from one snapshot: what a wildcard
 * subscription receives, and lookup by name for named subscriptions. Requesters with the same
 * key get the same set object: the key names exactly what the resources depend on.
 */
export interface ResourceSet {
  readonly typeUrl: ResourceTypeUrl;
  /** What the set was built from (type, requester keys, snapshot version); caches built on it key on this. */
  readonly key: string;
  /** The part of the wildcard group shared by every requester with the same shared key. */
  shared(): ResourceGroup;
  /** What a wildcard subscription receives: the requester's own resources, then the shared ones. */
  wildcard(): ResourceGroup;
  /** A resource by name, whether or not a wildcard subscription would receive it. */
  get(name: string): EncodedResource | undefined;
}

/** The set of `typeUrl` resources a requester can have from `snapshot`, cached by what it depends on. */
export function resourceSet(
  scope: V3Scope,
  snapshot: Snapshot,
  typeUrl: ResourceTypeUrl,
  requester: ResourceRequester,
): ResourceSet {
  const type = resourceType(typeUrl);
  const sharedKey = type.sharedKey(scope, snapshot, requester);
  const ownKey = type.ownKey(scope, snapshot, requester);
  const key = `set ${type.shortName} ${snapshot.version} ${sharedKey} | ${ownKey}`;
  // A set holds its own part and composed wildcard once built; both are references to resources
  // the cache holds under their own keys, and a handful per set.
  return scope.cache.get(
    key,
    () => new LazySet(scope, snapshot, type, requester, key),
    () => 1024,
  );
}

/**
 * The shared part of a requester's wildcard group, without building its own part: a stream
 * compares its digest with the one it last saw to tell whether a wildcard subscription can have
 * changed (its own part aside) at the cost of a lookup.
 */
export function sharedGroup(
  scope: V3Scope,
  snapshot: Snapshot,
  typeUrl: ResourceTypeUrl,
  requester: ResourceRequester,
): ResourceGroup {
  return resourceType(typeUrl).shared(scope, snapshot, requester);
}

class LazySet implements ResourceSet {
  private ownResources: readonly EncodedResource[] | undefined;
  private wildcardGroup: ResourceGroup | undefined;

  constructor(
    private readonly scope: V3Scope,
    private readonly snapshot: Snapshot,
    private readonly type: ResourceType,
    private readonly requester: ResourceRequester,
    readonly key: string,
  ) {}

  get typeUrl(): ResourceTypeUrl {
    return this.type.typeUrl;
  }

  shared(): ResourceGroup {
    return this.type.shared(this.scope, this.snapshot, this.requester);
  }

  own(): readonly EncodedResource[] {
    this.ownResources ??= this.type.own(this.scope, this.snapshot, this.requester);
    return this.ownResources;
  }

  wildcard(): ResourceGroup {
    this.wildcardGroup ??= withoutShadowed(this.own(), this.shared());
    return this.wildcardGroup;
  }

  get(name: string): EncodedResource | undefined {
    return this.type.find(this.scope, this.snapshot, this.requester, name, this);
  }
}

/**
 * Own resources first, then the shared ones; a shared resource with the name of an own one (a
 * VIP listener on the proxy's own address) is left out, since the own one takes its place.
 */
function withoutShadowed(own: readonly EncodedResource[], shared: ResourceGroup): ResourceGroup {
  if (!own.some((r) => shared.get(r.name))) return ResourceGroup.compose(own, shared);
  const taken = new Set(own.map((r) => r.name));
  return ResourceGroup.of([...own, ...[...shared.resources()].filter((r) => !taken.has(r.name))]);
}
