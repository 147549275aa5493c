import { createHash } from 'node:crypto';
import type { EncodedResource } from './encoded-resource';

/**
 * An ordered list of resources with a digest of their names and versions: equal digests, equal
 * lists. Groups compose by reference (a sidecar's clusters are its own few plus the group every
 * proxy shares), so a digest over a composite costs the size of the small part only.
 */
export interface ResourceGroup {
  readonly digest: string;
  /** The resources in order, as consecutive parts; parts are shared, never copied. */
  readonly parts: readonly (readonly EncodedResource[])[];
}

export const EMPTY_GROUP: ResourceGroup = group([]);

export function group(resources: readonly EncodedResource[]): ResourceGroup {
  return { digest: digestOf(resources.map(resourceLine)), parts: resources.length > 0 ? [resources] : [] };
}

/** `own` followed by `shared`; its digest is computed from `own` and `shared.digest`. */
export function compose(own: readonly EncodedResource[], shared: ResourceGroup): ResourceGroup {
  if (own.length === 0) return shared;
  return {
    digest: digestOf([...own.map(resourceLine), `+ ${shared.digest}`]),
    parts: [own, ...shared.parts],
  };
}

export function* groupResources(g: ResourceGroup): Generator<EncodedResource> {
  for (const part of g.parts) yield* part;
}

/** A digest of lines (each resource's `name version`). */
function digestOf(lines: readonly string[]): string {
  const hash = createHash('sha256');
  for (const text of lines) hash.update(text).update('\n');
  return hash.digest('hex').slice(0, 16);
}

/** `name version` of one resource: the unit every digest is made of. */
function resourceLine(resource: EncodedResource): string {
  return `${resource.name} ${resource.version}`;
}

/** How one group differs from another: what to send (new or changed) and what is gone. */
export interface GroupDiff {
  readonly upserted: readonly EncodedResource[];
  readonly removed: readonly EncodedResource[];
}

const EMPTY_DIFF: GroupDiff = { upserted: [], removed: [] };
const diffs = new WeakMap<ResourceGroup, WeakMap<ResourceGroup, GroupDiff>>();
const partDiffs = new WeakMap<readonly EncodedResource[], WeakMap<readonly EncodedResource[], GroupDiff>>();
const partIndexes = new WeakMap<readonly EncodedResource[], Map<string, EncodedResource>>();

/**
 * The difference between two groups, memoised per pair. Groups of the same shape are compared
 * part by part, and a part shared by both costs nothing, so the parts every proxy shares are
 * compared once per snapshot however many streams ask.
 */
export function groupDiff(before: ResourceGroup, after: ResourceGroup): GroupDiff {
  if (before === after || before.digest === after.digest) return EMPTY_DIFF;
  let byAfter = diffs.get(before);
  if (!byAfter) {
    byAfter = new WeakMap();
    diffs.set(before, byAfter);
  }
  let diff = byAfter.get(after);
  if (!diff) {
    diff = computeDiff(before, after);
    byAfter.set(after, diff);
  }
  return diff;
}

function computeDiff(before: ResourceGroup, after: ResourceGroup): GroupDiff {
  if (before.parts.length !== after.parts.length) return partDiff(before.parts.flat(), after.parts.flat());
  const upserted: EncodedResource[] = [];
  const removed: EncodedResource[] = [];
  before.parts.forEach((part, i) => {
    const diff = partDiff(part, after.parts[i] ?? []);
    upserted.push(...diff.upserted);
    removed.push(...diff.removed);
  });
  // A resource may move between parts (own and shared): it is then neither removed nor new.
  const kept = removed.filter((r) => !after.parts.some((part) => partIndex(part).has(r.name)));
  return { upserted, removed: kept };
}

function partDiff(before: readonly EncodedResource[], after: readonly EncodedResource[]): GroupDiff {
  if (before === after) return EMPTY_DIFF;
  let byAfter = partDiffs.get(before);
  if (!byAfter) {
    byAfter = new WeakMap();
    partDiffs.set(before, byAfter);
  }
  let diff = byAfter.get(after);
  if (!diff) {
    const old = partIndex(before);
    const now = partIndex(after);
    diff = {
      upserted: after.filter((r) => old.get(r.name)?.version !== r.version),
      removed: before.filter((r) => !now.has(r.name)),
    };
    byAfter.set(after, diff);
  }
  return diff;
}

function partIndex(part: readonly EncodedResource[]): Map<string, EncodedResource> {
  let index = partIndexes.get(part);
  if (!index) {
    index = new Map(part.map((r) => [r.name, r]));
    partIndexes.set(part, index);
  }
  return index;
}
