import {
  isHttpProtocol,
  type PeerMtlsMode,
  v3InboundClusterName,
  v3OutboundClusterName,
  type ProxyType,
  type ServiceEntry,
  type ServicePort,
  v3ListenerName,
} from '@sextant/core';
import { configSource, ORIGINAL_DST_TYPE, socketAddress, typedConfig } from './building-blocks';
import { BLACK_HOLE_CLUSTER } from './clusters';
import type { EncodedResource } from './encoded-resource';
import { httpConnectionManagerFilter, singleClusterRoutes, tcpProxyFilter } from './filters';
import { meshTlsOf, type ConfigSourceKind } from './options';
import { inboundMtlsTransportSocket, TLS_INSPECTOR_TYPE } from './transport-sockets';
import { cachedResource, cachedResources, encode, type V3Scope } from './render-scope';
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
const listenerName = v3ListenerName;

export function virtualOutboundListener(scope: V3Scope): EncodedResource {
  return cachedResource(scope, 'lds virtual', () => {
    const listener: Listener = {
      name: VIRTUAL_OUTBOUND_LISTENER,
      address: socketAddress('0.0.0.0', scope.options.virtualListenerPort),
      use_original_dst: { value: true },
      listener_filters: [
        { name: 'envoy.filters.listener.original_dst', typed_config: typedConfig(ORIGINAL_DST_TYPE) },
      ],
      traffic_direction: 'OUTBOUND',
      filter_chains: [{ filters: [tcpProxyFilter(BLACK_HOLE_CLUSTER, BLACK_HOLE_CLUSTER)] }],
    };
    return encode(scope, LISTENER_TYPE, VIRTUAL_OUTBOUND_LISTENER, listener);
  });
}

/**
 * A sidecar's inbound listener for one port of its own workload, on its own IP: HTTP ports route
 * everything to the inbound cluster, TCP ports proxy to it. Its mTLS mode (PeerAuthentication)
 * decides its filter chains: STRICT one that terminates mesh mTLS and requires a client
 * certificate; PERMISSIVE that one for connections that start a TLS handshake (told apart by the
 * TLS inspector) and a plain one for the rest; DISABLE or none a plain one. It depends on the IP,
 * port, hostname, protocol and mode only.
 */
export function inboundListener(
  scope: V3Scope,
  hostname: string,
  ip: string,
  port: number,
  servicePort: ServicePort,
  mode: PeerMtlsMode | undefined,
): EncodedResource {
  const name = listenerName(ip, port);
  return cachedResource(scope, `lds in ${name} ${servicePort.protocol} ${hostname} ${mode ?? ''}`, () => {
    const cluster = v3InboundClusterName(port, hostname);
    const filter = isHttpProtocol(servicePort.protocol)
      ? httpConnectionManagerFilter(`inbound_${port}`, {
          route_config: singleClusterRoutes(cluster, `inbound|http|${port}`, ['*'], cluster),
        })
      : tcpProxyFilter(cluster, cluster);
    const mtls = {
      filters: [filter],
      transport_socket: inboundMtlsTransportSocket(meshTlsOf(scope.options)),
    };
    const listener: Listener = {
      name,
      address: socketAddress(ip, port),
      bind_to_port: { value: false },
      traffic_direction: 'INBOUND',
      ...(mode === 'PERMISSIVE' && {
        listener_filters: [
          { name: 'envoy.filters.listener.tls_inspector', typed_config: typedConfig(TLS_INSPECTOR_TYPE) },
        ],
      }),
      filter_chains:
        mode === 'STRICT'
          ? [mtls]
          : mode === 'PERMISSIVE'
            ? [
                { filter_chain_match: { transport_protocol: 'tls' }, ...mtls },
                { filter_chain_match: { transport_protocol: 'raw_buffer' }, filters: [filter] },
              ]
            : [{ filters: [filter] }],
    };
    return encode(scope, LISTENER_TYPE, name, listener);
  });
}

/**
 * The outbound HTTP listener for one port: its routes are the RDS route configuration named by
 * the port. Its content depends only on the port, the proxy type and the config source kind.
 */
export function outboundHttpListener(
  scope: V3Scope,
  port: number,
  type: ProxyType,
  kind: ConfigSourceKind,
): EncodedResource {
  return cachedResource(scope, `lds out ${port} ${type} ${kind}`, () => {
    const gateway = type !== 'sidecar';
    const name = listenerName('0.0.0.0', port);
    const listener: Listener = {
      name,
      address: socketAddress('0.0.0.0', port),
      ...(gateway ? {} : { bind_to_port: { value: false } }),
      traffic_direction: type === 'ingress' ? 'INBOUND' : 'OUTBOUND',
      filter_chains: [
        {
          filters: [
            httpConnectionManagerFilter(
              `outbound_${port}`,
              { rds: { route_config_name: String(port), config_source: configSource(kind, scope.options) } },
              'sidecar',
            ),
          ],
        },
      ],
    };
    return encode(scope, LISTENER_TYPE, name, listener);
  });
}

/**
 * One TCP listener per VIP and TCP port of a service (a TCP service without a VIP cannot be
 * told apart by address, so it gets none). They depend on the service's shape only.
 */
export function outboundTcpListeners(scope: V3Scope, entry: ServiceEntry): readonly EncodedResource[] {
  return cachedResources(scope, `lds tcp ${entry.shape}`, () => {
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
        listeners.push(encode(scope, LISTENER_TYPE, name, listener));
      }
    }
    return listeners;
  });
}
