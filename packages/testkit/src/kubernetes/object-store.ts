import { randomUUID } from 'node:crypto';
import { apiVersionOf, resourceTypeOfKind, type ResourceType } from './resource-types';

/** A Kubernetes object as JSON: `metadata` plus whatever its kind has. */
export interface KubeObject {
  readonly kind?: string;
  readonly apiVersion?: string;
  readonly metadata: KubeObjectMeta;
  readonly [field: string]: unknown;
}

export interface KubeObjectMeta {
  readonly name: string;
  readonly namespace?: string;
  readonly uid?: string;
  readonly resourceVersion?: string;
  readonly generation?: number;
  readonly creationTimestamp?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
  readonly [field: string]: unknown;
}

/** One stored version of an object, serialised once for every list and watch that sends it. */
export interface StoredObject {
  readonly type: ResourceType;
  /** `<namespace>/<name>` (`/<name>` for cluster-scoped kinds): etcd's key order. */
  readonly key: string;
  readonly namespace: string;
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly resourceVersion: number;
  /** The object as a list item: JSON without `kind` and `apiVersion`. */
  readonly itemJson: string;
  /** Its `metadata` alone, for clients that ask for PartialObjectMetadata. */
  readonly metadataJson: string;
}

export type ChangeType = 'ADDED' | 'MODIFIED' | 'DELETED';

/** One entry of the change history a watch replays from. */
export interface ChangeRecord {
  readonly resourceVersion: number;
  readonly type: ChangeType;
  /** The new state; for DELETED the last state, stamped with the deletion's resourceVersion. */
  readonly current: StoredObject;
  readonly previous?: StoredObject;
}

export interface ObjectStoreOptions {
  /** The resourceVersion of the empty store. Default 1000. */
  readonly initialResourceVersion?: number;
  /** Changes kept for watches to resume from; older ones are compacted away (→ 410). Default 10 000. */
  readonly historyLimit?: number;
  /** The type an object given to `put` is of (its `kind`, and `apiVersion` for custom resources). Default: built-in kinds. */
  readonly typeOf?: (object: KubeObject) => ResourceType | undefined;
}

/**
 * The fake's etcd: objects by resource type and key, one global resourceVersion counter that every
 * write increments, and a bounded history of changes. A watch from a resourceVersion older than the
 * history's start gets "too old resource version" (410), as after an etcd compaction.
 */
export class ObjectStore {
  private readonly collections = new Map<ResourceType, Map<string, StoredObject>>();
  private readonly history: ChangeRecord[] = [];
  private readonly historyLimit: number;
  private readonly typeOf: (object: KubeObject) => ResourceType | undefined;
  private readonly listeners = new Set<(change: ChangeRecord) => void>();
  private rv: number;
  /** Every change with a resourceVersion up to this one has been compacted away. */
  private compactedThrough: number;

  constructor(options: ObjectStoreOptions = {}) {
    this.rv = options.initialResourceVersion ?? 1000;
    this.compactedThrough = this.rv;
    this.historyLimit = options.historyLimit ?? 10_000;
    this.typeOf = options.typeOf ?? ((object) => resourceTypeOfKind(object.kind));
  }

  get resourceVersion(): number {
    return this.rv;
  }

  /** The oldest resourceVersion a watch can still resume from. */
  get oldestResumable(): number {
    return this.compactedThrough;
  }

