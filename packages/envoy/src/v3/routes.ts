import { v3OutboundClusterName, type Service, type Snapshot } from '@sextant/core';
import { routableHosts } from '../route-domains';
import type { EncodedResource } from './encoded-resource';
import { cachedResource, encode, type V3Scope } from './render-scope';
import { ROUTE_TYPE } from './type-urls';
import type { RouteConfiguration, VirtualHost } from './wire-types';

/**
 * The RDS route configuration for the outbound HTTP listener on `port`, as v1 RDS built it: a
 * virtual host per HTTP service on that port, reachable by every name a client in the proxy's
 * domain may use, with and without `:port`, and by its VIPs; a domain already claimed by an
 * earlier virtual host is left out (Envoy rejects the whole table otherwise).
 *
 * It depends on the services on that port and their shapes (the port's version: an endpoint
 * change re-renders no route table) and on the part of the proxy's domain that short names
 * depend on (its effective domain: proxies in domains no service shares get one table).
 */
export function routeConfiguration(
  scope: V3Scope,
  snapshot: Snapshot,
  port: number,
  proxyDomain: string,
): EncodedResource {
  const domain = scope.mesh.effectiveDomain(snapshot, proxyDomain);
  const key = `rds ${port} ${scope.mesh.portVersion(snapshot, port)} ${domain}`;
  return cachedResource(scope, key, () => {
    const services = scope.mesh.httpEntriesOnPort(snapshot, port).map((e) => e.service);
    const config: RouteConfiguration = {
      name: String(port),
      validate_clusters: { value: false },
      virtual_hosts: virtualHosts(services, port, domain),
    };
    return encode(scope, ROUTE_TYPE, String(port), config);
  });
}

function virtualHosts(services: readonly Service[], port: number, proxyDomain: string): VirtualHost[] {
  return routableHosts(services, port, proxyDomain).map(({ service, domains }) => ({
    name: `${service.hostname}:${port}`,
    domains: [...domains],
    routes: [
      {
        match: { prefix: '/' },
        // No timeout: Envoy's default 15 s would cut long-lived gRPC streams; timeouts are traffic rules.
        route: { cluster: v3OutboundClusterName(port, service.hostname), timeout: { seconds: 0 } },
      },
    ],
  }));
}
