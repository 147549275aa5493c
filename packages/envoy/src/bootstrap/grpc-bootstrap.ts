import { workloadCertPaths } from '../mesh-tls';
import { SERVER_LISTENER_RESOURCE_NAME_TEMPLATE } from '../v3/server-listeners';
import { CERTIFICATE_PROVIDER_INSTANCE } from '../v3/transport-sockets';
import { localityJson, type BootstrapOptions } from './bootstrap-options';

/** How often a gRPC client reads its certificate files again (gRFC A29's file_watcher plugin). */
export const CERTIFICATE_REFRESH_INTERVAL = '60s';

/**
 * A gRPC xDS bootstrap (gRFC A27) for proxyless gRPC clients, as GRPC_XDS_BOOTSTRAP names or
 * GRPC_XDS_BOOTSTRAP_CONFIG holds it: Sextant's xDS listener over plaintext, speaking v3
 * (`xds_v3`). node.locality is always present, if empty: some clients refuse a node without it.
 * With `mtls`, the certificate provider instance the clusters of ISTIO_MUTUAL destinations name
 * (gRFC A29): the `file_watcher` plugin on the workload's certificate files. The server listener
 * template lets an XdsServer (gRFC A36) fetch its listener: `%s` is its bound `ip:port`.
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
    ...(options.mtls && { certificate_providers: certificateProviders(options.mtls.certsDir) }),
    server_listener_resource_name_template: SERVER_LISTENER_RESOURCE_NAME_TEMPLATE,
  };
}

function certificateProviders(certsDir: string): Record<string, unknown> {
  const files = workloadCertPaths(certsDir);
  return {
    [CERTIFICATE_PROVIDER_INSTANCE]: {
      plugin_name: 'file_watcher',
      config: {
        certificate_file: files.certificateChain,
        private_key_file: files.privateKey,
        ca_certificate_file: files.rootCertificates,
        refresh_interval: CERTIFICATE_REFRESH_INTERVAL,
      },
    },
  };
}
