import {
  isHttp2Protocol,
  v1InboundClusterName,
  type LoadBalancerPolicy,
  type ProxyIdentity,
  type ServiceEntry,
  type Snapshot,
} from '@sextant/core';
import type { MeshIndexes } from '../mesh-index';
import { tcpUrl } from '../addresses';
import { clusterPlans, type ClusterPlan } from '../plan/cluster-plan';
import { DEFAULT_V1_OPTIONS, type V1RenderOptions } from './options';
import { v1ClusterName, v1ServiceKey } from './route-encoding';
import { clusterSslContext } from './ssl-context';
import type { CdsResponse, V1Cluster } from './types';

/**
 * v1 CDS: for a sidecar, a static `in.<port>` cluster for each port of its own workload
 * (inbound, by port); then an `sds` cluster for every port of every service (outbound, in
 * hostname order), the same for every proxy.
 */
export function renderCds(
  mesh: MeshIndexes,
  snapshot: Snapshot,
  proxy: ProxyIdentity,
  options = DEFAULT_V1_OPTIONS,
): CdsResponse {
  return {
    clusters: [
      ...inboundClusters(mesh, snapshot, proxy, options),
      ...mesh.sortedEntries(snapshot).flatMap((entry) => outboundClusters(entry, options)),
    ],
  };
}

export function inboundClusters(
  mesh: MeshIndexes,
  snapshot: Snapshot,
  proxy: ProxyIdentity,
  options: V1RenderOptions,
): V1Cluster[] {
  if (proxy.type !== 'sidecar') return [];
  return mesh.localPorts(snapshot, proxy.ip).map(({ port, servicePort }) => ({
    name: v1InboundClusterName(port),
    connect_timeout_ms: options.connectTimeoutMs,
    type: 'static',
    lb_type: 'round_robin',
    hosts: [{ url: tcpUrl('127.0.0.1', port) }],
    ...(isHttp2Protocol(servicePort.protocol) ? { features: 'http2' as const } : {}),
  }));
}

/**
 * The outbound clusters of one service: an `sds` cluster per port, and one per subset of its
 * policy (`out.<host>|<port>|<subset labels>`, as Pilot named them, so SDS serves exactly the
 * subset's hosts), with the policy for traffic to it as v1 can say it (spec §3.4). They depend on
 * the service's shape (its policy included) only.
 */
export function outboundClusters(entry: ServiceEntry, options: V1RenderOptions): V1Cluster[] {
  return entry.service.ports.flatMap((port) =>
    clusterPlans(entry, port).map((plan) => v1Cluster(plan, options)),
  );
}

function v1Cluster(plan: ClusterPlan, options: V1RenderOptions): V1Cluster {
  const pool = plan.connectionPool;
  const od = plan.outlierDetection;
  const sslContext = clusterSslContext(plan.tls, options.meshTls);
  const thresholds = {
    ...(positive(pool?.maxConnections) && { max_connections: pool?.maxConnections }),
    ...(positive(pool?.http1MaxPendingRequests) && { max_pending_requests: pool?.http1MaxPendingRequests }),
    ...(positive(pool?.http2MaxRequests) && { max_requests: pool?.http2MaxRequests }),
    ...(positive(pool?.maxRetries) && { max_retries: pool?.maxRetries }),
  };
  return {
    name: v1ClusterName(plan.ref),
    service_name: v1ServiceKey(plan.ref),
    connect_timeout_ms: pool?.connectTimeoutMs ?? options.connectTimeoutMs,
    type: 'sds',
    lb_type: v1LbType(plan.loadBalancer),
    ...(isHttp2Protocol(plan.protocol) ? { features: 'http2' as const } : {}),
    ...(positive(pool?.maxRequestsPerConnection) && {
      max_requests_per_connection: pool?.maxRequestsPerConnection,
    }),
    ...(Object.keys(thresholds).length > 0 && { circuit_breakers: { default: thresholds } }),
    ...(od && {
      outlier_detection: {
        ...(od.consecutive5xxErrors !== undefined && { consecutive_5xx: od.consecutive5xxErrors }),
        ...(od.consecutiveGatewayErrors !== undefined && {
          consecutive_gateway_failure: od.consecutiveGatewayErrors,
          enforcing_consecutive_gateway_failure: 100,
        }),
        ...(od.intervalMs !== undefined && { interval_ms: od.intervalMs }),
        ...(od.baseEjectionTimeMs !== undefined && { base_ejection_time_ms: od.baseEjectionTimeMs }),
        ...(od.maxEjectionPercent !== undefined && { max_ejection_percent: od.maxEjectionPercent }),
      },
    }),
    ...(sslContext && { ssl_context: sslContext }),
  };
}

function v1LbType(policy: LoadBalancerPolicy | undefined): V1Cluster['lb_type'] {
  if (!policy) return 'round_robin';
  if (policy.kind === 'consistent-hash') return 'ring_hash';
  return policy.algorithm === 'LEAST_REQUEST'
    ? 'least_request'
    : policy.algorithm === 'RANDOM'
      ? 'random'
      : 'round_robin';
}

function positive(value: number | undefined): value is number {
  return value !== undefined && value > 0;
}
