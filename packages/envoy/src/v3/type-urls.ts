/** The v3 resource types Sextant serves, by the type URL that names them on the wire. */
export const CLUSTER_TYPE = 'type.googleapis.com/envoy.config.cluster.v3.Cluster';
export const ENDPOINT_TYPE = 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment';
export const LISTENER_TYPE = 'type.googleapis.com/envoy.config.listener.v3.Listener';
export const ROUTE_TYPE = 'type.googleapis.com/envoy.config.route.v3.RouteConfiguration';

export type ResourceTypeUrl =
  typeof CLUSTER_TYPE | typeof ENDPOINT_TYPE | typeof LISTENER_TYPE | typeof ROUTE_TYPE;

/**
 * Make-before-break order (the xDS spec's "eventual consistency" rules): clusters before the
 * endpoints they name, both before the listeners that route to them, listeners before their
 * route configurations. Removals go the other way round.
 */
export const RESOURCE_TYPES: readonly ResourceTypeUrl[] = [
  CLUSTER_TYPE,
  ENDPOINT_TYPE,
  LISTENER_TYPE,
  ROUTE_TYPE,
];

export type TypeShortName = 'cds' | 'eds' | 'lds' | 'rds';

/** Short names as operators know them (`cds`, `eds`, `lds`, `rds`), for logs, metrics and /debug. */
export const TYPE_SHORT_NAMES: Readonly<Record<ResourceTypeUrl, TypeShortName>> = {
  [CLUSTER_TYPE]: 'cds',
  [ENDPOINT_TYPE]: 'eds',
  [LISTENER_TYPE]: 'lds',
  [ROUTE_TYPE]: 'rds',
};

export function isResourceTypeUrl(typeUrl: string): typeUrl is ResourceTypeUrl {
  return (RESOURCE_TYPES as readonly string[]).includes(typeUrl);
}

/** The message name inside a type URL: `envoy.config.cluster.v3.Cluster`. */
export function messageName(typeUrl: string): string {
  return typeUrl.slice(typeUrl.lastIndexOf('/') + 1);
}

/** The type URL of a message name. */
export function typeUrlOf(messageName: string): string {
  return `type.googleapis.com/${messageName}`;
}
