import type { StoredObject } from './object-store';
import { apiVersionOf, type ResourceType } from './resource-types';

/**
 * How a client asked to see objects (the `Accept` header): whole objects, or only their metadata
 * (`application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1` for lists,
 * `…;as=PartialObjectMetadata;…` for watches and single objects), as client-go's metadata
 * informers ask. A client that also accepts plain `application/json` gets whole objects from a
 * server that cannot transform; this one can.
 */
export type Representation = 'object' | 'metadata';

const META_GROUP = /;\s*g=meta\.k8s\.io/;

export function representationFor(
  accept: string | undefined,
  list: boolean,
): Representation | 'unacceptable' {
  if (accept === undefined) return 'object';
  const ranges = accept.split(',').map((range) => range.trim());
  const wanted = list ? 'PartialObjectMetadataList' : 'PartialObjectMetadata';
  for (const range of ranges) {
    const as = /;\s*as=([A-Za-z]+)/.exec(range)?.[1];
    if (as === undefined) {
      if (/^(application\/json|application\/\*|\*\/\*)/.test(range)) return 'object';
      continue;
    }
    if (as === wanted && META_GROUP.test(range) && range.startsWith('application/json')) return 'metadata';
  }
  return 'unacceptable';
}

/**
 * The object as a watch event or single GET carries it: with `kind` and `apiVersion` (the version
 * asked for: a custom resource is the same JSON at every version its CRD serves).
 */
export function objectJson(
  item: StoredObject,
  representation: Representation,
  apiVersion = apiVersionOf(item.type),
): string {
  if (representation === 'metadata') {
    return `{"kind":"PartialObjectMetadata","apiVersion":"meta.k8s.io/v1","metadata":${item.metadataJson}}`;
  }
  return `{"kind":${JSON.stringify(item.type.kind)},"apiVersion":${JSON.stringify(apiVersion)},${item.itemJson.slice(1)}`;
}

/** The object as a list item: without `kind` and `apiVersion` for built-in lists, with them for custom resources. */
export function itemJson(item: StoredObject, representation: Representation, apiVersion?: string): string {
  if (representation === 'metadata') return `{"metadata":${item.metadataJson}}`;
  return item.type.custom ? objectJson(item, representation, apiVersion) : item.itemJson;
}

export function listHeader(
  type: ResourceType,
  representation: Representation,
  apiVersion = apiVersionOf(type),
): string {
  return representation === 'metadata'
    ? '"kind":"PartialObjectMetadataList","apiVersion":"meta.k8s.io/v1"'
    : `"kind":${JSON.stringify(`${type.kind}List`)},"apiVersion":${JSON.stringify(apiVersion)}`;
}

/** The zero-valued object a BOOKMARK event carries, with only its resourceVersion (and annotations) set. */
export function bookmarkJson(
  type: ResourceType,
  representation: Representation,
  resourceVersion: number,
  annotations?: Record<string, string>,
  apiVersion = apiVersionOf(type),
): string {
  const metadata = {
    resourceVersion: String(resourceVersion),
    creationTimestamp: null,
    ...(annotations && { annotations }),
  };
  if (representation === 'metadata') {
    return JSON.stringify({ kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata });
  }
  return JSON.stringify({
    kind: type.kind,
    apiVersion,
    metadata,
    ...type.bookmarkFields,
  });
}
