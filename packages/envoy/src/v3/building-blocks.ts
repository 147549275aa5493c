import type { Duration } from '@grpc/grpc-js-xds/build/src/generated/google/protobuf/Duration';
import { typeUrlOf } from './type-urls';
import type { Address, Any, ConfigSource } from './wire-types';
import type { ConfigSourceKind, V3RenderOptions } from './options';

/** Extension messages Sextant embeds in `typed_config` Anys; each is in the generated descriptor. */
export const HTTP_CONNECTION_MANAGER_TYPE = typeUrlOf(
  'envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
);
export const ROUTER_TYPE = typeUrlOf('envoy.extensions.filters.http.router.v3.Router');
export const TCP_PROXY_TYPE = typeUrlOf('envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy');
export const ORIGINAL_DST_TYPE = typeUrlOf('envoy.extensions.filters.listener.original_dst.v3.OriginalDst');
export const HTTP_PROTOCOL_OPTIONS_TYPE = typeUrlOf('envoy.extensions.upstreams.http.v3.HttpProtocolOptions');
export const FAULT_TYPE = typeUrlOf('envoy.extensions.filters.http.fault.v3.HTTPFault');
/** The fault filter's name: its per-route configuration is keyed by it. */
export const FAULT_FILTER_NAME = 'envoy.filters.http.fault';
export const CORS_TYPE = typeUrlOf('envoy.extensions.filters.http.cors.v3.Cors');
export const CORS_POLICY_TYPE = typeUrlOf('envoy.extensions.filters.http.cors.v3.CorsPolicy');
/** The CORS filter's name: a route's CORS policy is its per-route configuration. */
export const CORS_FILTER_NAME = 'envoy.filters.http.cors';

/** An Any in the form protobufjs encodes: the message's fields beside its `@type`. */
export function typedConfig(typeUrl: string, fields: object = {}): Any {
  return { '@type': typeUrl, ...fields };
}

export function duration(ms: number): Duration {
  return { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1_000_000 };
}

export function socketAddress(ip: string, port: number): Address {
  return { socket_address: { address: ip, port_value: port } };
}

/** Where a client fetches the resources a resource points at, for a client of the given kind. */
export function configSource(kind: ConfigSourceKind, options: V3RenderOptions): ConfigSource {
  if (kind === 'ads') return { ads: {}, resource_api_version: 'V3' };
  return {
    resource_api_version: 'V3',
    api_config_source:
      kind === 'grpc'
        ? {
            api_type: 'GRPC',
            transport_api_version: 'V3',
            grpc_services: [{ envoy_grpc: { cluster_name: options.xdsClusterName } }],
          }
        : {
            api_type: 'REST',
            transport_api_version: 'V3',
            cluster_names: [options.xdsClusterName],
            refresh_delay: duration(options.restRefreshDelayMs),
          },
  };
}
