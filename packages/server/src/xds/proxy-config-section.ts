import { parseProxyIdentity } from '@sextant/core';
import {
  CLUSTER_TYPE,
  ENDPOINT_TYPE,
  LISTENER_TYPE,
  ROUTE_TYPE,
  type ResourceTypeUrl,
  type V3Renderer,
} from '@sextant/envoy';
import type { ProxyConfigSection } from '../admin/admin-routes';
import type { MeshState } from '../mesh-state';

/**
 * The `v3` section of /debug/config/:proxyId: what an Envoy with that node id receives over ADS
 * (wildcard listeners and clusters, the route configurations and endpoints they name), exactly
 * as encoded, in proto3 JSON.
 */
export function v3ConfigSection(mesh: MeshState, renderer: V3Renderer): ProxyConfigSection {
  return (proxyId) => {
    const snapshot = mesh.current();
    if (!snapshot) return {};
    const proxy = parseProxyIdentity(proxyId);
    const set = (typeUrl: ResourceTypeUrl) => renderer.resourceSet(snapshot, typeUrl, { proxy, kind: 'ads' });
    const resources = (typeUrl: ResourceTypeUrl) =>
      [...set(typeUrl).wildcard().resources()].map((r) => JSON.parse(r.json()) as unknown);
    const clusters = resources(CLUSTER_TYPE);
    // Endpoints are asked for by name: those of every EDS cluster, subsets included, as Envoy asks.
    const endpointSet = set(ENDPOINT_TYPE);
    const endpoints = new Map<string, unknown>();
    for (const resource of endpointSet.wildcard().resources())
      endpoints.set(resource.name, JSON.parse(resource.json()));
    for (const name of clusters.map(edsServiceName)) {
      const resource = name === undefined || endpoints.has(name) ? undefined : endpointSet.get(name);
      if (resource) endpoints.set(name as string, JSON.parse(resource.json()));
    }
    return {
      v3: {
        listeners: resources(LISTENER_TYPE),
        routes: resources(ROUTE_TYPE),
        clusters,
        endpoints: [...endpoints.values()],
      },
    };
  };
}

/** The name an EDS cluster asks its endpoints by (`eds_cluster_config.service_name`, else its own name). */
function edsServiceName(cluster: unknown): string | undefined {
  const {
    type,
    name,
    eds_cluster_config: eds,
  } = cluster as {
    type?: string;
    name?: string;
    eds_cluster_config?: { service_name?: string };
  };
  return type === 'EDS' ? (eds?.service_name ?? name) : undefined;
}
