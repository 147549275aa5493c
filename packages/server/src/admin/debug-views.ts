import {
  formatProblem,
  formatRuleIdentity,
  formatServiceKey,
  type ProxyIdentity,
  type RuleProblem,
  type Snapshot,
} from '@sextant/core';
import {
  renderCds,
  renderLds,
  rdsRouteOrigins,
  renderRds,
  renderSds,
  type LdsResponse,
  type MeshIndexes,
  type RouteDefaults,
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
  defaults: RouteDefaults = {},
) {
  const listeners = renderLds(indexes, snapshot, proxy, options);
  const clusters = renderCds(indexes, snapshot, proxy, options);
  const routeNames = rdsNames(listeners);
  const routes = Object.fromEntries(
    routeNames.map((name) => [name, renderRds(indexes, snapshot, name, proxy, defaults)]),
  );
  // The rule (and field) behind each route, by route configuration, virtual host and index.
  const routeOrigins = Object.fromEntries(
    routeNames.map((name) => [name, rdsRouteOrigins(indexes, snapshot, name, proxy, defaults)]),
  );
  const endpoints = Object.fromEntries(
    indexes.sortedEntries(snapshot).flatMap(({ service }) =>
      service.ports.map((port) => {
        const key = { hostname: service.hostname, portName: port.name, labels: {} };
        return [formatServiceKey(key), renderSds(snapshot, key)];
      }),
    ),
  );
  return { listeners, routes, routeOrigins, clusters, endpoints };
}

/**
 * /debug/rules: every rule resource with its source, state (applied; stale: its current version
 * is invalid and the last valid one is in force; rejected; conflict: another source's version is
 * in force) and problems, the hosts each rule in force gives a policy to, and the problems of
 * each source as a whole.
 */
export function rulesView(mesh: MeshState) {
  const { rules, sources } = mesh.ruleStatuses();
  const hosts = new Map<string, string[]>();
  for (const entry of mesh.current()?.services.values() ?? []) {
    for (const rule of entry.policy?.rules ?? []) {
      const key = formatRuleIdentity(rule);
      const list = hosts.get(key) ?? [];
      list.push(entry.service.hostname);
      hosts.set(key, list);
    }
  }
  return {
    rules: rules
      .map((status) => ({
        rule: formatRuleIdentity(status.identity),
        ...status.identity,
        source: status.source,
        state: status.state,
        hosts: (status.state === 'conflict'
          ? []
          : (hosts.get(formatRuleIdentity(status.identity)) ?? [])
        ).sort(),
        errors: status.problems.filter((p) => p.severity === 'error').map(problemView),
        warnings: status.problems.filter((p) => p.severity === 'warning').map(problemView),
      }))
      .sort((a, b) => (a.rule < b.rule ? -1 : a.rule > b.rule ? 1 : a.source < b.source ? -1 : 1)),
    sources: sources
      .filter((s) => s.problems.length > 0)
      .map((s) => ({ source: s.source, problems: s.problems.map(problemView) })),
  };
}

function problemView(problem: RuleProblem) {
  return {
    message: formatProblem(problem),
    severity: problem.severity,
    code: problem.code,
    ...(problem.target && { target: problem.target }),
  };
}
