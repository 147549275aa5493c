/** What every bootstrap needs: who the proxy is and where Sextant is. */
export interface BootstrapOptions {
  /** node.id (for Envoy v1, `--service-node`): `<type>~<ip>~<id>~<domain>` or a bare name. */
  readonly node: string;
  /** node.cluster (for Envoy v1, `--service-cluster`). */
  readonly cluster?: string;
  readonly locality?: { readonly region: string; readonly zone?: string; readonly subZone?: string };
  /** Sextant's listener: listen.xds for Envoy v3 and gRPC, listen.discovery for Envoy v1. */
  readonly server: { readonly host: string; readonly port: number };
  /**
   * Mesh mTLS (`--mtls`): the directory holding the workload's certificate files (WORKLOAD_CERT_FILES).
   * A gRPC bootstrap names them in its certificate providers; an Envoy reads them through the
   * SDS files `workloadSdsFiles` writes there (the daemon's `security.meshTls.certsDir`).
   */
  readonly mtls?: { readonly certsDir: string };
}

/** node.locality in proto3 JSON (field names as in the .proto), its empty parts left out. */
export function localityJson(locality: BootstrapOptions['locality']): Record<string, string> {
  if (!locality) return {};
  return {
    region: locality.region,
    ...(locality.zone ? { zone: locality.zone } : {}),
    ...(locality.subZone ? { sub_zone: locality.subZone } : {}),
  };
}
