import type { Labels } from '../model';
import type { PeerAuthenticationRule, PeerMtlsMode } from './model';

/** The workload a proxy runs, as far as PeerAuthentication selects it. */
export interface PeerWorkload {
  /** Undefined when the proxy's identity names none: only mesh-wide policy applies. */
  readonly namespace?: string;
  readonly labels: Labels;
}

/**
 * The mTLS mode of one port of a workload, as Istio resolves it: the PeerAuthentication of the
 * workload's namespace that selects it (the first by name when several do) with its
 * `portLevelMtls` for the port, then its namespace's policy without a selector, then the mesh's
 * (no selector, in `rootNamespace`); UNSET at a level inherits the next. Undefined when none sets
 * a mode: Istio's default is PERMISSIVE, but Sextant renders mTLS only where rules ask for it
 * (a proxy may have no certificates), so such ports stay plain text. `policies` are in
 * namespace/name order.
 */
export function peerMtlsMode(
  policies: readonly PeerAuthenticationRule[],
  workload: PeerWorkload,
  port: number,
  rootNamespace: string,
): PeerMtlsMode | undefined {
  const { namespace } = workload;
  const inNamespace = (ns: string | undefined) =>
    ns === undefined ? undefined : policies.filter((p) => p.identity.namespace === ns);
  const own = inNamespace(namespace) ?? [];
  const selecting = own.find((p) => p.selector !== undefined && selects(p.selector, workload.labels));
  const workloadMode = selecting?.portLevel.find((p) => p.port === port)?.mode ?? selecting?.mode;
  if (workloadMode) return workloadMode;
  const namespaceMode = own.find((p) => p.selector === undefined)?.mode;
  if (namespaceMode) return namespaceMode;
  const meshMode = inNamespace(rootNamespace)?.find((p) => p.selector === undefined)?.mode;
  return meshMode;
}

function selects(selector: Labels, labels: Labels): boolean {
  return Object.entries(selector).every(([key, value]) => labels[key] === value);
}
