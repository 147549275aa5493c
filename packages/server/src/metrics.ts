import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry as PromRegistry } from 'prom-client';
import { defaultBuildInfo, type BuildInfo } from './build-info';
import type { RenderCacheStats } from '@sextant/envoy';
import type { MeshState } from './mesh-state';
import { RequestTally } from './request-tally';

/**
 * Prometheus metrics served on the admin listener's /metrics. Gauges that describe the mesh
 * are read from it at scrape time rather than kept in step with it.
 */
export class ServerMetrics {
  readonly registry = new PromRegistry();
  readonly discoveryRequests: Counter<'api' | 'code'>;
  /** Requests the v1 fast path answered, by API and status: added to discoveryRequests when scraped. */
  readonly v1Requests = new RequestTally<string>();
  readonly snapshotsPublished: Counter;
  /** Time to compute an answer that was not ready (v1, v3-rest); xDS pushes have their own. */
  readonly renderSeconds: Histogram<'api'>;

  constructor(mesh: MeshState, renderCache: () => RenderCacheStats, build: BuildInfo = defaultBuildInfo()) {
    collectDefaultMetrics({ register: this.registry });
    const v1Requests = this.v1Requests;
    new Gauge({
      name: 'sextant_build_info',
      help: 'Always 1; the labels say which build runs: Sextant version, git commit, Node.js version.',
      labelNames: ['version', 'commit', 'node'],
      registers: [this.registry],
    }).set({ version: build.version, commit: build.commit, node: process.version }, 1);
    this.renderSeconds = new Histogram({
      name: 'sextant_render_duration_seconds',
      help: 'Time to compute a REST answer that was not ready yet (v1: once per URL and snapshot; v3-rest: every request), by API.',
      labelNames: ['api'],
      buckets: [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5],
      registers: [this.registry],
    });
    this.discoveryRequests = new Counter({
      name: 'sextant_discovery_requests_total',
      help: 'Discovery requests answered, by API and HTTP status.',
      labelNames: ['api', 'code'],
      registers: [this.registry],
      collect() {
        v1Requests.drain((api, code, count) => this.inc({ api, code }, count));
      },
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
    const buildSeconds = new Histogram({
      name: 'sextant_snapshot_build_duration_seconds',
      help: 'Time to merge the changed services into a new snapshot and digest it.',
      buckets: [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1],
      registers: [this.registry],
    });
    const debounceSeconds = new Histogram({
      name: 'sextant_debounce_duration_seconds',
      help: 'From the earliest change a snapshot carries reaching the registry until the snapshot is published (the debounce wait).',
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [this.registry],
    });
    mesh.onSnapshot((snapshot) => {
      this.snapshotsPublished.inc();
      buildSeconds.observe(snapshot.buildMs / 1000);
      // The first snapshot waits for every adapter's first sync, not for the debounce.
      if (snapshot.previousVersion !== undefined)
        debounceSeconds.observe(Math.max(0, snapshot.createdAt - snapshot.changedSince) / 1000);
    });

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
