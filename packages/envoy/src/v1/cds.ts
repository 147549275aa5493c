import {
  formatServiceKey,
  isHttp2Protocol,
  v1InboundClusterName,
  v1OutboundClusterName,
  type ProxyIdentity,
  type ServiceEntry,
  type Snapshot,
} from '@sextant/core';
import type { MeshIndexes } from '../mesh-index';
import { tcpUrl } from '../addresses';
import { DEFAULT_V1_OPTIONS, type V1RenderOptions } from './options';
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

/** The outbound clusters of one service: an `sds` cluster per port. They depend on its shape only. */
export function outboundClusters(entry: ServiceEntry, options: V1RenderOptions): V1Cluster[] {
  return entry.service.ports.map((port) => {
    const key = { hostname: entry.service.hostname, portName: port.name, labels: {} };
    return {
      name: v1OutboundClusterName(key),
      service_name: formatServiceKey(key),
      connect_timeout_ms: options.connectTimeoutMs,
      type: 'sds',
      lb_type: 'round_robin',
      ...(isHttp2Protocol(port.protocol) ? { features: 'http2' as const } : {}),
    };
  });
}
