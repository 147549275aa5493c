import {
  hostnameAliases,
  isHttpProtocol,
  type ServiceEntry,
  type ServicePort,
  type Snapshot,
} from '@sextant/core';
import { hostPart } from './addresses';
import { routePlanKey, selectsClients } from './plan/route-plan';

/** One HTTP service port, and the names that reach it. */
export interface RoutableHost {
  readonly entry: ServiceEntry;
  readonly servicePort: ServicePort;
  /** The names it answers to that no earlier host claimed; Host header values: `routeDomains`. */
  readonly names: readonly string[];
}

/**
 * The virtual hosts of the outbound route table for `port`, as v1 RDS and v3 RouteConfiguration
 * both build them: one per HTTP service port with that number, reachable by every name a client
 * in `proxyDomain` may use (short and fully qualified) and by the service's VIPs. A name claimed
 * by an earlier service is not repeated, since Envoy rejects a table in which two virtual hosts
 * share a domain; a service left with no name gets no virtual host.
 *
 * Names, not domains, are claimed: every host of the table has the same port, so `name:port` is
 * another host's exactly when `name` is.
 */
export function routableHosts(
  entries: Iterable<ServiceEntry>,
  port: number,
  proxyDomain: string,
): RoutableHost[] {
  const claimed = new Set<string>();
  const hosts: RoutableHost[] = [];
  for (const entry of entries) {
    const service = entry.service;
    for (const servicePort of service.ports) {
      if (servicePort.port !== port || !isHttpProtocol(servicePort.protocol)) continue;
      const wanted = [...hostnameAliases(service.hostname, proxyDomain), ...service.addresses.map(hostPart)];
      const names = wanted.filter((name) => {
        if (claimed.has(name)) return false;
        claimed.add(name);
        return true;
      });
      if (names.length > 0) hosts.push({ entry, servicePort, names });
    }
  }
  return hosts;
}

/** The Host header values that reach a routable host: each of its names, with and without `:port`. */
export function routeDomains({ names, servicePort }: RoutableHost): string[] {
  return names.flatMap((name) => [name, `${name}:${servicePort.port}`]);
}

/**
 * What a routable host's name and routes are rendered from, as a cache key: the same in every
 * domain's table (v1 and v3 cache them under it). The client's source (`sourceKey`) matters only
 * to a host whose routes select clients; it goes last, after the first '|' (the plan key has none).
 */
export function hostRoutesKey(
  snapshot: Snapshot,
  { entry, servicePort }: RoutableHost,
  sourceKey: string,
): string {
  const clients = selectsClients(entry) ? sourceKey : '';
  return `${servicePort.port} ${routePlanKey(snapshot, entry)} |${clients}`;
}

/** The port an outbound route configuration is named after (`"9080"`), or undefined for any other name. */
export function routeConfigPort(name: string): number | undefined {
  if (!/^[1-9]\d{0,4}$/.test(name)) return undefined;
  const port = Number(name);
  return port <= 65535 ? port : undefined;
}
