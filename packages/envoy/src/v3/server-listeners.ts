import { isIP } from 'node:net';
import type { PeerMtlsMode, ProxyIdentity, Snapshot } from '@sextant/core';
import { inboundMtlsModes, type MeshTlsOptions } from '../mesh-tls';
import { HTTP_CONNECTION_MANAGER_TYPE, ROUTER_TYPE, socketAddress, typedConfig } from './building-blocks';
import type { EncodedResource } from './encoded-resource';
import { meshTlsOf } from './options';
import { cachedResource, encode, type V3Scope } from './render-scope';
import { CERTIFICATE_PROVIDER_INSTANCE, DOWNSTREAM_TLS_CONTEXT_TYPE } from './transport-sockets';
import { LISTENER_TYPE } from './type-urls';
import type { Listener } from './wire-types';

/**
 * Listeners for proxyless gRPC servers (gRFC A36). An XdsServer bound to `ip:port` asks LDS for
 * the bootstrap's `server_listener_resource_name_template` with `%s` replaced by that address;
 * Sextant's template is istiod's. The answer carries the address back (the server refuses one
 * that differs), one filter chain whose HttpConnectionManager routes every RPC to the server's
 * own handlers (`non_forwarding_action`, the only server action A36 accepts), and for STRICT mTLS
 * a DownstreamTlsContext naming the bootstrap's certificate provider instance (gRFC A29).
 */
export const SERVER_LISTENER_NAME_PREFIX = 'grpc/server?xds.resource.listening_address=';
export const SERVER_LISTENER_RESOURCE_NAME_TEMPLATE = `${SERVER_LISTENER_NAME_PREFIX}%s`;

export interface ListeningAddress {
  readonly ip: string;
  readonly port: number;
}

/** The address a server listener name denotes (`ip:port`, `[ipv6]:port`), if it denotes one. */
export function serverListenerAddress(name: string): ListeningAddress | undefined {
  if (!name.startsWith(SERVER_LISTENER_NAME_PREFIX)) return undefined;
  const address = name.slice(SERVER_LISTENER_NAME_PREFIX.length);
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(address);
  if (!match) return undefined;
  const ip = match[1] ?? match[2] ?? '';
  const port = Number(match[3]);
  if (port < 1 || port > 65535) return undefined;
  // Brackets for IPv6 only, as grpc-js writes the bound address.
  if (isIP(ip) !== (match[1] !== undefined ? 6 : 4)) return undefined;
  return { ip, port };
}

/**
 * The mTLS mode of a server's listening address, resolved as for a sidecar's inbound port: the
 * PeerAuthentications of the service whose instance listens on that port at the server's own IP
 * (from its node id), for the workload of the instances there and the namespace of its node id.
 * The address must be that IP or a wildcard (`0.0.0.0`, `::`); any other address, or a port no
 * instance there listens on, takes no policy: plain text. Only then is the listener a function of
 * what keys the requester's listener set (its IP, ports and their modes), so servers sharing a set
 * get the same answer.
 */
export function serverMtlsMode(
  scope: V3Scope,
  snapshot: Snapshot,
  proxy: ProxyIdentity,
  { ip, port }: ListeningAddress,
  options: MeshTlsOptions,
): PeerMtlsMode | undefined {
  if (proxy.type !== 'sidecar' || proxy.ip === undefined) return undefined;
  if (ip !== proxy.ip && ip !== '0.0.0.0' && ip !== '::') return undefined;
  const ports = scope.mesh.localPorts(snapshot, proxy.ip);
  const index = ports.findIndex((p) => p.port === port);
  if (index < 0) return undefined;
  return inboundMtlsModes(scope.mesh, snapshot, proxy, ports, options)[index];
}

/**
 * The listener `name` (a server listener name, at `address`). Only STRICT gets TLS: grpc-js-xds
 * selects filter chains by addresses and ports, never by transport protocol (a chain matching
 * `tls` is never chosen), so one port cannot take both mTLS and plain text. PERMISSIVE is served
 * as plain text, as istiod does for proxyless servers; grpc-limits warns of it.
 */
export function serverListener(
  scope: V3Scope,
  snapshot: Snapshot,
  proxy: ProxyIdentity,
  name: string,
  address: ListeningAddress,
): EncodedResource {
  const options = meshTlsOf(scope.options);
  const mtls = serverMtlsMode(scope, snapshot, proxy, address, options) === 'STRICT';
  return cachedResource(scope, `lds server ${name} ${mtls ? 'mtls' : 'plain'}`, () => {
    // The two modes' connection managers differ (by route configuration name): grpc-js-xds 1.14
    // compares a new listener with the one it serves filter by filter before transport socket,
    // and its transport socket comparison throws when only one of them has one, which kills the
    // server. With different filters it never gets that far.
    const manager = {
      stat_prefix: `inbound_${address.port}`,
      codec_type: 'AUTO',
      route_config: {
        name: `inbound|${address.port}|${mtls ? 'mtls' : 'plaintext'}`,
        virtual_hosts: [
          {
            name: 'inbound',
            domains: ['*'],
            routes: [{ match: { prefix: '' }, non_forwarding_action: {} }],
          },
        ],
      },
      http_filters: [{ name: 'envoy.filters.http.router', typed_config: typedConfig(ROUTER_TYPE) }],
    };
    const listener: Listener = {
      name,
      address: socketAddress(address.ip, address.port),
      traffic_direction: 'INBOUND',
      filter_chains: [
        {
          name: mtls ? 'mtls' : 'plaintext',
          filters: [
            {
              name: 'envoy.filters.network.http_connection_manager',
              typed_config: typedConfig(HTTP_CONNECTION_MANAGER_TYPE, manager),
            },
          ],
          ...(mtls && { transport_socket: serverMtlsTransportSocket() }),
        },
      ],
    };
    return encode(scope, LISTENER_TYPE, name, listener);
  });
}

/** The workload's certificate, and a client certificate the mesh's roots verify, required. */
function serverMtlsTransportSocket(): Record<string, unknown> {
  const instance = { instance_name: CERTIFICATE_PROVIDER_INSTANCE };
  return {
    name: 'envoy.transport_sockets.tls',
    typed_config: typedConfig(DOWNSTREAM_TLS_CONTEXT_TYPE, {
      require_client_certificate: { value: true },
      common_tls_context: {
        tls_certificate_provider_instance: instance,
        validation_context: { ca_certificate_provider_instance: instance },
      },
    }),
  };
}
