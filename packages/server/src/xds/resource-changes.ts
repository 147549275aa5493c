import {
  CLUSTER_TYPE,
  LISTENER_TYPE,
  resourceSet,
  sharedGroup,
  type EncodedResource,
  type ResourceRequester,
  type ResourceSet,
  type ResourceTypeUrl,
  type V3RenderOptions,
} from '@sextant/envoy';
import type { SnapshotUpdate } from './xds-stream';

/**
 * Listeners and clusters are the types whose SotW responses carry the whole subscribed state (a
 * resource left out is deleted) and which clients subscribe to by wildcard; routes and endpoints
 * are asked for by name and may be sent a few at a time.
 */
export const WHOLE_STATE_TYPES: ReadonlySet<ResourceTypeUrl> = new Set([CLUSTER_TYPE, LISTENER_TYPE]);

/** The resource sets a requester sees before and after a snapshot update. */
export function setsOf(
  update: SnapshotUpdate,
  typeUrl: ResourceTypeUrl,
  requester: ResourceRequester,
  options: V3RenderOptions,
): { before: ResourceSet | undefined; after: ResourceSet } {
  return {
    before: update.previous && resourceSet(update.previous, typeUrl, requester, options),
    after: resourceSet(update.next, typeUrl, requester, options),
  };
}

/**
 * Whether a wildcard subscription's resources may differ after an update: when the snapshots
 * are unrelated, when instances at the proxy's own IP changed (its inbound resources), or when
 * the part every proxy of its class shares changed. Nothing of the proxy's own is rendered to
 * find out, so a fleet of wildcard streams costs a lookup each when their part did not change.
 */
export function wildcardMayHaveChanged(
  update: SnapshotUpdate,
  typeUrl: ResourceTypeUrl,
  requester: ResourceRequester,
  options: V3RenderOptions,
): boolean {
  if (!update.previous || update.change.everything) return true;
  const ip = requester.proxy.ip;
  if (ip !== undefined && update.change.addresses.has(ip)) return true;
  const before = sharedGroup(update.previous, typeUrl, requester, options);
  return before.digest !== sharedGroup(update.next, typeUrl, requester, options).digest;
}

/** Of the named resources a change concerns, those to send (new or changed) and those gone. */
export function namedChanges(
  names: Iterable<string>,
  before: ResourceSet | undefined,
  after: ResourceSet,
): { upserted: EncodedResource[]; removed: string[] } {
  const upserted: EncodedResource[] = [];
  const removed: string[] = [];
  for (const name of names) {
    const old = before?.get(name);
    const now = after.get(name);
    if (now && now.version !== old?.version) upserted.push(now);
    else if (!now && old) removed.push(name);
  }
  return { upserted, removed };
}

/** Resources without repeats, first occurrence kept (a name can be both wildcard-covered and named). */
export function uniqueByName(resources: readonly EncodedResource[]): EncodedResource[] {
  const seen = new Set<string>();
  return resources.filter((r) => !seen.has(r.name) && seen.add(r.name));
}
