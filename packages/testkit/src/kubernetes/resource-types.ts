/**
 * The collections the fake serves, with the names the API uses for them. Built-in list items
 * carry no `kind`/`apiVersion`; watch events and single GETs do, so both are kept here.
 */
export interface ResourceType {
  /** Plural resource name, as in URLs and RBAC (`endpointslices`). */
  readonly resource: string;
  readonly kind: string;
  /** API group (`""` for the core group). */
  readonly group: string;
  readonly version: string;
  readonly namespaced: boolean;
  /**
   * The body of a BOOKMARK event besides `kind`, `apiVersion` and `metadata`: the kind's zero
   * value as the API server serialises it (`"endpoints":null`, not absent).
   */
  readonly bookmarkFields: Readonly<Record<string, unknown>>;
  /**
   * A custom resource (served through a CustomResourceDefinition): its list items carry `kind` and
   * `apiVersion`, and it is served at every version its CRD serves (`version` is the storage one).
   */
  readonly custom?: boolean;
}

export const RESOURCE_TYPES: readonly ResourceType[] = [
  {
    resource: 'services',
    kind: 'Service',
    group: '',
    version: 'v1',
    namespaced: true,
    bookmarkFields: { spec: {}, status: { loadBalancer: {} } },
  },
  {
    resource: 'endpointslices',
    kind: 'EndpointSlice',
    group: 'discovery.k8s.io',
    version: 'v1',
    namespaced: true,
    bookmarkFields: { addressType: '', endpoints: null, ports: null },
  },
  {
    resource: 'pods',
    kind: 'Pod',
    group: '',
    version: 'v1',
    namespaced: true,
    bookmarkFields: { spec: { containers: null }, status: {} },
  },
  {
    resource: 'nodes',
    kind: 'Node',
    group: '',
    version: 'v1',
    namespaced: false,
    bookmarkFields: { spec: {}, status: { daemonEndpoints: { kubeletEndpoint: { Port: 0 } }, nodeInfo: {} } },
  },
];

export function apiVersionOf(type: ResourceType, version = type.version): string {
  return type.group === '' ? version : `${type.group}/${version}`;
}

/** `endpointslices.discovery.k8s.io`, `services`: how RBAC messages name a resource. */
export function qualifiedResource(type: ResourceType): string {
  return type.group === '' ? type.resource : `${type.resource}.${type.group}`;
}

export function resourceTypeOfKind(kind: unknown): ResourceType | undefined {
  return RESOURCE_TYPES.find((type) => type.kind === kind);
}

export function resourceTypeNamed(resource: string): ResourceType | undefined {
  return RESOURCE_TYPES.find((type) => type.resource === resource);
}

/** The type a path's group, version and plural name, if the server serves it there. */
export type ResourceTypeLookup = (
  group: string,
  version: string,
  resource: string,
) => ResourceType | undefined;

/** The built-in types, each at its one version. */
export const builtInType: ResourceTypeLookup = (group, version, resource) =>
  RESOURCE_TYPES.find(
    (candidate) =>
      candidate.group === group && candidate.version === version && candidate.resource === resource,
  );

/** What a request path addresses: a collection (optionally in one namespace), or one object. */
export interface ResourcePath {
  readonly type: ResourceType;
  /** The version the path asks for (custom resources are served at several). */
  readonly version: string;
  readonly namespace?: string;
  readonly name?: string;
}

/**
 * Parses `/api/v1/services`, `/api/v1/namespaces/default/services/web`,
 * `/apis/discovery.k8s.io/v1/namespaces/default/endpointslices`, `/api/v1/nodes/node-a`.
 */
export function parseResourcePath(
  pathname: string,
  lookup: ResourceTypeLookup = builtInType,
): ResourcePath | undefined {
  const parts = pathname.split('/').filter((part) => part !== '');
  let group: string;
  let rest: string[];
  if (parts[0] === 'api' && parts[1] !== undefined) {
    group = '';
    rest = parts.slice(1);
  } else if (parts[0] === 'apis' && parts[1] !== undefined && parts[2] !== undefined) {
    group = parts[1];
    rest = parts.slice(2);
  } else {
    return undefined;
  }
  const [version = '', ...tail] = rest;
  let namespace: string | undefined;
  let remainder = tail;
  if (tail[0] === 'namespaces' && tail.length >= 3) {
    namespace = decodeURIComponent(tail[1] ?? '');
    remainder = tail.slice(2);
  }
  if (remainder.length < 1 || remainder.length > 2) return undefined;
  const [resource = '', name] = remainder;
  const type = lookup(group, version, resource);
  if (!type || (namespace !== undefined && !type.namespaced)) return undefined;
  return {
    type,
    version,
    ...(namespace !== undefined && { namespace }),
    ...(name !== undefined && { name: decodeURIComponent(name) }),
  };
}
