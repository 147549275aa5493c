import { formatRuleIdentity, v1ObjectName, type ProxyIdentity, type Snapshot } from '@sextant/core';
import { proxySource } from '../plan/proxy-source';
import type { PlannedRoute } from '../plan/plan-types';
import { routePlan, type ProxySource, type RouteDefaults } from '../plan/route-plan';
import type { MeshIndexes } from '../mesh-index';
import { routableHosts, routeConfigPort, routeDomains, type RoutableHost } from '../route-domains';
import { encodeV1Route } from './route-encoding';
import type { RouteConfiguration, V1Route, V1VirtualHost } from './types';

/** A route configuration name that names no port: Envoy asks only for names LDS gave it. */
export class UnknownRouteConfigError extends Error {
  override readonly name = 'UnknownRouteConfigError';
  constructor(readonly routeConfigName: string) {
    super(
      `unknown route configuration "${routeConfigName}": outbound route configurations are named by port number`,
    );
  }
}

/**
 * v1 RDS for the outbound HTTP listener on one port (the route configuration is named by the
 * port, `"9080"`): a virtual host per HTTP service on that port, reachable by every name a
 * client in the proxy's domain may use, with and without `:port`, and by its VIPs.
 * A domain claimed by an earlier virtual host is not repeated (Envoy rejects the whole table).
 */
export function renderRds(
  mesh: MeshIndexes,
  snapshot: Snapshot,
  routeConfigName: string,
  proxy: ProxyIdentity,
  defaults: RouteDefaults = {},
  domain: string = proxy.domain,
): RouteConfiguration {
  const source = proxySource(mesh, snapshot, proxy);
  // The renderer writes the same JSON around virtual hosts it renders one by one (V1Renderer.rds).
  return {
    validate_clusters: false,
    virtual_hosts: tableHosts(mesh, snapshot, routeConfigName, domain).map((host) =>
      v1VirtualHost(snapshot, host, source, defaults),
    ),
  };
}

/** The hosts of the table a route configuration name asks for, seen from `domain`. */
export function tableHosts(
  mesh: MeshIndexes,
  snapshot: Snapshot,
  routeConfigName: string,
  domain: string,
): RoutableHost[] {
  const port = routeConfigPortOf(routeConfigName);
  return routableHosts(mesh.httpEntriesOnPort(snapshot, port), port, domain);
}

/** One virtual host of a table: the host's planned routes that v1 can express. */
export function v1VirtualHost(
  snapshot: Snapshot,
  host: RoutableHost,
  source: ProxySource,
  defaults: RouteDefaults,
): V1VirtualHost {
  const { name, routes } = v1HostRoutes(snapshot, host, source, defaults);
  return { name, domains: routeDomains(host), routes };
}

/** A virtual host but for its domains: what is the same in every domain's table. */
export function v1HostRoutes(
  snapshot: Snapshot,
  host: RoutableHost,
  source: ProxySource,
  defaults: RouteDefaults,
): Omit<V1VirtualHost, 'domains'> {
  const { name, routes } = plannedHost(snapshot, host, source, defaults);
  return { name, routes: routes.map(({ encoded }) => encoded) };
}

/**
 * Where each route of renderRds's answer came from, by virtual host name and route index (v1
 * routes have no metadata to carry it): the rule and field, or null for a host's default route.
 */
export function rdsRouteOrigins(
  mesh: MeshIndexes,
  snapshot: Snapshot,
  routeConfigName: string,
  proxy: ProxyIdentity,
  defaults: RouteDefaults = {},
): Record<string, ({ rule: string; path: string } | null)[]> {
  const source = proxySource(mesh, snapshot, proxy);
  const hosts = tableHosts(mesh, snapshot, routeConfigName, proxy.domain).map((host) =>
    plannedHost(snapshot, host, source, defaults),
  );
  return Object.fromEntries(
    hosts.map(({ name, routes }) => [
      name,
      routes.map(({ planned }) =>
        planned.origin ? { rule: formatRuleIdentity(planned.origin.rule), path: planned.origin.path } : null,
      ),
    ]),
  );
}

interface PlannedHost {
  readonly name: string;
  readonly routes: { readonly planned: PlannedRoute; readonly encoded: V1Route }[];
}

function plannedHost(
  snapshot: Snapshot,
  { entry, servicePort }: RoutableHost,
  source: ProxySource,
  defaults: RouteDefaults,
): PlannedHost {
  const plan = routePlan(snapshot, entry, servicePort, source, defaults);
  return {
    name: v1ObjectName(`${entry.service.hostname}|${servicePort.name}`),
    routes: plan.routes.flatMap((planned) => {
      const encoded = encodeV1Route(planned);
      return encoded ? [{ planned, encoded }] : [];
    }),
  };
}

/** The port a route configuration name denotes; throws UnknownRouteConfigError for any other name. */
export function routeConfigPortOf(name: string): number {
  const port = routeConfigPort(name);
  if (port === undefined) throw new UnknownRouteConfigError(name);
  return port;
}
