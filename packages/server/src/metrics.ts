import { collectDefaultMetrics, Counter, Gauge, Registry as PromRegistry } from 'prom-client';
import type { RenderCacheStats } from '@sextant/envoy';
import type { MeshState } from './mesh-state';

/**
 * Prometheus metrics served on the admin listener's /metrics. Gauges that describe the mesh
 * are read from it at scrape time rather than kept in step with it.
 */
export class ServerMetrics {
  readonly registry = new PromRegistry();
  readonly discoveryRequests: Counter<'api' | 'code'>;
  readonly snapshotsPublished: Counter;

  constructor(mesh: MeshState, renderCache: () => RenderCacheStats) {
    collectDefaultMetrics({ register: this.registry });
    this.discoveryRequests = new Counter({
      name: 'sextant_discovery_requests_total',
      help: 'Discovery requests answered, by API and HTTP status.',
      labelNames: ['api', 'code'],
      registers: [this.registry],
    });
    const counted = { hit: 0, miss: 0, eviction: 0 };
    new Counter({
      name: 'sextant_render_cache_events_total',
      help: 'Render cache lookups that found a value (hit) or computed it (miss), and values evicted to stay within the budget.',
      labelNames: ['event'],
      registers: [this.registry],
      collect() {
        const stats = renderCache();
        const now = { hit: stats.hits, miss: stats.misses, eviction: stats.evictions };
        for (const event of ['hit', 'miss', 'eviction'] as const) {
          this.inc({ event }, now[event] - counted[event]);
          counted[event] = now[event];
        }
      },
    });
    new Gauge({
      name: 'sextant_render_cache_bytes',
      help: 'Estimated bytes held by the render cache, and its budget (limits.renderCache).',
      labelNames: ['of'],
      registers: [this.registry],
      collect() {
        const stats = renderCache();
        this.set({ of: 'held' }, stats.bytes);
        this.set({ of: 'budget' }, stats.maxBytes);
      },
    });
    this.snapshotsPublished = new Counter({
      name: 'sextant_snapshots_published_total',
      help: 'Snapshots published by the registry.',
      registers: [this.registry],
    });
    mesh.onSnapshot(() => this.snapshotsPublished.inc());

    new Gauge({
      name: 'sextant_services',
      help: 'Services in the current snapshot.',
      registers: [this.registry],
      collect() {
        this.set(mesh.current()?.services.size ?? 0);
      },
    });
    new Gauge({
      name: 'sextant_instances',
      help: 'Instances (of every port) in the current snapshot.',
      registers: [this.registry],
      collect() {
        let count = 0;
        for (const entry of mesh.current()?.services.values() ?? []) count += entry.instances.length;
        this.set(count);
      },
    });
    new Gauge({
      name: 'sextant_adapter_status',
      help: 'Adapter status: 1 for the status the adapter is in, 0 for the others.',
      labelNames: ['adapter', 'status'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const adapter of mesh.adapterStatuses()) {
          for (const status of ['syncing', 'ready', 'degraded'] as const) {
            this.set({ adapter: adapter.name, status }, adapter.status === status ? 1 : 0);
          }
        }
      },
    });
    new Gauge({
      name: 'sextant_adapter_last_report_age_seconds',
      help: 'Seconds since the adapter last reported data or confirmed it is current; grows while it is degraded.',
      labelNames: ['adapter'],
      registers: [this.registry],
      collect() {
        this.reset();
        const now = Date.now();
        for (const adapter of mesh.adapterStatuses()) {
          if (adapter.lastReportAt !== undefined)
            this.set({ adapter: adapter.name }, (now - adapter.lastReportAt) / 1000);
        }
      },
    });
    new Gauge({
      name: 'sextant_adapter_rejected_inputs',
      help: 'Services, instances or fields an adapter reported that were rejected as invalid.',
      labelNames: ['adapter'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const adapter of mesh.adapterStatuses()) this.set({ adapter: adapter.name }, adapter.rejected);
      },
    });
    // One pass over the rules serves both rule gauges; each scrape collects them once.
    const ruleCounts = () => {
      const { rules, sources } = mesh.ruleStatuses();
      const states = new Map<string, number>();
      const problems = new Map<string, number>();
      const countProblem = (severity: string, target: string) => {
        const key = `${severity}\u0000${target}`;
        problems.set(key, (problems.get(key) ?? 0) + 1);
      };
      for (const rule of rules) {
        states.set(rule.state, (states.get(rule.state) ?? 0) + 1);
        for (const p of rule.problems) countProblem(p.severity, p.target ?? 'all');
      }
      for (const source of sources)
        for (const p of source.problems) countProblem(p.severity, p.target ?? 'all');
      return { states, problems };
    };
    new Gauge({
      name: 'sextant_rules',
      help: 'Rule resources by state: applied, stale (invalid now; its last valid version is in force), rejected, conflict.',
      labelNames: ['state'],
      registers: [this.registry],
      collect() {
        this.reset();
        const { states } = ruleCounts();
        for (const state of ['applied', 'stale', 'rejected', 'conflict'])
          this.set({ state }, states.get(state) ?? 0);
      },
    });
    new Gauge({
      name: 'sextant_rule_problems',
      help: 'Problems of the rules and rule sources, by severity and by the target they concern (all: every target).',
      labelNames: ['severity', 'target'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const [key, count] of ruleCounts().problems) {
          const [severity = '', target = ''] = key.split('\u0000');
          this.set({ severity, target }, count);
        }
      },
    });
  }
}
