import type { SharedTokenBucket } from '@sextant/adapter-kit';
import type { Logger } from '@sextant/core';
import { BlockingWatch } from './blocking-watch';
import type { ConsulApi } from './consul-api';
import type { FaultGate } from './fault-gate';
import type { HealthRule } from './options';

/** Where a check that changed state belongs: its service, or (a node check) every service on the node. */
export interface ChangedCheck {
  readonly node: string;
  /** `""` for a node-level check. */
  readonly service: string;
}

export interface AcceleratorOptions {
  readonly datacenter: string;
  readonly api: ConsulApi;
  readonly gate: FaultGate;
  readonly health: HealthRule;
  readonly waitMs: number;
  readonly rateLimit: SharedTokenBucket;
  readonly logger: Logger;
  /** Checks that entered or left a non-passing state since the last answer. */
  readonly onChanged: (checks: readonly ChangedCheck[]) => void;
}

/**
 * Learns which services' health changed, so their watches can go first when they are rotating
 * through scarce request slots (docs/adapters/consul.md). It blocks on the list of checks that are
 * not passing (`/v1/health/state/critical`, and `/warning` when warnings make instances unhealthy):
 * one small answer per change anywhere in the datacenter. A check that appears in or disappears
 * from a list names its service, or its node. It only speeds things up: registrations and
 * deregistrations of passing instances are not in these lists, and the rotation still finds them.
 */
export class HealthAccelerator {
  private readonly watches: BlockingWatch<unknown[]>[];

  constructor(options: AcceleratorOptions, parent: AbortSignal) {
    const states: ('critical' | 'warning')[] =
      options.health === 'passing' ? ['critical', 'warning'] : ['critical'];
    this.watches = states.map((state) => {
      let known: Map<string, ChangedCheck> | undefined;
      return new BlockingWatch<unknown[]>(
        {
          name: `${options.datacenter} health state ${state}`,
          fetch: (index, waitMs, signal) =>
            options.api.healthState(state, { datacenter: options.datacenter, index, waitMs, signal }),
          onAnswer: (body) => {
            const now = checksByKey(body);
            if (known) {
              const changed = [...now].filter(([key]) => !known?.has(key)).map(([, check]) => check);
              for (const [key, check] of known) if (!now.has(key)) changed.push(check);
              if (changed.length > 0) options.onChanged(changed);
            }
            known = now;
          },
          gate: options.gate,
          waitMs: () => options.waitMs,
          rateLimit: options.rateLimit,
          logger: options.logger,
        },
        parent,
      );
    });
  }

  start(): this {
    for (const watch of this.watches) watch.start();
    return this;
  }

  async stop(): Promise<void> {
    for (const watch of this.watches) watch.cancel();
    await Promise.all(this.watches.map((watch) => watch.done));
  }

  resync(): void {
    for (const watch of this.watches) watch.resync();
  }
}

function checksByKey(body: readonly unknown[]): Map<string, ChangedCheck> {
  const checks = new Map<string, ChangedCheck>();
  for (const item of body) {
    if (typeof item !== 'object' || item === null) continue;
    const check = item as Record<string, unknown>;
    const node = typeof check.Node === 'string' ? check.Node : '';
    const service = typeof check.ServiceName === 'string' ? check.ServiceName : '';
    checks.set(`${node}\u0000${String(check.CheckID)}\u0000${String(check.Status)}`, { node, service });
  }
  return checks;
}
