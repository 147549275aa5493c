import { createHash } from 'node:crypto';
import type { EncodedResource } from './encoded-resource';

/** How one group differs from another: what to send (new or changed) and what is gone. */
export interface GroupDiff {
  readonly upserted: readonly EncodedResource[];
  readonly removed: readonly EncodedResource[];
}

const NO_DIFF: GroupDiff = { upserted: [], removed: [] };

/**
 * An immutable list of resources: one part of a group. Parts are shared by reference (the
 * clusters every proxy of a class gets are one part), so what is computed about a part (its name
 * index, its difference to the part that replaced it) is computed once however many streams ask.
 */
export class ResourceList {
  private index: Map<string, EncodedResource> | undefined;
  /** The last difference asked for: a fleet moving from this part to the same next one asks alike. */
  private lastDiff: { readonly to: ResourceList; readonly diff: GroupDiff } | undefined;

  constructor(readonly resources: readonly EncodedResource[]) {}

  get(name: string): EncodedResource | undefined {
    this.index ??= new Map(this.resources.map((r) => [r.name, r]));
    return this.index.get(name);
  }

  diffTo(to: ResourceList): GroupDiff {
    if (to === this) return NO_DIFF;
    if (this.lastDiff?.to === to) return this.lastDiff.diff;
    const diff = {
      upserted: to.resources.filter((r) => this.get(r.name)?.version !== r.version),
      removed: this.resources.filter((r) => !to.get(r.name)),
    };
    this.lastDiff = { to, diff };
    return diff;
  }
}

/**
 * An ordered list of resources with a digest of their names and versions: equal digests, equal
 * lists. Groups compose by reference (a sidecar's clusters are its own few plus the part every
 * proxy shares), so a digest over a composite costs the size of the small part only.
 */
export class ResourceGroup {
  /** The last difference asked for: streams that received this group move to the same next one. */
  private lastDiff: { readonly to: ResourceGroup; readonly diff: GroupDiff } | undefined;

  private constructor(
    readonly digest: string,
    /** The resources in order, as consecutive parts; parts are shared, never copied. */
    readonly parts: readonly ResourceList[],
    /** It holds a transient resource (rendered for a made-up name): not to be cached. */
    readonly transient: boolean,
  ) {}

  static of(resources: readonly EncodedResource[]): ResourceGroup {
    return new ResourceGroup(
      digestOf(resources.map(resourceLine)),
      resources.length > 0 ? [new ResourceList(resources)] : [],
      resources.some((r) => r.transient),
    );
  }

  /** `own` followed by `shared`; its digest is computed from `own` and `shared.digest`. */
  static compose(own: readonly EncodedResource[], shared: ResourceGroup): ResourceGroup {
    if (own.length === 0) return shared;
    return new ResourceGroup(
      digestOf([...own.map(resourceLine), `+ ${shared.digest}`]),
      [new ResourceList(own), ...shared.parts],
      shared.transient || own.some((r) => r.transient),
    );
  }

  *resources(): Generator<EncodedResource> {
    for (const part of this.parts) yield* part.resources;
  }

  get size(): number {
    let count = 0;
    for (const part of this.parts) count += part.resources.length;
    return count;
  }

  get(name: string): EncodedResource | undefined {
    for (const part of this.parts) {
      const found = part.get(name);
      if (found) return found;
    }
    return undefined;
  }

  /**
   * The difference to `after`. Groups of the same shape are compared part by part, and a part
   * shared by both costs nothing, so the parts every proxy shares are compared once per change
   * however many streams ask.
   */
  diffTo(after: ResourceGroup): GroupDiff {
    if (this === after || this.digest === after.digest) return NO_DIFF;
    if (this.lastDiff?.to === after) return this.lastDiff.diff;
    const diff = this.computeDiff(after);
    this.lastDiff = { to: after, diff };
    return diff;
  }

  private computeDiff(after: ResourceGroup): GroupDiff {
    if (this.parts.length !== after.parts.length) {
      return flat(this).diffTo(flat(after));
    }
    const upserted: EncodedResource[] = [];
    const removed: EncodedResource[] = [];
    this.parts.forEach((part, i) => {
      const diff = part.diffTo(after.parts[i] ?? EMPTY_LIST);
      upserted.push(...diff.upserted);
      removed.push(...diff.removed);
    });
    // A resource may move between parts (own and shared): it is then neither removed nor new.
    return { upserted, removed: removed.filter((r) => !after.get(r.name)) };
  }
}

const EMPTY_LIST = new ResourceList([]);
export const EMPTY_GROUP = ResourceGroup.of([]);

function flat(group: ResourceGroup): ResourceList {
  return group.parts.length === 1
    ? (group.parts[0] as ResourceList)
    : new ResourceList([...group.resources()]);
}

/** A digest of lines (each resource's `name version`). */
function digestOf(lines: readonly string[]): string {
  const hash = createHash('sha256');
  for (const text of lines) hash.update(text).update('\n');
  return hash.digest().toString('hex', 0, 8);
}

/** `name version` of one resource: the unit every digest is made of. */
function resourceLine(resource: EncodedResource): string {
  return `${resource.name} ${resource.version}`;
}