  /** Creates or replaces an object (ADDED or MODIFIED); returns it as stored, with its new resourceVersion. */
  put(object: KubeObject): KubeObject {
    const type = this.typeOf(object);
    if (!type) {
      throw new Error(
        `the fake does not serve kind ${JSON.stringify(object.kind)} of ${JSON.stringify(object.apiVersion)}`,
      );
    }
    const name = object.metadata?.name;
    if (typeof name !== 'string' || name === '') throw new Error(`a ${type.kind} needs metadata.name`);
    const namespace = type.namespaced ? (object.metadata.namespace ?? 'default') : '';
    const key = `${namespace}/${name}`;
    const collection = this.collection(type);
    const previous = collection.get(key);
    const previousMeta = previous ? (JSON.parse(previous.itemJson) as KubeObject).metadata : undefined;
    const { kind: _kind, apiVersion: _apiVersion, ...body } = structuredClone(object);
    const resourceVersion = this.rv + 1;
    const metadata: KubeObjectMeta = {
      ...body.metadata,
      ...(type.namespaced && { namespace }),
      uid: body.metadata.uid ?? previousMeta?.uid ?? randomUUID(),
      resourceVersion: String(resourceVersion),
      creationTimestamp:
        body.metadata.creationTimestamp ?? previousMeta?.creationTimestamp ?? timestamp(new Date()),
    };
    const stored = this.stored(type, key, namespace, name, { ...body, metadata }, resourceVersion);
    collection.set(key, stored);
    this.record({ resourceVersion, type: previous ? 'MODIFIED' : 'ADDED', current: stored, previous });
    return { kind: type.kind, apiVersion: apiVersionOf(type), ...JSON.parse(stored.itemJson) } as KubeObject;
  }

  /** Deletes an object (DELETED with its last state); false when there was none. */
  remove(type: ResourceType, namespace: string | undefined, name: string): boolean {
    const key = `${type.namespaced ? (namespace ?? 'default') : ''}/${name}`;
    const collection = this.collection(type);
    const previous = collection.get(key);
    if (!previous) return false;
    collection.delete(key);
    const resourceVersion = this.rv + 1;
    const last = JSON.parse(previous.itemJson) as KubeObject;
    const current = this.stored(
      type,
      key,
      previous.namespace,
      previous.name,
      { ...last, metadata: { ...last.metadata, resourceVersion: String(resourceVersion) } },
      resourceVersion,
    );
    this.record({ resourceVersion, type: 'DELETED', current, previous });
    return true;
  }

  get(type: ResourceType, namespace: string | undefined, name: string): StoredObject | undefined {
    return this.collection(type).get(`${type.namespaced ? (namespace ?? 'default') : ''}/${name}`);
  }

  /** Current objects of a type (optionally of one namespace), in key order. */
  list(type: ResourceType, namespace?: string): StoredObject[] {
    const items = [...this.collection(type).values()].filter(
      (item) => namespace === undefined || item.namespace === namespace,
    );
    return items.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  /** Changes after `resourceVersion`, or `expired` when some were compacted away. */
  changesSince(resourceVersion: number): readonly ChangeRecord[] | 'expired' {
    if (resourceVersion < this.compactedThrough) return 'expired';
    const first = this.history.findIndex((change) => change.resourceVersion > resourceVersion);
    return first < 0 ? [] : this.history.slice(first);
  }

  /** Forgets the whole history, as an etcd compaction at the current revision. */
  compact(): void {
    this.history.length = 0;
    this.compactedThrough = this.rv;
  }

  onChange(listener: (change: ChangeRecord) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private record(change: ChangeRecord): void {
    this.rv = change.resourceVersion;
    this.history.push(change);
    if (this.history.length > this.historyLimit) {
      const dropped = this.history.splice(0, this.history.length - this.historyLimit);
      this.compactedThrough = dropped[dropped.length - 1]?.resourceVersion ?? this.compactedThrough;
    }
    for (const listener of this.listeners) listener(change);
  }

  private collection(type: ResourceType): Map<string, StoredObject> {
    let collection = this.collections.get(type);
    if (!collection) {
      collection = new Map();
      this.collections.set(type, collection);
    }
    return collection;
  }

  private stored(
    type: ResourceType,
    key: string,
    namespace: string,
    name: string,
    body: KubeObject,
    resourceVersion: number,
  ): StoredObject {
    return {
      type,
      key,
      namespace,
      name,
      labels: { ...(body.metadata.labels ?? {}) },
      resourceVersion,
      itemJson: JSON.stringify(body),
      metadataJson: JSON.stringify(body.metadata),
    };
  }
}

/** RFC 3339 with whole seconds, as the API server writes timestamps. */
export function timestamp(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
