import { isHttp2Protocol, v3InboundClusterName, type ServiceEntry, type ServicePort } from '@sextant/core';
import { duration, HTTP_PROTOCOL_OPTIONS_TYPE, socketAddress, typedConfig } from './building-blocks';
import type { EncodedResource } from './encoded-resource';
import { clusterPlans } from '../plan/cluster-plan';
import { encodeCluster } from './cluster-encoding';
import type { ConfigSourceKind } from './options';
import { cachedResource, cachedResources, encode, type V3Scope } from './render-scope';
import { CLUSTER_TYPE } from './type-urls';
import type { Cluster } from './wire-types';

/** Where a sidecar's `virtualOutbound` listener sends traffic for destinations it has no listener for. */
export const BLACK_HOLE_CLUSTER = 'BlackHoleCluster';

const HTTP_PROTOCOL_OPTIONS_KEY = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';

/** Upstream HTTP/2 for gRPC and HTTP/2 ports; Envoy reads it from the cluster's protocol options. */
function protocolOptions(port: ServicePort): Pick<Cluster, 'typed_extension_protocol_options'> {
  if (!isHttp2Protocol(port.protocol)) return {};
  return {
    typed_extension_protocol_options: {
      [HTTP_PROTOCOL_OPTIONS_KEY]: typedConfig(HTTP_PROTOCOL_OPTIONS_TYPE, {
        explicit_http_config: { http2_protocol_options: {} },
      }),
    },
  };
}

/**
 * The outbound clusters of one service: an EDS cluster per port, `outbound|<port>||<hostname>`,
 * and one per subset of its policy, `outbound|<port>|<subset>|<hostname>`, whose endpoints are the
 * ClusterLoadAssignment named by the (subset's) service key, with the policy for traffic to it.
 * They depend on the service's shape (its policy included), the config source kind and the kind
 * of client, so an endpoint change keeps them.
 */
export function outboundClusters(
  scope: V3Scope,
  entry: ServiceEntry,
  kind: ConfigSourceKind,
  target: 'v3' | 'grpc' = 'v3',
): readonly EncodedResource[] {
  return cachedResources(scope, `cds out ${kind} ${target} ${entry.shape}`, () =>
    entry.service.ports.flatMap((port) =>
      clusterPlans(entry, port).map((plan) => {
        const cluster = encodeCluster(plan, kind, target, scope.options);
        return encode(scope, CLUSTER_TYPE, cluster.name ?? '', cluster);
      }),
    ),
  );
}

/**
 * A sidecar's inbound cluster for one port of its own workload: `inbound|<port>||<hostname>`,
 * static, to the application on 127.0.0.1. It depends on the hostname, port and protocol only,
 * so sidecars that share a workload port share the resource.
 */
export function inboundCluster(
  scope: V3Scope,
  hostname: string,
  port: number,
  servicePort: ServicePort,
): EncodedResource {
  return cachedResource(scope, `cds in ${port} ${servicePort.protocol} ${hostname}`, () => {
    const name = v3InboundClusterName(port, hostname);
    const cluster: Cluster = {
      name,
      type: 'STATIC',
      connect_timeout: duration(scope.options.connectTimeoutMs),
      lb_policy: 'ROUND_ROBIN',
      load_assignment: {
        cluster_name: name,
        endpoints: [{ lb_endpoints: [{ endpoint: { address: socketAddress('127.0.0.1', port) } }] }],
      },
      ...protocolOptions(servicePort),
    };
    return encode(scope, CLUSTER_TYPE, name, cluster);
  });
}

/** A cluster with no endpoints: connections sent to it are closed, as v1's `virtual` listener did. */
export function blackHoleCluster(scope: V3Scope): EncodedResource {
  return cachedResource(scope, 'cds blackhole', () =>
    encode(scope, CLUSTER_TYPE, BLACK_HOLE_CLUSTER, {
      name: BLACK_HOLE_CLUSTER,
      type: 'STATIC',
      connect_timeout: duration(scope.options.connectTimeoutMs),
    } satisfies Cluster),
  );
}
