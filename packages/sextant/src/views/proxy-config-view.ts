import { cell } from './table';

/**
 * `sextant config <proxy>`: the v3 resources /debug/config/:proxyId returns (proto3 JSON, field
 * names as in the .proto files), as tables of what an operator asks about each type. A field a
 * resource lacks is shown `-`; nothing here throws on an unexpected shape.
 */

export const CONFIG_TYPES = ['clusters', 'listeners', 'routes', 'endpoints'] as const;
export type ConfigType = (typeof CONFIG_TYPES)[number];

export interface ConfigTable {
  readonly header: readonly string[];
  readonly rows: readonly (readonly string[])[];
}

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  value !== null && typeof value === 'object' && !Array.isArray(value);
const list = (value: unknown): Json[] => (Array.isArray(value) ? value.filter(isObject) : []);

/** A field by its .proto name or its camelCase JSON name. */
function field(message: unknown, name: string): unknown {
  if (!isObject(message)) return undefined;
  if (name in message) return message[name];
  return message[name.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase())];
}
const obj = (message: unknown, name: string): Json => {
  const value = field(message, name);
  return isObject(value) ? value : {};
};
const str = (message: unknown, name: string): string | undefined => {
  const value = field(message, name);
  return typeof value === 'string' || typeof value === 'number' ? String(value) : undefined;
};

/** The v3 resources of a /debug/config answer, by type (empty lists when a type is missing). */
export function v3Resources(body: unknown): Record<ConfigType, Json[]> | undefined {
  const v3 = isObject(body) ? body.v3 : undefined;
  if (!isObject(v3)) return undefined;
  return {
    clusters: list(v3.clusters),
    listeners: list(v3.listeners),
    routes: list(v3.routes),
    endpoints: list(v3.endpoints),
  };
}

export function configTable(type: ConfigType, resources: Record<ConfigType, Json[]>): ConfigTable {
  switch (type) {
    case 'clusters':
      return clustersTable(resources.clusters, resources.endpoints);
    case 'listeners':
      return listenersTable(resources.listeners);
    case 'routes':
      return routesTable(resources.routes);
    case 'endpoints':
      return endpointsTable(resources.endpoints);
  }
}

