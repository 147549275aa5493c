import type { ProxyIdentity, Snapshot } from '@sextant/core';
import type { EncodedResource } from '../encoded-resource';
import type { ConfigSourceKind } from '../options';
import type { V3Scope } from '../render-scope';
import type { ResourceGroup } from '../resource-group';
import type { ResourceTypeUrl, TypeShortName } from '../type-urls';

/** Who is asking, as far as resources depend on it. */
export interface ResourceRequester {
  readonly proxy: ProxyIdentity;
  /** How the client fetches the resources these resources point at. */
  readonly kind: ConfigSourceKind;
  /** An Envoy (`v3`) or a proxyless gRPC client (`grpc`): what each accepts differs (spec §5). Default `v3`. */
  readonly target?: 'v3' | 'grpc';
}

/**
 * What a named resource is built from, so a snapshot change finds the subscriptions it concerns
 * through an index instead of asking every stream: the service (`host:<hostname>`), the services
 * on a port (`port:<port>`), nothing that ever changes (`static`), or `any` when the name alone
 * does not tell.
 */
export type Dependency = `host:${string}` | `port:${number}` | 'static' | 'any';

/**
 * Everything Sextant knows about one xDS resource type, in one place (as grpc-js-xds's
 * XdsResourceType classes): its type URL, how SotW serves it, how the resources a requester can
 * have are built, and which model change concerns which resource.
 *
 * The resources a requester can have are its own part (resources only proxies like it get, e.g.
 * a sidecar's inbound clusters) followed by a shared part (what every requester with the same
 * shared key gets). Keys name exactly what each part depends on besides the snapshot, so equal
 * keys mean equal resources and caches share them across a fleet.
 */
export interface ResourceType {
  readonly typeUrl: ResourceTypeUrl;
  readonly shortName: TypeShortName;
  /**
   * SotW responses carry the whole subscribed state (a resource left out is deleted), and an
   * empty first request is a (legacy) wildcard: listeners and clusters. Routes and endpoints are
   * asked for by name and may be sent a few at a time.
   */
  readonly wholeState: boolean;
  /** What of the requester the shared part depends on. */
  sharedKey(scope: V3Scope, snapshot: Snapshot, requester: ResourceRequester): string;
  /** What of the requester its own part depends on (`''` when nothing: no own part). */
  ownKey(scope: V3Scope, snapshot: Snapshot, requester: ResourceRequester): string;
  shared(scope: V3Scope, snapshot: Snapshot, requester: ResourceRequester): ResourceGroup;
  own(scope: V3Scope, snapshot: Snapshot, requester: ResourceRequester): readonly EncodedResource[];
  /**
   * A resource by name, whether or not a wildcard subscription would receive it. `parts` gives
   * the requester's own and shared parts (built once per set) for names that live there.
   */
  find(
    scope: V3Scope,
    snapshot: Snapshot,
    requester: ResourceRequester,
    name: string,
    parts: RequesterParts,
  ): EncodedResource | undefined;
  dependency(name: string): Dependency;
}

/** A requester's own and shared parts, built on first use. */
export interface RequesterParts {
  own(): readonly EncodedResource[];
  shared(): ResourceGroup;
}
