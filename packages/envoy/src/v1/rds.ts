import { formatRuleIdentity, v1ObjectName, type ProxyIdentity, type Snapshot } from '@sextant/core';
import { proxySource } from '../plan/proxy-source';
import type { PlannedRoute } from '../plan/plan-types';
import { routePlan, type RouteDefaults } from '../plan/route-plan';
import type { MeshIndexes } from '../mesh-index';
import { routableHosts, routeConfigPort } from '../route-domains';
import { encodeV1Route } from './route-encoding';
import type { RouteConfiguration, V1Route } from './types';

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
  const hosts = plannedHosts(mesh, snapshot, routeConfigName, proxy, defaults, domain);
  return {
    validate_clusters: false,
    virtual_hosts: hosts.map(({ name, domains, routes }) => ({
      name,
      domains,
      routes: routes.map(({ encoded }) => encoded),
    })),
  };
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
  const hosts = plannedHosts(mesh, snapshot, routeConfigName, proxy, defaults, proxy.domain);
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
  readonly domains: readonly string[];
  readonly routes: { readonly planned: PlannedRoute; readonly encoded: V1Route }[];
}

/** A virtual host per HTTP service on the port, with its planned routes that v1 can express. */
function plannedHosts(
  mesh: MeshIndexes,
  snapshot: Snapshot,
  routeConfigName: string,
  proxy: ProxyIdentity,
  defaults: RouteDefaults,
  proxyDomain: string,
): PlannedHost[] {
  const port = routeConfigPortOf(routeConfigName);
  const source = proxySource(mesh, snapshot, proxy);
  const entries = mesh.httpEntriesOnPort(snapshot, port);
  const byHost = new Map(entries.map((e) => [e.service.hostname, e]));
  return routableHosts(
    entries.map((e) => e.service),
    port,
    proxyDomain,
  ).flatMap(({ service, servicePort, domains }) => {
    const entry = byHost.get(service.hostname);
    if (!entry) return [];
    const plan = routePlan(snapshot, entry, servicePort, source, defaults);
    return [
      {
        name: v1ObjectName(`${service.hostname}|${servicePort.name}`),
        domains,
        routes: plan.routes.flatMap((planned) => {
          const encoded = encodeV1Route(planned);
          return encoded ? [{ planned, encoded }] : [];
        }),
      },
    ];
  });
}

/** The port a route configuration name denotes; throws UnknownRouteConfigError for any other name. */
export function routeConfigPortOf(name: string): number {
  const port = routeConfigPort(name);
  if (port === undefined) throw new UnknownRouteConfigError(name);
  return port;
}
