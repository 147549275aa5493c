import type { BootstrapOptions } from './bootstrap-options';
import { ENVOY_ADMIN_PORT } from './envoy-v3-bootstrap';

/**
 * An Envoy v1 bootstrap (Envoy ≤ 1.8) polling Sextant's v1 REST APIs: listeners (LDS), routes
 * (RDS), clusters (CDS) and endpoints (SDS), each through a cluster of its own name. The v1
 * format has no node: Envoy takes the node id, cluster and zone from its command line
 * (`envoy1CommandLineFlags`).
 */
export function envoyV1Bootstrap(options: BootstrapOptions): Record<string, unknown> {
  const url = `tcp://${options.server.host.includes(':') ? `[${options.server.host}]` : options.server.host}:${options.server.port}`;
  const cluster = (name: string) => ({
    name,
    type: 'strict_dns',
    connect_timeout_ms: 1000,
    lb_type: 'round_robin',
    hosts: [{ url }],
  });
  return {
    listeners: [],
    lds: { cluster: 'lds', refresh_delay_ms: 1000 },
    admin: { access_log_path: '/dev/null', address: `tcp://127.0.0.1:${ENVOY_ADMIN_PORT}` },
    cluster_manager: {
      clusters: [cluster('rds'), cluster('lds')],
      sds: { cluster: cluster('sds'), refresh_delay_ms: 1000 },
      cds: { cluster: cluster('cds'), refresh_delay_ms: 1000 },
    },
  };
}

/** The Envoy v1 command-line flags that carry what a v3 bootstrap has in `node`. */
export function envoyV1CommandLineFlags(options: BootstrapOptions): string[] {
  return [
    `--service-node ${options.node}`,
    ...(options.cluster !== undefined ? [`--service-cluster ${options.cluster}`] : []),
    ...(options.locality?.zone ? [`--service-zone ${options.locality.zone}`] : []),
  ];
}
