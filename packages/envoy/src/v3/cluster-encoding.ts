import {
  formatServiceKey,
  isHttp2Protocol,
  type ConnectionPool,
  type LoadBalancerPolicy,
} from '@sextant/core';
import type { ClusterPlan } from '../plan/cluster-plan';
import { configSource, duration, HTTP_PROTOCOL_OPTIONS_TYPE, typedConfig } from './building-blocks';
import { meshTlsOf, type ConfigSourceKind, type V3RenderOptions } from './options';
import { upstreamTransportSocket } from './transport-sockets';
import { clusterName } from './route-encoding';
import type { Cluster } from './wire-types';

const HTTP_PROTOCOL_OPTIONS_KEY = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';
/** `RingHashLbConfig.minimum_ring_size`'s bound (Envoy's `lte`, gRPC's `xds_cluster.cc`). */
const MAX_RING_SIZE = 8_388_608;

/**
 * A planned cluster as an Envoy v3 EDS cluster, for an Envoy (`v3`) or a proxyless gRPC client
 * (`grpc`). gRPC clients NACK load balancing other than ROUND_ROBIN and RING_HASH and read only
 * `max_requests` of the circuit breakers and no consecutive-error outlier detection (spec §5.2),
 * so they get only what they honour; validation tells operators what they lose.
 */
export function encodeCluster(
  plan: ClusterPlan,
  kind: ConfigSourceKind,
  target: 'v3' | 'grpc',
  options: V3RenderOptions,
): Cluster {
  const { ref } = plan;
  const pool = plan.connectionPool;
  const transportSocket = upstreamTransportSocket(plan.tls, ref.host, target, meshTlsOf(options));
  return {
    name: clusterName(ref),
    type: 'EDS',
    eds_cluster_config: {
      eds_config: configSource(kind, options),
      service_name: formatServiceKey({ hostname: ref.host, portName: ref.portName, labels: ref.labels }),
    },
    connect_timeout: duration(pool?.connectTimeoutMs ?? options.connectTimeoutMs),
    ...loadBalancing(plan.loadBalancer, target),
    ...circuitBreakers(pool, target),
    ...(target === 'v3' && outlierDetection(plan)),
    ...protocolOptions(plan, target),
    ...(transportSocket && { transport_socket: transportSocket }),
  };
}

function loadBalancing(policy: LoadBalancerPolicy | undefined, target: 'v3' | 'grpc'): Partial<Cluster> {
  if (!policy) return { lb_policy: 'ROUND_ROBIN' };
  if (policy.kind === 'consistent-hash') {
    if (policy.ring.kind === 'maglev' && target === 'v3') {
      return {
        lb_policy: 'MAGLEV',
        ...(policy.ring.tableSize !== undefined && {
          maglev_lb_config: { table_size: { value: policy.ring.tableSize } },
        }),
      };
    }
    // Envoy (a validation rule) and gRPC clients refuse a larger ring: the largest they take.
    const size =
      policy.ring.kind === 'ring-hash' && policy.ring.minimumRingSize !== undefined
        ? Math.min(policy.ring.minimumRingSize, MAX_RING_SIZE)
        : undefined;
    return {
      lb_policy: 'RING_HASH',
      ring_hash_lb_config: {
        hash_function: 'XX_HASH',
        ...(size !== undefined && { minimum_ring_size: { value: size } }),
      },
    };
  }
  if (target === 'grpc') return { lb_policy: 'ROUND_ROBIN' };
  switch (policy.algorithm) {
    case 'LEAST_REQUEST':
      return { lb_policy: 'LEAST_REQUEST' };
    case 'RANDOM':
      return { lb_policy: 'RANDOM' };
    default:
      return { lb_policy: 'ROUND_ROBIN' };
  }
}

function circuitBreakers(pool: ConnectionPool | undefined, target: 'v3' | 'grpc'): Partial<Cluster> {
  if (!pool) return {};
  const limit = (value: number | undefined) => (value !== undefined && value > 0 ? { value } : undefined);
  const thresholds =
    target === 'grpc'
      ? { ...(limit(pool.http2MaxRequests) && { max_requests: limit(pool.http2MaxRequests) }) }
      : {
          ...(limit(pool.maxConnections) && { max_connections: limit(pool.maxConnections) }),
          ...(limit(pool.http1MaxPendingRequests) && {
            max_pending_requests: limit(pool.http1MaxPendingRequests),
          }),
          ...(limit(pool.http2MaxRequests) && { max_requests: limit(pool.http2MaxRequests) }),
          ...(limit(pool.maxRetries) && { max_retries: limit(pool.maxRetries) }),
        };
  if (Object.keys(thresholds).length === 0) return {};
  return { circuit_breakers: { thresholds: [{ priority: 'DEFAULT', ...thresholds }] } };
}

function outlierDetection(plan: ClusterPlan): Partial<Cluster> {
  const od = plan.outlierDetection;
  if (!od) return {};
  return {
    outlier_detection: {
      // Istio's reading: consecutive errors eject, success-rate ejection is off.
      enforcing_success_rate: { value: 0 },
      ...(od.consecutive5xxErrors !== undefined && {
        consecutive_5xx: { value: od.consecutive5xxErrors },
        enforcing_consecutive_5xx: { value: od.consecutive5xxErrors > 0 ? 100 : 0 },
      }),
      ...(od.consecutiveGatewayErrors !== undefined && {
        consecutive_gateway_failure: { value: od.consecutiveGatewayErrors },
        enforcing_consecutive_gateway_failure: { value: od.consecutiveGatewayErrors > 0 ? 100 : 0 },
      }),
      ...(od.intervalMs !== undefined && { interval: duration(od.intervalMs) }),
      ...(od.baseEjectionTimeMs !== undefined && { base_ejection_time: duration(od.baseEjectionTimeMs) }),
      ...(od.maxEjectionPercent !== undefined && { max_ejection_percent: { value: od.maxEjectionPercent } }),
    },
    ...(od.minHealthPercent !== undefined && {
      common_lb_config: { healthy_panic_threshold: { value: od.minHealthPercent } },
    }),
  };
}

/** Upstream HTTP/2 for gRPC and HTTP/2 ports, and per-connection limits; Envoy reads them from the protocol options. */
function protocolOptions(plan: ClusterPlan, target: 'v3' | 'grpc'): Partial<Cluster> {
  const pool = plan.connectionPool;
  const common =
    target === 'v3' && pool
      ? {
          ...(pool.maxRequestsPerConnection !== undefined &&
            pool.maxRequestsPerConnection > 0 && {
              max_requests_per_connection: { value: pool.maxRequestsPerConnection },
            }),
          ...(pool.idleTimeoutMs !== undefined && { idle_timeout: duration(pool.idleTimeoutMs) }),
        }
      : {};
  const http2 = isHttp2Protocol(plan.protocol);
  if (!http2 && Object.keys(common).length === 0) return {};
  return {
    typed_extension_protocol_options: {
      [HTTP_PROTOCOL_OPTIONS_KEY]: typedConfig(HTTP_PROTOCOL_OPTIONS_TYPE, {
        ...(Object.keys(common).length > 0 && { common_http_protocol_options: common }),
        explicit_http_config: http2 ? { http2_protocol_options: {} } : { http_protocol_options: {} },
      }),
    },
  };
}
