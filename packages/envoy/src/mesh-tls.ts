import path from 'node:path';
import {
  DEFAULT_MESH_ROOT_NAMESPACE,
  peerMtlsMode,
  type PeerMtlsMode,
  type PeerWorkload,
  type ProxyIdentity,
  type ServiceEntry,
  type Snapshot,
} from '@sextant/core';
import type { LocalPort, MeshIndexes } from './mesh-index';
import { proxySource } from './plan/proxy-source';

/**
 * Where proxies find the mesh's workload certificates and whom they expect on the other side:
 * conventions shared by the renderers, the bootstraps (`sextant bootstrap --mtls --certs-dir`)
 * and `sextant agent`, which writes the files.
 */
export interface MeshTlsOptions {
  /** The directory on each proxy's host holding WORKLOAD_CERT_FILES. */
  readonly certsDir: string;
  /** The trust domain of the mesh's SPIFFE identities: `spiffe://<trustDomain>/ns/<ns>/sa/<sa>`. */
  readonly trustDomain: string;
  /** The namespace whose PeerAuthentications without a selector are mesh-wide. */
  readonly rootNamespace: string;
}

export const DEFAULT_CERTS_DIR = '/etc/sextant/certs';

export const DEFAULT_MESH_TLS: MeshTlsOptions = {
  certsDir: DEFAULT_CERTS_DIR,
  trustDomain: 'cluster.local',
  rootNamespace: DEFAULT_MESH_ROOT_NAMESPACE,
};

/** The files of a workload's identity in its certificates directory (Istio's names, as `sextant agent` writes them). */
export const WORKLOAD_CERT_FILES = {
  certificateChain: 'cert-chain.pem',
  privateKey: 'key.pem',
  rootCertificates: 'root-cert.pem',
} as const;

export interface WorkloadCertPaths {
  readonly certificateChain: string;
  readonly privateKey: string;
  readonly rootCertificates: string;
}

export function workloadCertPaths(certsDir: string): WorkloadCertPaths {
  return {
    certificateChain: path.posix.join(certsDir, WORKLOAD_CERT_FILES.certificateChain),
    privateKey: path.posix.join(certsDir, WORKLOAD_CERT_FILES.privateKey),
    rootCertificates: path.posix.join(certsDir, WORKLOAD_CERT_FILES.rootCertificates),
  };
}

/** How a client checks the name in a server certificate (subject alternative names, any one). */
export type SanMatch =
  | { readonly kind: 'exact'; readonly type: 'URI' | 'DNS'; readonly value: string }
  | { readonly kind: 'prefix'; readonly type: 'URI'; readonly value: string };

/**
 * The identities a mesh destination may present, for ISTIO_MUTUAL without subjectAltNames. The
 * registry knows no service accounts, so Sextant expects the destination's namespace when its
 * hostname has Kubernetes' form (`<name>.<namespace>.svc.<domain>`:
 * `spiffe://<td>/ns/<namespace>/sa/` followed by any service account), else any identity of the
 * trust domain (`spiffe://<td>/`). The CA bundle decides which certificates are trusted at all.
 */
export function meshPeerIdentities(hostname: string, trustDomain: string): SanMatch[] {
  const labels = hostname.split('.');
  const namespace = labels.length >= 4 && labels[2] === 'svc' ? labels[1] : undefined;
  const value =
    namespace === undefined ? `spiffe://${trustDomain}/` : `spiffe://${trustDomain}/ns/${namespace}/sa/`;
  return [{ kind: 'prefix', type: 'URI', value }];
}

/** subjectAltNames as written: `spiffe://…` names are URIs, the rest DNS names. */
export function writtenSans(names: readonly string[]): SanMatch[] {
  return names.map((value) => ({
    kind: 'exact',
    type: /^spiffe:\/\//i.test(value) ? 'URI' : 'DNS',
    value,
  }));
}

/**
 * The mTLS mode of a workload port of `entry` (one of its instances runs behind the proxy): the
 * PeerAuthentications its policy carries, resolved for the proxy's workload; undefined (plain
 * text) when none sets one.
 */
export function inboundMtlsMode(
  entry: ServiceEntry | undefined,
  workload: PeerWorkload,
  port: number,
  options: MeshTlsOptions,
): PeerMtlsMode | undefined {
  return peerMtlsMode(entry?.policy?.peerAuthentications ?? [], workload, port, options.rootNamespace);
}

/**
 * The mTLS mode of each of a sidecar's inbound ports (as `localPorts` lists them), for the
 * workload it runs: its namespace (from its node id) and its instances' labels.
 */
export function inboundMtlsModes(
  mesh: MeshIndexes,
  snapshot: Snapshot,
  proxy: ProxyIdentity,
  ports: readonly LocalPort[],
  options: MeshTlsOptions,
): (PeerMtlsMode | undefined)[] {
  const entries = ports.map((p) => snapshot.services.get(p.hostname));
  if (!entries.some((entry) => entry?.policy?.peerAuthentications)) return ports.map(() => undefined);
  const source = proxySource(mesh, snapshot, proxy);
  const workload: PeerWorkload = {
    labels: source.labels,
    ...(source.namespace !== undefined && { namespace: source.namespace }),
  };
  return ports.map((p, i) => inboundMtlsMode(entries[i], workload, p.port, options));
}
