import { v3OutboundClusterName, type Service, type Snapshot } from '@sextant/core';
import { httpEntriesOnPort } from '../mesh-index';
import { routableHosts } from '../route-domains';
import { EncodedResource } from './encoded-resource';
import { serviceShape } from './service-shape';
import { ROUTE_TYPE } from './type-urls';
import type { RouteConfiguration, VirtualHost } from './wire-types';

const bySnapshot = new WeakMap<Snapshot, Map<string, EncodedResource>>();
/** Route configurations by what they are built from, so a snapshot that did not touch a port reuses its table. */
const bySignature = new Map<string, EncodedResource>();
const MAX_SIGNATURES = 10_000;

/**
 * The RDS route configuration for the outbound HTTP listener on `port`, as v1 RDS built it: a
 * virtual host per HTTP service on that port, reachable by every name a client in the proxy's
 * domain may use, with and without `:port`, and by its VIPs; a domain already claimed by an
 * earlier virtual host is left out (Envoy rejects the whole table otherwise).
 *
 * It depends on the services on that port (not their instances) and on the proxy's domain. A
 * signature of exactly that finds the table built for an earlier snapshot, so an endpoint
 * change re-renders no route configuration.
 */
export function routeConfiguration(snapshot: Snapshot, port: number, proxyDomain: string): EncodedResource {
  let memo = bySnapshot.get(snapshot);
  if (!memo) {
    memo = new Map();
    bySnapshot.set(snapshot, memo);
  }
  const memoKey = `${port} ${proxyDomain}`;
  let resource = memo.get(memoKey);
  if (!resource) {
    const services = httpEntriesOnPort(snapshot, port).map((e) => e.service);
    const signature = `${memoKey} ${services.map(serviceShape).join(',')}`;
    resource = bySignature.get(signature);
    if (!resource) {
      const config: RouteConfiguration = {
        name: String(port),
        validate_clusters: { value: false },
        virtual_hosts: virtualHosts(services, port, proxyDomain),
      };
      resource = new EncodedResource(ROUTE_TYPE, String(port), config);
      bySignature.set(signature, resource);
      if (bySignature.size > MAX_SIGNATURES) {
        const oldest = bySignature.keys().next().value;
        if (oldest !== undefined) bySignature.delete(oldest);
      }
    }
    memo.set(memoKey, resource);
  }
  return resource;
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
