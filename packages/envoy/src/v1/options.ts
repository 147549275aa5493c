import { DEFAULT_MESH_TLS, type MeshTlsOptions } from '../mesh-tls';

/** Conventions shared with the v1 bootstrap Envoy runs with (examples/quickstart/envoy-v1.json). */
export interface V1RenderOptions {
  /** Name of the bootstrap's static cluster pointing at Sextant for RDS. */
  readonly rdsCluster: string;
  /** How often Envoy re-fetches a route configuration. */
  readonly rdsRefreshDelayMs: number;
  readonly connectTimeoutMs: number;
  /** Port of the `virtual` listener that receives iptables-redirected traffic. */
  readonly virtualListenerPort: number;
  /** Where workloads keep their mesh certificates, the trust domain and the mesh's root namespace. */
  readonly meshTls?: MeshTlsOptions;
}

export const DEFAULT_V1_OPTIONS: V1RenderOptions = {
  rdsCluster: 'rds',
  rdsRefreshDelayMs: 1000,
  connectTimeoutMs: 1000,
  virtualListenerPort: 15001,
  meshTls: DEFAULT_MESH_TLS,
};
