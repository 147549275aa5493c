import { parseProxyIdentity } from '@sextant/core';
import {
  CLUSTER_TYPE,
  DEFAULT_V3_OPTIONS,
  ENDPOINT_TYPE,
  groupResources,
  LISTENER_TYPE,
  resourceSet,
  ROUTE_TYPE,
  type ResourceTypeUrl,
  type V3RenderOptions,
} from '@sextant/envoy';
import type { ProxyConfigSection } from '../admin/admin-routes';
import type { MeshState } from '../mesh-state';

/**
 * The `v3` section of /debug/config/:proxyId: what an Envoy with that node id receives over ADS
 * (wildcard listeners and clusters, the route configurations and endpoints they name), exactly
 * as encoded, in proto3 JSON.
 */
export function v3ConfigSection(
  mesh: MeshState,
  options: V3RenderOptions = DEFAULT_V3_OPTIONS,
): ProxyConfigSection {
  return (proxyId) => {
    const snapshot = mesh.current();
    if (!snapshot) return {};
    const proxy = parseProxyIdentity(proxyId);
    const resources = (typeUrl: ResourceTypeUrl) => {
      const set = resourceSet(snapshot, typeUrl, { proxy, kind: 'ads' }, options);
      return [...groupResources(set.wildcard())].map((r) => JSON.parse(r.json()) as unknown);
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
