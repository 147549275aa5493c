import { Counter, type Registry as PromRegistry } from 'prom-client';

export type ReloadResult = 'success' | 'failure';

/** `sextant_config_reloads_total{result}`: configuration reloads (SIGHUP, POST /admin/reload) by outcome. */
export class ReloadMetrics {
  private readonly reloads: Counter<'result'>;

  constructor(registry: PromRegistry) {
    this.reloads = new Counter({
      name: 'sextant_config_reloads_total',
      help: 'Configuration reloads (SIGHUP, POST /admin/reload): success, or failure (the running configuration stayed).',
      labelNames: ['result'],
      registers: [registry],
    });
    // Both series exist from the start, so a first failure is a change from 0 an alert can see.
    this.reloads.inc({ result: 'success' }, 0);
    this.reloads.inc({ result: 'failure' }, 0);
  }

  count(result: ReloadResult): void {
    this.reloads.inc({ result });
  }
}
