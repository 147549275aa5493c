import { hostnameAliases, isHttpProtocol, type ServiceEntry, type ServicePort } from '@sextant/core';
import { hostPart } from './addresses';

/** One HTTP service port, and the Host header values that reach it. */
export interface RoutableHost {
  readonly entry: ServiceEntry;
  readonly servicePort: ServicePort;
  readonly domains: readonly string[];
  /**
   * Whether `domains` are every name the host answers to from the proxy's domain: none was
   * claimed by an earlier host. Then they follow from the host's shape and that domain alone.
   */
  readonly complete: boolean;
}

/**
 * The virtual hosts of the outbound route table for `port`, as v1 RDS and v3 RouteConfiguration
 * both build them: one per HTTP service port with that number, reachable by every name a client
 * in `proxyDomain` may use (short and fully qualified, with and without `:port`) and by the
 * service's VIPs. A domain claimed by an earlier service is not repeated, since Envoy rejects a
 * table in which two virtual hosts share one; a service left with no domain gets no virtual host.
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
      const names = [...hostnameAliases(service.hostname, proxyDomain), ...service.addresses.map(hostPart)];
      const wanted = names.flatMap((name) => [name, `${name}:${port}`]);
      const domains = wanted.filter((domain) => {
        if (claimed.has(domain)) return false;
        claimed.add(domain);
        return true;
      });
      if (domains.length > 0) {
        hosts.push({ entry, servicePort, domains, complete: domains.length === wanted.length });
      }
    }
  }
  return hosts;
}

/** The port an outbound route configuration is named after (`"9080"`), or undefined for any other name. */
export function routeConfigPort(name: string): number | undefined {
  if (!/^[1-9]\d{0,4}$/.test(name)) return undefined;
  const port = Number(name);
  return port <= 65535 ? port : undefined;
}
