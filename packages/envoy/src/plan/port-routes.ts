import type { ServicePort, Snapshot } from '@sextant/core';
import type { MeshIndexes } from '../mesh-index';
import type { RoutePlan } from './plan-types';
import { routePlan, type ProxySource, type RouteDefaults } from './route-plan';

/** The route plan of every HTTP service on `port`, in hostname order, with the service port each is for. */
export function portRoutePlans(
  mesh: MeshIndexes,
  snapshot: Snapshot,
  port: number,
  source: ProxySource,
  defaults: RouteDefaults,
): { readonly plan: RoutePlan; readonly servicePort: ServicePort }[] {
  return mesh.httpEntriesOnPort(snapshot, port).flatMap((entry) => {
    const servicePort = entry.service.ports.find((p) => p.port === port);
    return servicePort
      ? [{ plan: routePlan(snapshot, entry, servicePort, source, defaults), servicePort }]
      : [];
  });
}
