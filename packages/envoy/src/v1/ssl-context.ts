import type { PeerMtlsMode, UpstreamTls } from '@sextant/core';
import { DEFAULT_MESH_TLS, workloadCertPaths, type MeshTlsOptions } from '../mesh-tls';
import type { V1ClusterSslContext, V1ListenerSslContext } from './types';

/**
 * A v1 cluster's `ssl_context` for its DestinationRule `tls` (undefined: plain text). ISTIO_MUTUAL
 * uses the workload's files in the certificates directory, as Istio 0.x mounted them in
 * /etc/certs; v1 checks names only exactly and only against a CA, so the destination's identity
 * is checked when `subjectAltNames` lists it (v1-limits warns otherwise).
 */
export function clusterSslContext(
  tls: UpstreamTls | undefined,
  options: MeshTlsOptions = DEFAULT_MESH_TLS,
): V1ClusterSslContext | undefined {
  if (!tls || tls.mode === 'DISABLE') return undefined;
  const files =
    tls.mode === 'ISTIO_MUTUAL'
      ? (() => {
          const paths = workloadCertPaths(options.certsDir);
          return {
            cert_chain_file: paths.certificateChain,
            private_key_file: paths.privateKey,
            ca_cert_file: paths.rootCertificates,
          };
        })()
      : {
          ...(tls.mode === 'MUTUAL' &&
            tls.clientCertificate !== undefined && { cert_chain_file: tls.clientCertificate }),
          ...(tls.mode === 'MUTUAL' && tls.privateKey !== undefined && { private_key_file: tls.privateKey }),
          ...(tls.caCertificates !== undefined && { ca_cert_file: tls.caCertificates }),
        };
  return {
    ...files,
    ...(files.ca_cert_file !== undefined &&
      tls.subjectAltNames.length > 0 && { verify_subject_alt_name: [...tls.subjectAltNames] }),
    ...(tls.sni !== undefined && { sni: tls.sni }),
  };
}

/**
 * A v1 inbound listener's `ssl_context` for its mTLS mode: STRICT requires a client certificate
 * the mesh's roots verify. v1 listeners have one filter chain, so PERMISSIVE (TLS or plain text
 * on one port) cannot be said: it stays plain text (v1-limits reports it), as DISABLE.
 */
export function inboundSslContext(
  mode: PeerMtlsMode | undefined,
  options: MeshTlsOptions = DEFAULT_MESH_TLS,
): V1ListenerSslContext | undefined {
  if (mode !== 'STRICT') return undefined;
  const paths = workloadCertPaths(options.certsDir);
  return {
    cert_chain_file: paths.certificateChain,
    private_key_file: paths.privateKey,
    ca_cert_file: paths.rootCertificates,
    require_client_certificate: true,
  };
}
