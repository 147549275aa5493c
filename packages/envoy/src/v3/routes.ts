import type { ServiceEntry, Snapshot } from '@sextant/core';
import { routePlan, type ProxySource } from '../plan/route-plan';
import { routableHosts } from '../route-domains';
import type { EncodedResource } from './encoded-resource';
import { cachedResource, encode, type V3Scope } from './render-scope';
import { encodeRoute } from './route-encoding';
import { ROUTE_TYPE } from './type-urls';
import type { RouteConfiguration, VirtualHost } from './wire-types';

/**
 * The RDS route configuration for the outbound HTTP listener on `port`: a virtual host per HTTP
 * service on that port, reachable by every name a client in the proxy's domain may use, with and
 * without `:port`, and by its VIPs (a domain already claimed by an earlier virtual host is left
 * out: Envoy rejects the whole table otherwise); each virtual host's routes are its host's route
 * plan (the rules' routes, or its default route).
 *
 * It depends on the services on that port, their shapes and policies, and the hosts their routes
 * name (the port's version), on the part of the proxy's domain short names depend on (its
 * effective domain), and on the proxy's source when some route selects clients (`sourceKey`).
 */
export function routeConfiguration(
  scope: V3Scope,
  snapshot: Snapshot,
  port: number,
  proxyDomain: string,
  source: ProxySource,
  sourceKey: string,
): EncodedResource {
  const domain = scope.mesh.effectiveDomain(snapshot, proxyDomain);
  const key = `rds ${port} ${scope.mesh.portVersion(snapshot, port)} ${domain} ${sourceKey}`;
  return cachedResource(scope, key, () => {
    const entries = scope.mesh.httpEntriesOnPort(snapshot, port);
    const config: RouteConfiguration = {
      name: String(port),
      validate_clusters: { value: false },
      virtual_hosts: virtualHosts(scope, snapshot, entries, port, domain, source),
    };
    return encode(scope, ROUTE_TYPE, String(port), config);
  });
}

function virtualHosts(
  scope: V3Scope,
  snapshot: Snapshot,
  entries: readonly ServiceEntry[],
  port: number,
  proxyDomain: string,
  source: ProxySource,
): VirtualHost[] {
  const byHost = new Map(entries.map((e) => [e.service.hostname, e]));
  return routableHosts(
    entries.map((e) => e.service),
    port,
    proxyDomain,
  ).flatMap(({ service, servicePort, domains }) => {
    const entry = byHost.get(service.hostname);
    if (!entry) return [];
    const plan = routePlan(snapshot, entry, servicePort, source, scope.defaults);
    return [
      {
        name: `${service.hostname}:${port}`,
        domains: [...domains],
        routes: plan.routes.flatMap((route) => encodeRoute(route, 'v3') ?? []),
      },
    ];
  });
}
