import type { MeshIndexes } from '../mesh-index';
import type { RouteDefaults } from '../plan/route-plan';
import type { RenderCache } from '../render-cache';
import { EncodedResource } from './encoded-resource';
import { envoyProtos } from './protos';
import { ResourceGroup } from './resource-group';
import type { V3RenderOptions } from './options';
import type { ResourceTypeUrl } from './type-urls';

/** What v3 renderers work with: the server's cache and mesh index, and the conventions of its clients. */
export interface V3Scope {
  readonly cache: RenderCache;
  readonly mesh: MeshIndexes;
  readonly options: V3RenderOptions;
  /** What routes that do not say get (the default retry policy). */
  readonly defaults: RouteDefaults;
  /** Keep each resource's rendered object beside its bytes (tests check it against the protos). */
  readonly keepRendered?: boolean;
}

/** Encodes a rendered resource; a transient one is not to be cached (see EncodedResource.transient). */
export function encode(
  scope: V3Scope,
  typeUrl: ResourceTypeUrl,
  name: string,
  value: object,
  transient = false,
): EncodedResource {
  const type = envoyProtos().messageType(typeUrl);
  const bytes = type.encode(type.fromObject(value)).finish();
  return new EncodedResource(typeUrl, name, bytes, scope.keepRendered ? value : undefined, transient);
}

/** Caches resources rendered from what `key` names. */
export function cachedResources(
  scope: V3Scope,
  key: string,
  render: () => readonly EncodedResource[],
): readonly EncodedResource[] {
  return scope.cache.get(key, render, retainedBytes);
}

export function cachedResource(scope: V3Scope, key: string, render: () => EncodedResource): EncodedResource {
  return scope.cache.get(key, render, (resource) => resource.retainedBytes());
}

function retainedBytes(resources: readonly EncodedResource[]): number {
  let bytes = resources.length * 8 + 64;
  for (const resource of resources) bytes += resource.retainedBytes();
  return bytes;
}

/** Caches a group of resources rendered from what `key` names (the resources are charged too). */
export function cachedGroup(
  scope: V3Scope,
  key: string,
  render: () => readonly EncodedResource[],
): ResourceGroup {
  return scope.cache.get(key, () => ResourceGroup.of(render()), groupBytes);
}

/**
 * What a group keeps alive. Its resources are charged again here even when another entry holds
 * them too: an entry must pay for everything it can keep alive, or the budget would not bound
 * memory once the other entry is evicted.
 */
export function groupBytes(group: ResourceGroup): number {
  let bytes = 64 + group.parts.length * 64;
  for (const resource of group.resources()) bytes += 8 + resource.retainedBytes();
  return bytes;
}
