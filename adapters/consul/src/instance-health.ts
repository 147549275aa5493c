import type { Health } from '@sextant/core';
import type { HealthRule } from './options';

/** An instance's state by all of its checks: the worst one wins; no checks at all is passing. */
export type CheckState = 'passing' | 'warning' | 'critical';

/**
 * The aggregate Consul's `?passing` uses, extended to warnings: any check `critical` (maintenance
 * mode is a critical check) makes the instance critical; else any `warning` makes it warning. A
 * status Consul does not define counts as critical, as an unknown state must not attract traffic.
 */
export function checkState(statuses: readonly string[]): CheckState {
  let state: CheckState = 'passing';
  for (const status of statuses) {
    if (status === 'passing') continue;
    if (status === 'warning') state = 'warning';
    else return 'critical';
  }
  return state;
}

/** Whether an instance in `state` serves traffic under `rule`. */
export function healthOf(state: CheckState, rule: HealthRule): Health {
  if (state === 'passing') return 'healthy';
  if (state === 'warning' && rule === 'passing-or-warning') return 'healthy';
  return 'unhealthy';
}
