import {
  isHttpProtocol,
  v1InboundClusterName,
  v1ObjectName,
  v1OutboundClusterName,
  type ProxyIdentity,
  type ProxyType,
  type Snapshot,
} from '@sextant/core';
import type { MeshIndexes } from '../mesh-index';
import { DEFAULT_MESH_TLS, inboundMtlsModes } from '../mesh-tls';
import { inboundSslContext } from './ssl-context';
import { portRoutePlans } from '../plan/port-routes';
import { proxySource } from '../plan/proxy-source';
import type { PlannedRoute } from '../plan/plan-types';
import type { ProxySource } from '../plan/route-plan';
import { faultFilters } from './route-encoding';
import { hostCidr, hostPart, tcpUrl } from '../addresses';
import { DEFAULT_V1_OPTIONS, type V1RenderOptions } from './options';
import type {
  HttpConnectionManagerConfig,
  LdsResponse,
  RouteConfiguration,
  V1HttpFilter,
  V1Listener,
} from './types';

const ROUTER = { type: 'decoder', name: 'router', config: {} } as const;
/**
 * Envoy v1 answers CORS preflights and adds the CORS response headers of a route's `cors` only
 * through this filter (api-v1 http_filters/cors_filter); it both decodes and encodes.
 */
const CORS = { type: 'both', name: 'cors', config: {} } as const;

/**
 * v1 LDS. A sidecar gets Pilot's layout: the `virtual` listener on 15001 that owns the
 * iptables-redirected traffic and hands it to the listener for its original destination;
 * inbound listeners for its own workload's ports; an outbound HTTP listener per port that
 * carries HTTP services (routes from RDS); a TCP listener per VIP and port of TCP services.
 * Only the virtual listener binds; the others receive hand-offs.
 *
 * A router or ingress is a gateway, not a sidecar: it binds one HTTP listener per service
 * port and routes by Host header; it has no virtual, inbound or TCP listeners (a TCP VIP
 * cannot be bound on a gateway host).
 */
export function renderLds(
  mesh: MeshIndexes,
  snapshot: Snapshot,
  proxy: ProxyIdentity,
  options = DEFAULT_V1_OPTIONS,
): LdsResponse {
  const shared = sharedListeners(mesh, snapshot, proxy.type, options, proxySource(mesh, snapshot, proxy));
  if (proxy.type !== 'sidecar') return { listeners: shared };
  const own = ownListeners(mesh, snapshot, proxy, options);
  const taken = new Set(own.map((l) => l.address));
  return { listeners: [...own, ...shared.filter((l) => !taken.has(l.address))] };
}

/** The listeners only this proxy gets: for a sidecar, `virtual` and its inbound listeners. */
export function ownListeners(
  mesh: MeshIndexes,
  snapshot: Snapshot,
  proxy: ProxyIdentity,
  options: V1RenderOptions,
): V1Listener[] {
  if (proxy.type !== 'sidecar') return [];
  return [virtualListener(options), ...inboundListeners(mesh, snapshot, proxy, options)];
}

/**
 * The outbound listeners every proxy of a type gets from a snapshot.
 * Envoy refuses two listeners on one address; the first keeps it.
 */
export function sharedListeners(
  mesh: MeshIndexes,
  snapshot: Snapshot,
  type: ProxyType,
  options: V1RenderOptions,
  source: ProxySource,
): V1Listener[] {
  const gateway = type !== 'sidecar';
  const http = outboundHttpListeners(mesh, snapshot, type, options, gateway, source);
  return firstPerAddress(gateway ? http : [...http, ...outboundTcpListeners(mesh, snapshot)]);
}

function virtualListener(options: V1RenderOptions): V1Listener {
  return {
    name: 'virtual',
    address: tcpUrl('0.0.0.0', options.virtualListenerPort),
    filters: [],
    bind_to_port: true,
    use_original_dst: true,
  };
}

