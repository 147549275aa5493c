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
    const resources = (typeUrl: ResourceTypeUrl) => {
      const set = renderer.resourceSet(snapshot, typeUrl, { proxy, kind: 'ads' });
      return [...set.wildcard().resources()].map((r) => JSON.parse(r.json()) as unknown);
    };
    return {
      v3: {
        listeners: resources(LISTENER_TYPE),
        routes: resources(ROUTE_TYPE),
        clusters: resources(CLUSTER_TYPE),
        endpoints: resources(ENDPOINT_TYPE),
      },
    };
  };
}
