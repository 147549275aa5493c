import type { ProxyIdentity } from '@sextant/core';
import type { SpiffeIdentity } from './spiffe-id';

/** What a node id says about who the client is, for comparing with its certificate. */
export interface NodeClaim {
  readonly namespace: string;
  /** Undefined when the node id names no service account (Istio's form does not). */
  readonly serviceAccount?: string;
}

/** Whether a client may be served as the node it names; when not, why (for the client and the log). */
export type NodeDecision = { readonly allowed: true } | { readonly allowed: false; readonly reason: string };

/**
 * What a node id claims (docs/security.md, "Node authorization"):
 * - Istio's form `<type>~<ip>~<workload>.<namespace>~<domain>`: the namespace is the part of the
 *   workload after its last dot (a pod name may hold dots, a namespace cannot); no service account,
 *   as in Istio, where any workload of a namespace may read the configuration of the others.
 * - A bare id `<service-account>.<namespace>`: both, split at the last dot.
 * An id that names no namespace claims nothing and is never served under strict authorization.
 */
export function nodeClaim(proxy: ProxyIdentity): NodeClaim | undefined {
  const dot = proxy.id.lastIndexOf('.');
  if (dot <= 0 || dot === proxy.id.length - 1) return undefined;
  const namespace = proxy.id.slice(dot + 1);
  const before = proxy.id.slice(0, dot);
  return proxy.ip === undefined ? { namespace, serviceAccount: before } : { namespace };
}

/**
 * Strict node authorization: one of the certificate's SPIFFE identities must have the namespace
 * (and, when the node id names one, the service account) the node id claims. The trust domain is
 * not compared: the client CA decides which certificates are trusted at all.
 */
export function authorizeNode(identities: readonly SpiffeIdentity[], proxy: ProxyIdentity): NodeDecision {
  if (identities.length === 0) {
    return {
      allowed: false,
      reason: 'the client certificate has no spiffe://<trust-domain>/ns/<namespace>/sa/<service-account> URI',
    };
  }
  const claim = nodeClaim(proxy);
  if (claim === undefined) {
    return {
      allowed: false,
      reason:
        'the node id names no namespace: use <type>~<ip>~<workload>.<namespace>~<domain> or <service-account>.<namespace>',
    };
  }
  const matches = identities.some(
    (identity) =>
      identity.namespace === claim.namespace &&
      (claim.serviceAccount === undefined || identity.serviceAccount === claim.serviceAccount),
  );
  if (matches) return { allowed: true };
  const wanted =
    claim.serviceAccount === undefined
      ? `namespace ${claim.namespace}`
      : `service account ${claim.serviceAccount} in namespace ${claim.namespace}`;
  return {
    allowed: false,
    reason: `the client certificate (${identities.map((i) => i.uri).join(', ')}) is not for ${wanted}`,
  };
}