function socketAddress(address: unknown): string | undefined {
  const socket = obj(address, 'socket_address');
  const host = str(socket, 'address');
  if (host === undefined) return str(obj(address, 'pipe'), 'path');
  const port = str(socket, 'port_value') ?? '0';
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

function lbEndpointCount(assignment: unknown): number {
  return list(field(assignment, 'endpoints')).reduce((n, l) => n + list(field(l, 'lb_endpoints')).length, 0);
}

function clustersTable(clusters: readonly Json[], endpoints: readonly Json[]): ConfigTable {
  const assignments = new Map(endpoints.map((e) => [str(e, 'cluster_name') ?? '', e]));
  const rows = clusters.map((cluster) => {
    const name = str(cluster, 'name') ?? '';
    const type = str(cluster, 'type') ?? (field(cluster, 'cluster_type') ? 'CUSTOM' : 'STATIC');
    const serviceName = str(obj(cluster, 'eds_cluster_config'), 'service_name') ?? name;
    const assignment = type === 'EDS' ? assignments.get(serviceName) : field(cluster, 'load_assignment');
    const count = type === 'EDS' && assignment === undefined ? '-' : String(lbEndpointCount(assignment));
    return [cell(name), cell(type), cell(str(cluster, 'lb_policy') ?? 'ROUND_ROBIN'), count];
  });
  return { header: ['NAME', 'TYPE', 'LB', 'ENDPOINTS'], rows };
}

/** What a network filter does, briefly: the route config an HCM uses, the cluster a TCP proxy reaches. */
function describeFilter(filter: Json): string {
  const name = (str(filter, 'name') ?? '?').replace(/^envoy\.filters\.network\./, '');
  const config = obj(filter, 'typed_config');
  const rds = str(obj(config, 'rds'), 'route_config_name');
  if (rds !== undefined) return `${name} (rds: ${rds})`;
  const inline = str(obj(config, 'route_config'), 'name');
  if (inline !== undefined) return `${name} (route: ${inline})`;
  const cluster = str(config, 'cluster');
  if (cluster !== undefined) return `${name} (→ ${cluster})`;
  const weighted = list(field(obj(config, 'weighted_clusters'), 'clusters'));
  if (weighted.length > 0) return `${name} (→ ${weighted.map(weightedDestination).join(', ')})`;
  return name;
}

function listenersTable(listeners: readonly Json[]): ConfigTable {
  const rows = listeners.map((listener) => {
    const api = field(listener, 'api_listener');
    const filters = list(field(listener, 'filter_chains')).flatMap((chain) =>
      list(field(chain, 'filters')).map(describeFilter),
    );
    if (isObject(api))
      filters.push(describeFilter({ name: 'api_listener', typed_config: field(api, 'api_listener') }));
    const address =
      socketAddress(field(listener, 'address')) ?? (isObject(api) ? '(api listener)' : undefined);
    return [cell(str(listener, 'name')), cell(address), cell([...new Set(filters)].join('; '), 200)];
  });
  return { header: ['NAME', 'ADDRESS', 'FILTERS'], rows };
}

function describeMatch(match: Json): string {
  const parts: string[] = [];
  const prefix = str(match, 'prefix');
  const path = str(match, 'path');
  const regex = str(obj(match, 'safe_regex'), 'regex');
  if (prefix !== undefined) parts.push(`${prefix}*`);
  if (path !== undefined) parts.push(path);
  if (regex !== undefined) parts.push(`~${regex}`);
  const separated = str(match, 'path_separated_prefix');
  if (separated !== undefined) parts.push(`${separated}/*`);
  for (const header of list(field(match, 'headers'))) {
    const name = str(header, 'name') ?? '?';
    const exact = str(obj(header, 'string_match'), 'exact') ?? str(header, 'exact_match');
    parts.push(exact !== undefined ? `${name}=${exact}` : `${name}~`);
  }
  return parts.length > 0 ? parts.join(' ') : '*';
}

function weightedDestination(cluster: Json): string {
  const weight = field(cluster, 'weight');
  const value = isObject(weight)
    ? str(weight, 'value')
    : typeof weight === 'number'
      ? String(weight)
      : undefined;
  return `${str(cluster, 'name') ?? '?'}${value === undefined ? '' : ` ${value}%`}`;
}

function describeAction(route: Json): string {
  const action = obj(route, 'route');
  const cluster = str(action, 'cluster');
  if (cluster !== undefined) return cluster;
  const weighted = list(field(obj(action, 'weighted_clusters'), 'clusters'));
  if (weighted.length > 0) return weighted.map(weightedDestination).join(', ');
  const header = str(action, 'cluster_header');
  if (header !== undefined) return `(cluster from header ${header})`;
  const redirect = field(route, 'redirect');
  if (isObject(redirect)) {
    const target = [str(redirect, 'host_redirect'), str(redirect, 'path_redirect')].filter(Boolean).join('');
    return `redirect ${target || '(same URL)'}`;
  }
  const direct = field(route, 'direct_response');
  if (isObject(direct)) return `respond ${str(direct, 'status') ?? '?'}`;
  return '-';
}

function routesTable(configs: readonly Json[]): ConfigTable {
  const rows = configs.flatMap((config) =>
    list(field(config, 'virtual_hosts')).flatMap((host) => {
      const routes = list(field(host, 'routes'));
      const name = [cell(str(config, 'name')), cell(str(host, 'name'))];
      if (routes.length === 0) return [[...name, '-', '-']];
      return routes.map((route) => [
        ...name,
        cell(describeMatch(obj(route, 'match')), 200),
        cell(describeAction(route), 300),
      ]);
    }),
  );
  return { header: ['ROUTE CONFIG', 'VIRTUAL HOST', 'MATCH', 'DESTINATION'], rows };
}

function endpointsTable(assignments: readonly Json[]): ConfigTable {
  const rows = assignments.flatMap((assignment) =>
    list(field(assignment, 'endpoints')).flatMap((locality) => {
      const where = obj(locality, 'locality');
      const localityText = [str(where, 'region'), str(where, 'zone'), str(where, 'sub_zone')]
        .map((part) => part ?? '')
        .join('/')
        .replace(/\/+$/, '');
      return list(field(locality, 'lb_endpoints')).map((lbEndpoint) => [
        cell(str(assignment, 'cluster_name')),
        cell(socketAddress(field(obj(lbEndpoint, 'endpoint'), 'address'))),
        str(lbEndpoint, 'health_status') ?? 'UNKNOWN',
        cell(localityText),
      ]);
    }),
  );
  return { header: ['CLUSTER', 'ADDRESS', 'HEALTH', 'LOCALITY'], rows };
}
