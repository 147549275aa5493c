import type {
  ConnectionPool,
  LoadBalancerPolicy,
  OutlierDetection,
  Protocol,
  ServiceEntry,
  ServicePort,
  TrafficPolicy,
  UpstreamTls,
} from '@sextant/core';
import type { ClusterRef } from './plan-types';

/** One outbound cluster: a port of a service, or a subset of it, with the policy for traffic to it. */
export interface ClusterPlan {
  readonly ref: ClusterRef;
  readonly protocol: Protocol;
  readonly loadBalancer?: LoadBalancerPolicy;
  readonly connectionPool?: ConnectionPool;
  readonly outlierDetection?: OutlierDetection;
  readonly tls?: UpstreamTls;
}

/**
 * The outbound clusters of one port of a host: the port itself, then one per subset of its
 * policy (DestinationRule subsets, and subsets routes still name). Each cluster's policy is the
 * host's traffic policy, overlaid by its settings for this port, overlaid by the subset's own
 * (its policy and its settings for this port), as Istio merges them.
 */
export function clusterPlans(entry: ServiceEntry, port: ServicePort): ClusterPlan[] {
  const host = entry.service.hostname;
  const policy = entry.policy;
  const base = forPort(policy?.trafficPolicy, port.port);
  const plans: ClusterPlan[] = [
    { ref: { host, port: port.port, portName: port.name, labels: {} }, protocol: port.protocol, ...base },
  ];
  for (const subset of policy?.subsets ?? []) {
    plans.push({
      ref: { host, port: port.port, portName: port.name, subset: subset.name, labels: subset.labels },
      protocol: port.protocol,
      ...overlay(base, forPort(subset.trafficPolicy, port.port)),
    });
  }
  return plans;
}

/** The plan of one cluster of a host's port: the port's own (no subset) or one subset's; undefined for a subset the host lacks. */
export function clusterPlan(
  entry: ServiceEntry,
  port: ServicePort,
  subset?: string,
): ClusterPlan | undefined {
  return clusterPlans(entry, port).find((plan) => plan.ref.subset === subset);
}

type Settings = Pick<ClusterPlan, 'loadBalancer' | 'connectionPool' | 'outlierDetection' | 'tls'>;

/** A traffic policy's settings for one port: its own, overlaid by its port-level settings for that port. */
function forPort(policy: TrafficPolicy | undefined, port: number): Settings {
  if (!policy) return {};
  const own = pick(policy);
  const level = policy.portLevel.find((p) => p.port === port);
  return level ? overlay(own, pick(level)) : own;
}

function pick(policy: Settings): Settings {
  return {
    ...(policy.loadBalancer && { loadBalancer: policy.loadBalancer }),
    ...(policy.connectionPool && { connectionPool: policy.connectionPool }),
    ...(policy.outlierDetection && { outlierDetection: policy.outlierDetection }),
    ...(policy.tls && { tls: policy.tls }),
  };
}

/** `over`'s settings replace `base`'s whole (as Istio's MergeSubsetTrafficPolicy replaces each field). */
function overlay(base: Settings, over: Settings): Settings {
  return { ...base, ...over };
}
