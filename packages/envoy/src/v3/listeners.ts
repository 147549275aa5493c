import {
  isHttpProtocol,
  v3InboundClusterName,
  v3OutboundClusterName,
  type ProxyType,
  type ServiceEntry,
  type ServicePort,
} from '@sextant/core';
import { perEntry } from '../mesh-index';
import { hostPart } from '../addresses';
import { configSource, ORIGINAL_DST_TYPE, socketAddress, typedConfig } from './building-blocks';
import { BLACK_HOLE_CLUSTER } from './clusters';
import { EncodedResource } from './encoded-resource';
import { httpConnectionManagerFilter, singleClusterRoutes, tcpProxyFilter } from './filters';
import type { ConfigSourceKind, V3RenderOptions } from './options';
import { LISTENER_TYPE } from './type-urls';
import type { Listener } from './wire-types';

/**
 * The listeners of the v1 layout, in v3 form. A sidecar gets `virtualOutbound`, which owns the
 * iptables-redirected traffic and hands each connection to the listener of its original
 * destination (or drops it); an inbound listener per port of its own workload; an outbound HTTP
 * listener per port that carries HTTP services (routes from RDS, named by the port); and a TCP
 * listener per VIP and port of TCP services. Only `virtualOutbound` binds. A router or ingress
 * binds one HTTP listener per port and has none of the others.
 */

export const VIRTUAL_OUTBOUND_LISTENER = 'virtualOutbound';

/** Listeners are named by their address, as Envoy refuses two listeners on one address anyway. */
function listenerName(ip: string, port: number): string {
  return `${hostPart(ip)}_${port}`;
}

const virtualListeners = new WeakMap<V3RenderOptions, EncodedResource>();

export function virtualOutboundListener(options: V3RenderOptions): EncodedResource {
  let resource = virtualListeners.get(options);
  if (!resource) {
    const listener: Listener = {
      name: VIRTUAL_OUTBOUND_LISTENER,
      address: socketAddress('0.0.0.0', options.virtualListenerPort),
      use_original_dst: { value: true },
      listener_filters: [
        { name: 'envoy.filters.listener.original_dst', typed_config: typedConfig(ORIGINAL_DST_TYPE) },
      ],
      traffic_direction: 'OUTBOUND',
      filter_chains: [{ filters: [tcpProxyFilter(BLACK_HOLE_CLUSTER, BLACK_HOLE_CLUSTER)] }],
    };
    resource = new EncodedResource(LISTENER_TYPE, VIRTUAL_OUTBOUND_LISTENER, listener);
    virtualListeners.set(options, resource);
  }
  return resource;
}

const inboundByEntry = perEntry<Map<string, EncodedResource>>(() => new Map());

/**
 * A sidecar's inbound listener for one port of its own workload, on its own IP: HTTP ports route
 * everything to the inbound cluster, TCP ports proxy to it. Kept per entry, IP and port.
 */
export function inboundListener(
  entry: ServiceEntry,
  ip: string,
  port: number,
  servicePort: ServicePort,
): EncodedResource {
  const cache = inboundByEntry(entry);
  const name = listenerName(ip, port);
  let resource = cache.get(name);
  if (!resource) {
    const cluster = v3InboundClusterName(port, entry.service.hostname);
    const filter = isHttpProtocol(servicePort.protocol)
      ? httpConnectionManagerFilter(`inbound_${port}`, {
          route_config: singleClusterRoutes(cluster, `inbound|http|${port}`, ['*'], cluster),
        })
      : tcpProxyFilter(cluster, cluster);
    const listener: Listener = {
      name,
      address: socketAddress(ip, port),
      bind_to_port: { value: false },
      traffic_direction: 'INBOUND',
      filter_chains: [{ filters: [filter] }],
    };
    resource = new EncodedResource(LISTENER_TYPE, name, listener);
    cache.set(name, resource);
  }
  return resource;
}

const httpListeners = new Map<string, EncodedResource>();

/**
 * The outbound HTTP listener for one port: its routes are the RDS route configuration named by
 * the port. Its content depends only on the port, the proxy type and the config source kind, so
 * it is built once for the life of the process.
 */
export function outboundHttpListener(
  port: number,
  type: ProxyType,
  kind: ConfigSourceKind,
  options: V3RenderOptions,
): EncodedResource {
  const gateway = type !== 'sidecar';
  const key = `${port} ${type} ${kind} ${options.xdsClusterName} ${options.restRefreshDelayMs}`;
  let resource = httpListeners.get(key);
  if (!resource) {
    const name = listenerName('0.0.0.0', port);
    const listener: Listener = {
      name,
      address: socketAddress('0.0.0.0', port),
      ...(gateway ? {} : { bind_to_port: { value: false } }),
      traffic_direction: type === 'ingress' ? 'INBOUND' : 'OUTBOUND',
      filter_chains: [
        {
          filters: [
            httpConnectionManagerFilter(`outbound_${port}`, {
              rds: { route_config_name: String(port), config_source: configSource(kind, options) },
            }),
          ],
        },
      ],
    };
    resource = new EncodedResource(LISTENER_TYPE, name, listener);
    httpListeners.set(key, resource);
  }
  return resource;
}

/**
 * One TCP listener per VIP and TCP port of a service (a TCP service without a VIP cannot be
 * told apart by address, so it gets none). Memoised per entry.
 */
export const outboundTcpListeners = perEntry((entry: ServiceEntry): EncodedResource[] => {
  const { service } = entry;
  const listeners: EncodedResource[] = [];
  for (const port of service.ports) {
    if (isHttpProtocol(port.protocol)) continue;
    const cluster = v3OutboundClusterName(port.port, service.hostname);
    for (const vip of service.addresses) {
      const name = listenerName(vip, port.port);
      const listener: Listener = {
        name,
        address: socketAddress(vip, port.port),
        bind_to_port: { value: false },
        traffic_direction: 'OUTBOUND',
        filter_chains: [{ filters: [tcpProxyFilter(cluster, cluster)] }],
      };
      listeners.push(new EncodedResource(LISTENER_TYPE, name, listener));
    }
  }
  return listeners;
});
