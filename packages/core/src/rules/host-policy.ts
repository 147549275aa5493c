import { contentVersion } from '../hash';
import type { HttpRoute, PeerAuthenticationRule, Subset, TcpRoute, TrafficPolicy } from './model';
import type { RuleIdentity } from './resource';

/**
 * Everything the rules say about one hostname, attached to its snapshot entry: the routes for
 * traffic to it, its subsets and its traffic policy. A rule change is then "host X changed" to
 * the incremental machinery, and renderers read a host's policy from its entry.
 */
export interface HostPolicy {
  /**
   * HTTP routes for traffic to the host, in match order; absent when no rule routes it (its
   * default route applies: everything to the host itself).
   */
  readonly http?: readonly HttpRoute[];
  /** After `http`, the default route still applies to what no route matched (legacy RouteRules). */
  readonly appendDefaultRoute: boolean;
  readonly tcp?: readonly TcpRoute[];
  /** The host's subsets: those its DestinationRules define, and those routes still name (kept). */
  readonly subsets: readonly Subset[];
  readonly trafficPolicy?: TrafficPolicy;
  /**
   * Every PeerAuthentication in force (namespace/name order): which applies to a workload of the
   * host depends on the proxy (peerMtlsMode in @sextant/envoy resolves it). Absent when none is.
   */
  readonly peerAuthentications?: readonly PeerAuthenticationRule[];
  /** The rules it was built from, for debug views and provenance. */
  readonly rules: readonly RuleIdentity[];
  /** Digest of everything above: equal policies, equal versions, in any process. */
  readonly version: string;
}

export type HostPolicyContent = Omit<HostPolicy, 'version'>;

export function hostPolicy(content: HostPolicyContent): HostPolicy {
  return { ...content, version: contentVersion(content) };
}

/** Whether a host's policy asks for anything (a host with an empty policy renders as if it had none). */
export function isEmptyPolicy(policy: HostPolicyContent): boolean {
  return (
    policy.http === undefined &&
    policy.tcp === undefined &&
    policy.subsets.length === 0 &&
    policy.trafficPolicy === undefined &&
    policy.peerAuthentications === undefined
  );
}
