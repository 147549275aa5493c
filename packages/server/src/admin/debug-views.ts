import { formatServiceKey, type ProxyIdentity, type Snapshot } from '@sextant/core';
import {
  renderCds,
  renderLds,
  renderRds,
  renderSds,
  type LdsResponse,
  type MeshIndexes,
  type V1RenderOptions,
} from '@sextant/envoy';
import type { MeshState } from '../mesh-state';

const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

/**
 * /debug/registry: what Sextant knows and how it knows it: every adapter's status with the
 * age of its data, merge conflicts, and every service with its instances (optionally one).
 */
export function registryView(mesh: MeshState, indexes: MeshIndexes, now: number, hostname?: string) {
  const snapshot = mesh.current();
  const entries = snapshot ? indexes.sortedEntries(snapshot) : [];
  return {
    version: snapshot?.version ?? null,
    synced: mesh.isSynced(),
    publishedAt: iso(snapshot?.createdAt) ?? null,
    adapters: mesh.adapterStatuses().map((a) => ({
      name: a.name,
      status: a.status,
      detail: a.detail ?? null,
      synced: a.synced,
      statusSince: iso(a.statusSince),
      lastReportAt: iso(a.lastReportAt) ?? null,
      lastReportAgeSeconds:
        a.lastReportAt === undefined ? null : Math.round((now - a.lastReportAt) / 100) / 10,
      services: a.services,
      instances: a.instances,
      rejected: a.rejected,
      recentRejections: a.recentRejections.map((r) => ({ at: iso(r.at), message: r.message })),
    })),
    conflicts: mesh.conflicts(),
    services: entries
      .filter((e) => hostname === undefined || e.service.hostname === hostname)
      .map(({ service, instances, version }) => ({ ...service, version, instances })),
  };
}

/** The route configuration names a v1 LDS response refers to. */
function rdsNames(lds: LdsResponse): string[] {
  const names = new Set<string>();
  for (const listener of lds.listeners) {
    for (const filter of listener.filters) {
      if (filter.name === 'http_connection_manager' && filter.config.rds)
        names.add(filter.config.rds.route_config_name);
    }
  }
  return [...names];
}

/** Everything one proxy receives over v1, exactly as served: listeners, the routes they name, clusters and their hosts. */
export function v1ProxyConfig(
  indexes: MeshIndexes,
  snapshot: Snapshot,
  proxy: ProxyIdentity,
  options: V1RenderOptions,
) {
  const listeners = renderLds(indexes, snapshot, proxy, options);
  const clusters = renderCds(indexes, snapshot, proxy, options);
  const routes = Object.fromEntries(
    rdsNames(listeners).map((name) => [name, renderRds(indexes, snapshot, name, proxy)]),
  );
  const endpoints = Object.fromEntries(
    indexes.sortedEntries(snapshot).flatMap(({ service }) =>
      service.ports.map((port) => {
        const key = { hostname: service.hostname, portName: port.name, labels: {} };
        return [formatServiceKey(key), renderSds(snapshot, key)];
      }),
    ),
  );
  return { listeners, routes, clusters, endpoints };
}
