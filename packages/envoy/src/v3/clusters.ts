import {
  formatServiceKey,
  isHttp2Protocol,
  v3InboundClusterName,
  v3OutboundClusterName,
  type ServiceEntry,
  type ServicePort,
} from '@sextant/core';
import { perEntry } from '../mesh-index';
import {
  configSource,
  duration,
  HTTP_PROTOCOL_OPTIONS_TYPE,
  socketAddress,
  typedConfig,
} from './building-blocks';
import { EncodedResource } from './encoded-resource';
import type { ConfigSourceKind, V3RenderOptions } from './options';
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

const outboundRenderers = new WeakMap<
  V3RenderOptions,
  Map<ConfigSourceKind, (e: ServiceEntry) => EncodedResource[]>
>();

/**
 * The outbound clusters of one service: an EDS cluster per port, `outbound|<port>||<hostname>`,
 * whose endpoints are the ClusterLoadAssignment named by the service key. Memoised per entry, so
 * a change elsewhere in the mesh costs nothing here.
 */
export function outboundClusters(
  entry: ServiceEntry,
  kind: ConfigSourceKind,
  options: V3RenderOptions,
): EncodedResource[] {
  let byKind = outboundRenderers.get(options);
  if (!byKind) {
    byKind = new Map();
    outboundRenderers.set(options, byKind);
  }
  let render = byKind.get(kind);
  if (!render) {
    render = perEntry((e) => e.service.ports.map((port) => outboundCluster(e, port, kind, options)));
    byKind.set(kind, render);
  }
  return render(entry);
}

function outboundCluster(
  entry: ServiceEntry,
  port: ServicePort,
  kind: ConfigSourceKind,
  options: V3RenderOptions,
): EncodedResource {
  const { hostname } = entry.service;
  const name = v3OutboundClusterName(port.port, hostname);
  const cluster: Cluster = {
    name,
    type: 'EDS',
    eds_cluster_config: {
      eds_config: configSource(kind, options),
      service_name: formatServiceKey({ hostname, portName: port.name, labels: {} }),
    },
    connect_timeout: duration(options.connectTimeoutMs),
    lb_policy: 'ROUND_ROBIN',
    ...protocolOptions(port),
  };
  return new EncodedResource(CLUSTER_TYPE, name, cluster);
}

const inboundRenderers = new WeakMap<V3RenderOptions, (e: ServiceEntry) => Map<number, EncodedResource>>();

/**
 * A sidecar's inbound cluster for one port of its own workload: `inbound|<port>||<hostname>`,
 * static, to the application on 127.0.0.1. Kept per entry and port, so sidecars that share a
 * workload port share the resource.
 */
export function inboundCluster(
  entry: ServiceEntry,
  port: number,
  servicePort: ServicePort,
  options: V3RenderOptions,
): EncodedResource {
  let byPort = inboundRenderers.get(options);
  if (!byPort) {
    byPort = perEntry(() => new Map());
    inboundRenderers.set(options, byPort);
  }
  const cache = byPort(entry);
  let resource = cache.get(port);
  if (!resource) {
    const name = v3InboundClusterName(port, entry.service.hostname);
    const cluster: Cluster = {
      name,
      type: 'STATIC',
      connect_timeout: duration(options.connectTimeoutMs),
      lb_policy: 'ROUND_ROBIN',
      load_assignment: {
        cluster_name: name,
        endpoints: [{ lb_endpoints: [{ endpoint: { address: socketAddress('127.0.0.1', port) } }] }],
      },
      ...protocolOptions(servicePort),
    };
    resource = new EncodedResource(CLUSTER_TYPE, name, cluster);
    cache.set(port, resource);
  }
  return resource;
}

const blackHoles = new WeakMap<V3RenderOptions, EncodedResource>();

/** A cluster with no endpoints: connections sent to it are closed, as v1's `virtual` listener did. */
export function blackHoleCluster(options: V3RenderOptions): EncodedResource {
  let resource = blackHoles.get(options);
  if (!resource) {
    resource = new EncodedResource(CLUSTER_TYPE, BLACK_HOLE_CLUSTER, {
      name: BLACK_HOLE_CLUSTER,
      type: 'STATIC',
      connect_timeout: duration(options.connectTimeoutMs),
    } satisfies Cluster);
    blackHoles.set(options, resource);
  }
  return resource;
}
