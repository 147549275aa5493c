import { v1ObjectName, v1OutboundClusterName, type ProxyIdentity, type Snapshot } from '@sextant/core';
import type { MeshIndexes } from '../mesh-index';
import { routableHosts, routeConfigPort } from '../route-domains';
import type { RouteConfiguration, V1VirtualHost } from './types';

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
  proxy: Pick<ProxyIdentity, 'domain'>,
): RouteConfiguration {
  const port = routeConfigPortOf(routeConfigName);
  return { validate_clusters: false, virtual_hosts: virtualHosts(mesh, snapshot, port, proxy.domain) };
}

function virtualHosts(
  mesh: MeshIndexes,
  snapshot: Snapshot,
  port: number,
  proxyDomain: string,
): V1VirtualHost[] {
  const services = mesh.httpEntriesOnPort(snapshot, port).map((entry) => entry.service);
  return routableHosts(services, port, proxyDomain).map(({ service, servicePort, domains }) => ({
    name: v1ObjectName(`${service.hostname}|${servicePort.name}`),
    domains,
    routes: [
      {
        prefix: '/',
        cluster: v1OutboundClusterName({
          hostname: service.hostname,
          portName: servicePort.name,
          labels: {},
        }),
      },
    ],
  }));
}

/** The port a route configuration name denotes; throws UnknownRouteConfigError for any other name. */
export function routeConfigPortOf(name: string): number {
  const port = routeConfigPort(name);
  if (port === undefined) throw new UnknownRouteConfigError(name);
  return port;
}