function outboundHttpListeners(
  mesh: MeshIndexes,
  snapshot: Snapshot,
  type: ProxyType,
  options: V1RenderOptions,
  bind: boolean,
  source: ProxySource,
): V1Listener[] {
  const operation = type === 'ingress' ? 'ingress' : 'egress';
  return mesh.httpPorts(snapshot).map((port) =>
    httpListener(`http_0.0.0.0_${port}`, tcpUrl('0.0.0.0', port), bind, {
      codec_type: 'auto',
      stat_prefix: 'http',
      generate_request_id: true,
      tracing: { operation_name: operation },
      rds: {
        cluster: options.rdsCluster,
        route_config_name: String(port),
        refresh_delay_ms: options.rdsRefreshDelayMs,
      },
      filters: routeFilters(
        portRoutePlans(mesh, snapshot, port, source, {}).flatMap(({ plan }) => plan.routes),
      ),
    }),
  );
}

/**
 * The HTTP filters for a port's routes, in Pilot's order: `cors` when a route has a CORS policy,
 * the routes' faults, and the router last.
 */
function routeFilters(routes: readonly PlannedRoute[]): V1HttpFilter[] {
  return [...(routes.some((route) => route.cors) ? [CORS] : []), ...faultFilters(routes), ROUTER];
}

/** One listener per VIP and port of each TCP service; a service without a VIP cannot be told apart by address. */
function outboundTcpListeners(mesh: MeshIndexes, snapshot: Snapshot): V1Listener[] {
  const listeners: V1Listener[] = [];
  for (const { service } of mesh.tcpEntriesWithVip(snapshot)) {
    for (const port of service.ports) {
      if (isHttpProtocol(port.protocol)) continue;
      const cluster = v1OutboundClusterName({ hostname: service.hostname, portName: port.name, labels: {} });
      for (const vip of service.addresses) {
        listeners.push(
          tcpListener(`tcp_${hostPart(vip)}_${port.port}`, tcpUrl(vip, port.port), cluster, [hostCidr(vip)]),
        );
      }
    }
  }
  return listeners;
}

function inboundListeners(
  mesh: MeshIndexes,
  snapshot: Snapshot,
  proxy: ProxyIdentity,
  options: V1RenderOptions,
): V1Listener[] {
  const ip = proxy.ip;
  if (ip === undefined) return [];
  const ports = mesh.localPorts(snapshot, ip);
  const meshTls = options.meshTls ?? DEFAULT_MESH_TLS;
  const modes = inboundMtlsModes(mesh, snapshot, proxy, ports, meshTls);
  return ports.map(({ port, servicePort }, i) => {
    const sslContext = inboundSslContext(modes[i], meshTls);
    const withTls = (listener: V1Listener): V1Listener =>
      sslContext ? { ...listener, ssl_context: sslContext } : listener;
    const cluster = v1InboundClusterName(port);
    if (!isHttpProtocol(servicePort.protocol)) {
      return withTls(tcpListener(`tcp_${hostPart(ip)}_${port}`, tcpUrl(ip, port), cluster, undefined));
    }
    const routeConfig: RouteConfiguration = {
      virtual_hosts: [{ name: `inbound|${port}`, domains: ['*'], routes: [{ prefix: '/', cluster }] }],
    };
    return withTls(
      httpListener(`http_${hostPart(ip)}_${port}`, tcpUrl(ip, port), false, {
        codec_type: 'auto',
        stat_prefix: 'http',
        generate_request_id: true,
        tracing: { operation_name: 'ingress' },
        route_config: routeConfig,
        filters: [ROUTER],
      }),
    );
  });
}

function httpListener(
  name: string,
  address: string,
  bind: boolean,
  config: HttpConnectionManagerConfig,
): V1Listener {
  return {
    name: v1ObjectName(name),
    address,
    bind_to_port: bind,
    filters: [{ type: 'read', name: 'http_connection_manager', config }],
  };
}

function tcpListener(
  name: string,
  address: string,
  cluster: string,
  destinations: string[] | undefined,
): V1Listener {
  const route = destinations ? { cluster, destination_ip_list: destinations } : { cluster };
  return {
    name: v1ObjectName(name),
    address,
    bind_to_port: false,
    filters: [
      { type: 'read', name: 'tcp_proxy', config: { stat_prefix: 'tcp', route_config: { routes: [route] } } },
    ],
  };
}

function firstPerAddress(listeners: readonly V1Listener[]): V1Listener[] {
  const seen = new Set<string>();
  return listeners.filter((listener) => {
    if (seen.has(listener.address)) return false;
    seen.add(listener.address);
    return true;
  });
}
