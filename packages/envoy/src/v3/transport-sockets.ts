import path from 'node:path';
import type { UpstreamTls } from '@sextant/core';
import {
  meshPeerIdentities,
  workloadCertPaths,
  writtenSans,
  type MeshTlsOptions,
  type SanMatch,
} from '../mesh-tls';
import { typedConfig } from './building-blocks';
import { typeUrlOf } from './type-urls';

export const UPSTREAM_TLS_CONTEXT_TYPE = typeUrlOf(
  'envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext',
);
export const DOWNSTREAM_TLS_CONTEXT_TYPE = typeUrlOf(
  'envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext',
);
export const SECRET_TYPE = typeUrlOf('envoy.extensions.transport_sockets.tls.v3.Secret');
export const TLS_INSPECTOR_TYPE = typeUrlOf(
  'envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector',
);
const TLS_TRANSPORT_SOCKET = 'envoy.transport_sockets.tls';

/** The SDS secrets of a workload's mesh identity, named as Istio names them. */
export const WORKLOAD_SECRET = 'default';
export const ROOT_CA_SECRET = 'ROOTCA';
/** The certificate provider instance of gRPC bootstraps (`certificate_providers.default`). */
export const CERTIFICATE_PROVIDER_INSTANCE = 'default';

/** The file SDS subscription of each secret: a DiscoveryResponse file beside the certificates. */
export function sdsFile(certsDir: string, secret: string): string {
  return path.posix.join(certsDir, `${secret === WORKLOAD_SECRET ? 'default' : 'rootca'}.sds.json`);
}

type Json = Record<string, unknown>;

/**
 * A secret fetched from a file (`path_config_source`), reloaded when something is moved into the
 * certificates directory: how `sextant agent` replaces the certificates, atomically.
 */
function sdsSecret(secret: string, options: MeshTlsOptions): Json {
  return {
    name: secret,
    sds_config: {
      path_config_source: {
        path: sdsFile(options.certsDir, secret),
        watched_directory: { path: options.certsDir },
      },
      resource_api_version: 'V3',
    },
  };
}

/**
 * The content of the two SDS files (`<certsDir>/default.sds.json`, `<certsDir>/rootca.sds.json`):
 * DiscoveryResponses holding the workload's certificate and key and the mesh's root
 * certificates, read from the PEM files `sextant agent` writes and re-read when it replaces them.
 */
export function workloadSdsFiles(certsDir: string): Record<string, Json> {
  const files = workloadCertPaths(certsDir);
  const response = (resource: Json) => ({ resources: [typedConfig(SECRET_TYPE, resource)] });
  return {
    [sdsFile(certsDir, WORKLOAD_SECRET)]: response({
      name: WORKLOAD_SECRET,
      tls_certificate: {
        certificate_chain: { filename: files.certificateChain },
        private_key: { filename: files.privateKey },
        watched_directory: { path: certsDir },
      },
    }),
    [sdsFile(certsDir, ROOT_CA_SECRET)]: response({
      name: ROOT_CA_SECRET,
      validation_context: {
        trusted_ca: { filename: files.rootCertificates },
        watched_directory: { path: certsDir },
      },
    }),
  };
}

function typedSans(sans: readonly SanMatch[]): Json[] {
  return sans.map((san) => ({ san_type: san.type, matcher: { [san.kind]: san.value } }));
}

/** For gRPC clients (gRFC A29): matched against every name of the certificate, whatever its type. */
function untypedSans(sans: readonly SanMatch[]): Json[] {
  return sans.map((san) => ({ [san.kind]: san.value }));
}

/**
 * The transport socket of an outbound cluster for its DestinationRule `tls`, or undefined (plain
 * text) for DISABLE or none. ISTIO_MUTUAL: the workload's certificate and the mesh's roots (by
 * file SDS for Envoy, by certificate provider instance for gRPC clients), checking the
 * destination's SPIFFE identity (`subjectAltNames` when written, else meshPeerIdentities).
 * SIMPLE and MUTUAL: the files written in the rule (Envoy only; grpc-limits reports them).
 */
export function upstreamTransportSocket(
  tls: UpstreamTls | undefined,
  host: string,
  target: 'v3' | 'grpc',
  options: MeshTlsOptions,
): Json | undefined {
  if (!tls || tls.mode === 'DISABLE') return undefined;
  const sni = tls.sni !== undefined ? { sni: tls.sni } : {};
  let common: Json;
  if (tls.mode === 'ISTIO_MUTUAL') {
    const sans =
      tls.subjectAltNames.length > 0
        ? writtenSans(tls.subjectAltNames)
        : meshPeerIdentities(host, options.trustDomain);
    common =
      target === 'grpc'
        ? {
            tls_certificate_provider_instance: { instance_name: CERTIFICATE_PROVIDER_INSTANCE },
            validation_context: {
              ca_certificate_provider_instance: { instance_name: CERTIFICATE_PROVIDER_INSTANCE },
              match_subject_alt_names: untypedSans(sans),
            },
          }
        : {
            tls_certificate_sds_secret_configs: [sdsSecret(WORKLOAD_SECRET, options)],
            combined_validation_context: {
              default_validation_context: { match_typed_subject_alt_names: typedSans(sans) },
              validation_context_sds_secret_config: sdsSecret(ROOT_CA_SECRET, options),
            },
          };
  } else {
    if (target === 'grpc') return undefined;
    const certificate =
      tls.clientCertificate !== undefined && tls.privateKey !== undefined
        ? {
            tls_certificates: [
              {
                certificate_chain: { filename: tls.clientCertificate },
                private_key: { filename: tls.privateKey },
              },
            ],
          }
        : {};
    // Envoy checks names only against a CA it trusts (render-gaps reports names without one).
    const validation =
      tls.caCertificates !== undefined
        ? {
            validation_context: {
              trusted_ca: { filename: tls.caCertificates },
              ...(tls.subjectAltNames.length > 0 && {
                match_typed_subject_alt_names: typedSans(writtenSans(tls.subjectAltNames)),
              }),
            },
          }
        : {};
    common = { ...certificate, ...validation };
  }
  return {
    name: TLS_TRANSPORT_SOCKET,
    typed_config: typedConfig(UPSTREAM_TLS_CONTEXT_TYPE, { common_tls_context: common, ...sni }),
  };
}

/**
 * The transport socket of an inbound filter chain that terminates mesh mTLS: the workload's
 * certificate, and a client certificate the mesh's roots verify, required.
 */
export function inboundMtlsTransportSocket(options: MeshTlsOptions): Json {
  return {
    name: TLS_TRANSPORT_SOCKET,
    typed_config: typedConfig(DOWNSTREAM_TLS_CONTEXT_TYPE, {
      require_client_certificate: { value: true },
      common_tls_context: {
        tls_certificate_sds_secret_configs: [sdsSecret(WORKLOAD_SECRET, options)],
        validation_context_sds_secret_config: sdsSecret(ROOT_CA_SECRET, options),
      },
    }),
  };
}
