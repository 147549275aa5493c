import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** The xDS server's Prometheus metrics, registered beside the others on the admin /metrics. */
export class XdsMetrics {
  readonly responses: Counter<'type' | 'protocol'>;
  readonly nacks: Counter<'type'>;
  readonly pushSeconds: Histogram;
  readonly pushes: Counter<'type' | 'outcome'>;
  readonly convergenceSeconds: Histogram;
  readonly renderSeconds: Histogram;

  constructor(registry: Registry, streams: () => ReadonlyMap<string, number>) {
    this.responses = new Counter({
      name: 'sextant_xds_responses_total',
      help: 'xDS responses sent on gRPC streams, by resource type and protocol (sotw or delta).',
      labelNames: ['type', 'protocol'],
      registers: [registry],
    });
    this.nacks = new Counter({
      name: 'sextant_xds_nacks_total',
      help: 'Responses clients rejected (NACK), by resource type; /debug/proxies shows why.',
      labelNames: ['type'],
      registers: [registry],
    });
    this.pushSeconds = new Histogram({
      name: 'sextant_xds_push_duration_seconds',
      help: 'Time to bring every concerned stream up to date with one snapshot (writes queued, not delivered).',
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
      registers: [registry],
    });
    this.pushes = new Counter({
      name: 'sextant_xds_pushes_total',
      help: 'xDS responses by resource type and how they ended: acked, nacked, superseded (a newer one was sent before the client answered), unanswered (the stream closed first).',
      labelNames: ['type', 'outcome'],
      registers: [registry],
    });
    this.convergenceSeconds = new Histogram({
      name: 'sextant_proxy_convergence_seconds',
      help: 'From a platform change reaching the registry until every stream subscribed to what it changed has acknowledged it.',
      buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers: [registry],
    });
    this.renderSeconds = new Histogram({
      name: 'sextant_xds_render_duration_seconds',
      help: "Time to compute one stream's responses for one push (rendering, encoding; mostly cache lookups).",
      buckets: [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5],
      registers: [registry],
    });
    new Gauge({
      name: 'sextant_xds_streams',
      help: 'Open xDS gRPC streams, by protocol and client kind.',
      labelNames: ['protocol', 'client'],
      registers: [registry],
      collect() {
        this.reset();
        for (const [key, count] of streams()) {
          const [protocol = '', client = ''] = key.split(' ');
          this.set({ protocol, client }, count);
        }
      },
    });
  }
}
