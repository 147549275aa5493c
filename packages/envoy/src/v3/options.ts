import { DEFAULT_MESH_TLS, type MeshTlsOptions } from '../mesh-tls';

/**
 * How a client fetches the resources other resources point at (a cluster's endpoints, a
 * listener's routes): over its ADS stream, over per-type gRPC streams, or by REST-JSON polling.
 * A cluster delivered by REST that said `ads` would be rejected by an Envoy without ADS, so
 * resources that embed a config source are rendered per kind.
 */
export type ConfigSourceKind = 'ads' | 'grpc' | 'rest';
export const CONFIG_SOURCE_KINDS: readonly ConfigSourceKind[] = ['ads', 'grpc', 'rest'];

/** Conventions shared with the v3 bootstraps Envoy runs with (examples/quickstart/envoy-v3-*.yaml). */
export interface V3RenderOptions {
  readonly connectTimeoutMs: number;
  /** Port of the `virtualOutbound` listener that receives iptables-redirected traffic. */
  readonly virtualListenerPort: number;
  /** The bootstrap's cluster that reaches Sextant, named by config sources of kind `grpc` and `rest`. */
  readonly xdsClusterName: string;
  /** How often a REST-JSON client polls for the resources a config source of kind `rest` names. */
  readonly restRefreshDelayMs: number;
  /** Where workloads keep their mesh certificates, the trust domain and the mesh's root namespace. */
  readonly meshTls?: MeshTlsOptions;
}

export const DEFAULT_V3_OPTIONS: V3RenderOptions = {
  connectTimeoutMs: 1000,
  virtualListenerPort: 15001,
  xdsClusterName: 'xds_cluster',
  restRefreshDelayMs: 1000,
  meshTls: DEFAULT_MESH_TLS,
};

export function meshTlsOf(options: V3RenderOptions): MeshTlsOptions {
  return options.meshTls ?? DEFAULT_MESH_TLS;
}
