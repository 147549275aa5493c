/**
 * Checks Envoy v1 made in C++ rather than in its JSON schema (envoy-v1-rest.md, "(code)"):
 * each returns the problems found, empty when Envoy would accept the body.
 */
const MAX_NAME_BYTES = 60;

interface Named {
  name?: string;
}

function nameProblems(kind: string, items: readonly Named[]): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const item of items) {
    const name = item.name ?? '';
    if (Buffer.byteLength(name) > MAX_NAME_BYTES) problems.push(`${kind} name over 60 bytes: ${name}`);
    if (seen.has(name)) problems.push(`duplicate ${kind} name: ${name}`);
    seen.add(name);
  }
  return problems;
}

interface RouteLike {
  weighted_clusters?: { clusters: { weight: number }[] };
}
interface VirtualHostLike extends Named {
  domains: string[];
  routes: RouteLike[];
}
interface RouteConfigLike {
  virtual_hosts: VirtualHostLike[];
}

export function routeConfigProblems(config: RouteConfigLike): string[] {
  const problems = nameProblems('virtual host', config.virtual_hosts);
  const domains = new Set<string>();
  let wildcards = 0;
  for (const host of config.virtual_hosts) {
    for (const domain of host.domains) {
      if (domains.has(domain)) problems.push(`domain ${domain} appears in two virtual hosts`);
      domains.add(domain);
      if (domain === '*') wildcards += 1;
    }
    for (const route of host.routes) {
      const weights = route.weighted_clusters?.clusters.map((c) => c.weight);
      if (weights && weights.reduce((a, b) => a + b, 0) !== 100) {
        problems.push(`weighted clusters of ${host.name ?? ''} sum to ${weights.join('+')}, not 100`);
      }
    }
  }
  if (wildcards > 1) problems.push('more than one virtual host uses the domain "*"');
  return problems;
}

export function clustersProblems(body: { clusters: Named[] }): string[] {
  return nameProblems('cluster', body.clusters);
}

interface ListenerLike extends Named {
  address: string;
  filters: { name: string; config: { filters?: { name: string }[]; route_config?: RouteConfigLike } }[];
}

export function listenersProblems(body: { listeners: ListenerLike[] }): string[] {
  const problems = nameProblems('listener', body.listeners);
  const addresses = new Set<string>();
  for (const listener of body.listeners) {
    if (!listener.name)
      problems.push(`listener on ${listener.address} has no name (Envoy would invent one each poll)`);
    if (addresses.has(listener.address)) problems.push(`two listeners on ${listener.address}`);
    addresses.add(listener.address);
    for (const filter of listener.filters) {
      if (filter.name !== 'http_connection_manager') continue;
      const httpFilters = filter.config.filters;
      if (httpFilters && httpFilters.length > 0 && httpFilters[httpFilters.length - 1]?.name !== 'router') {
        problems.push(`listener ${listener.name ?? ''}: the router filter must be last`);
      }
      if (filter.config.route_config) problems.push(...routeConfigProblems(filter.config.route_config));
    }
  }
  return problems;
}
