import {
  compose,
  group,
  groupResources,
  type EncodedResource,
  type ResourceGroup,
  type ResourceSet,
} from '@sextant/envoy';
import type { Subscription } from './subscription';

const bySet = new WeakMap<ResourceSet, Map<string, ResourceGroup>>();
const wildcardNames = new WeakMap<ResourceGroup, Set<string>>();

/**
 * Everything a subscription receives from a resource set: the wildcard group, the resources it
 * names (those that exist, in name order), or both. Memoised per set and subscription key, so a
 * fleet of clients that subscribe alike shares one group (and one digest) per snapshot.
 */
export function subscribedGroup(set: ResourceSet, subscription: Subscription): ResourceGroup {
  let byKey = bySet.get(set);
  if (!byKey) {
    byKey = new Map();
    bySet.set(set, byKey);
  }
  const key = subscription.key();
  let result = byKey.get(key);
  if (!result) {
    result = build(set, subscription);
    byKey.set(key, result);
  }
  return result;
}

function build(set: ResourceSet, subscription: Subscription): ResourceGroup {
  const names = [...subscription.resourceNames()].sort();
  if (!subscription.isWildcard()) return group(existing(set, names));
  const wildcard = set.wildcard();
  if (names.length === 0) return wildcard;
  let covered = wildcardNames.get(wildcard);
  if (!covered) {
    covered = new Set([...groupResources(wildcard)].map((r) => r.name));
    wildcardNames.set(wildcard, covered);
  }
  const inWildcard = covered;
  return compose(
    existing(
      set,
      names.filter((name) => !inWildcard.has(name)),
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
