import {
  hostnameAliases,
  isHttpProtocol,
  v1ObjectName,
  v1OutboundClusterName,
  type ProxyIdentity,
  type Snapshot,
} from '@sextant/core';
import { httpEntriesOnPort } from '../mesh-index';
import { hostPart } from './addresses';
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
  snapshot: Snapshot,
  routeConfigName: string,
  proxy: ProxyIdentity,
): RouteConfiguration {
  const port = parsePort(routeConfigName);
  const memo = memoFor(snapshot);
  const memoKey = `${port} ${proxy.domain}`;
  let config = memo.get(memoKey);
  if (!config) {
    config = { validate_clusters: false, virtual_hosts: virtualHosts(snapshot, port, proxy.domain) };
    memo.set(memoKey, config);
  }
  return config;
}

function virtualHosts(snapshot: Snapshot, port: number, proxyDomain: string): V1VirtualHost[] {
  const claimed = new Set<string>();
  const hosts: V1VirtualHost[] = [];
  for (const { service } of httpEntriesOnPort(snapshot, port)) {
    for (const servicePort of service.ports) {
      if (servicePort.port !== port || !isHttpProtocol(servicePort.protocol)) continue;
      const names = [...hostnameAliases(service.hostname, proxyDomain), ...service.addresses.map(hostPart)];
      const domains = names
        .flatMap((name) => [name, `${name}:${port}`])
        .filter((domain) => {
          if (claimed.has(domain)) return false;
          claimed.add(domain);
          return true;
        });
      if (domains.length === 0) continue;
      const key = { hostname: service.hostname, portName: servicePort.name, labels: {} };
      hosts.push({
        name: v1ObjectName(`${service.hostname}|${servicePort.name}`),
        domains,
        routes: [{ prefix: '/', cluster: v1OutboundClusterName(key) }],
      });
    }
  }
  return hosts;
}

function parsePort(name: string): number {
  if (!/^\d{1,5}$/.test(name)) throw new UnknownRouteConfigError(name);
  const port = Number(name);
  if (port < 1 || port > 65535) throw new UnknownRouteConfigError(name);
  return port;
}

const memos = new WeakMap<Snapshot, Map<string, RouteConfiguration>>();

function memoFor(snapshot: Snapshot): Map<string, RouteConfiguration> {
  let memo = memos.get(snapshot);
  if (!memo) {
    memo = new Map();
    memos.set(snapshot, memo);
  }
  return memo;
}
