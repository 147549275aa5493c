import { isIP } from 'node:net';
import { DEFAULT_V3_OPTIONS } from '../v3/options';
import { localityJson, type BootstrapOptions } from './bootstrap-options';

/** Envoy's own admin listener in the bootstraps: loopback, beside Sextant's ports. */
export const ENVOY_ADMIN_PORT = 15100;

/**
 * An envoy.config.bootstrap.v3.Bootstrap (proto3 JSON) for an Envoy on Sextant's v3 API:
 * listeners, routes, clusters and endpoints over one ADS stream (api_type GRPC) to the xDS
 * listener, through a static cluster of the name Sextant's resources point back at when they are
 * not fetched over ADS. HTTP/2 is required by gRPC; a host name is resolved (STRICT_DNS), an IP
 * is used as it is (STATIC).
 */
export function envoyV3Bootstrap(options: BootstrapOptions): Record<string, unknown> {
  const cluster = DEFAULT_V3_OPTIONS.xdsClusterName;
  const { host, port } = options.server;
  const locality = localityJson(options.locality);
  return {
    node: {
      id: options.node,
      ...(options.cluster !== undefined ? { cluster: options.cluster } : {}),
      ...(Object.keys(locality).length > 0 ? { locality } : {}),
    },
    admin: { address: { socket_address: { address: '127.0.0.1', port_value: ENVOY_ADMIN_PORT } } },
    dynamic_resources: {
      ads_config: {
        api_type: 'GRPC',
        transport_api_version: 'V3',
        grpc_services: [{ envoy_grpc: { cluster_name: cluster } }],
      },
      cds_config: { ads: {}, resource_api_version: 'V3' },
      lds_config: { ads: {}, resource_api_version: 'V3' },
    },
    static_resources: {
      clusters: [
        {
          name: cluster,
          type: isIP(host) === 0 ? 'STRICT_DNS' : 'STATIC',
          connect_timeout: '1s',
          typed_extension_protocol_options: {
            'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
              '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
              explicit_http_config: { http2_protocol_options: {} },
            },
          },
          load_assignment: {
            cluster_name: cluster,
            endpoints: [
              {
                lb_endpoints: [
                  { endpoint: { address: { socket_address: { address: host, port_value: port } } } },
                ],
              },
            ],
          },
        },
      ],
    },
  };
}
