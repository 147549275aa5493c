import { localityJson, type BootstrapOptions } from './bootstrap-options';

/**
 * A gRPC xDS bootstrap (gRFC A27) for proxyless gRPC clients, as GRPC_XDS_BOOTSTRAP names or
 * GRPC_XDS_BOOTSTRAP_CONFIG holds it: Sextant's xDS listener over plaintext, speaking v3
 * (`xds_v3`). node.locality is always present, if empty: some clients refuse a node without it.
 */
export function grpcBootstrap(options: BootstrapOptions): Record<string, unknown> {
  const { host, port } = options.server;
  return {
    xds_servers: [
      {
        server_uri: `${host.includes(':') ? `[${host}]` : host}:${port}`,
        channel_creds: [{ type: 'insecure' }],
        server_features: ['xds_v3'],
      },
    ],
    node: {
      id: options.node,
      ...(options.cluster !== undefined ? { cluster: options.cluster } : {}),
      locality: localityJson(options.locality),
    },
  };
}
