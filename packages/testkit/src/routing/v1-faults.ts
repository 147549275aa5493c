import { type Problems, SimulationError } from './errors';
import { compileV1HeaderMatchers, type RequestTest } from './header-match';
import type { FaultOutcome } from './outcome';
import {
  arrayField,
  asObject,
  objectField,
  stringField,
  stringsField,
  uintField,
  type JsonObject,
} from './proto-fields';
import type { RequestView } from './request';

/** An Envoy v1 `fault` HTTP filter, read. */
export interface V1FaultFilter {
  readonly name: string;
  readonly abort?: { readonly percent: number; readonly httpStatus: number };
  readonly delay?: { readonly percent: number; readonly ms: number };
  readonly upstreamCluster: string;
  readonly headers: RequestTest;
  readonly downstreamNodes: readonly string[];
}

const HCM_NAMES = ['http_connection_manager', 'envoy.http_connection_manager'];
const FAULT_NAMES = ['fault', 'envoy.fault'];
const ROUTER_NAMES = ['router', 'envoy.router'];

/**
 * The `fault` filters of a v1 LDS listener's http_connection_manager that run before its router,
 * in order: Pilot put one per (route, cluster) there, keyed by `upstream_cluster` and the route's
 * header matchers (not its path), so they apply to every route with those headers and that cluster.
 * The schema asks for `abort {abort_percent, http_status}` and/or `delay {type: "fixed",
 * fixed_delay_percent, fixed_duration_ms}`.
 */
export function v1FaultFilters(listener: JsonObject, problems: Problems): V1FaultFilter[] {
  const manager = arrayField(listener, 'filters', 'listener')
    .map((item, index) => ({ filter: asObject(item, `listener.filters[${index}]`), index }))
    .find(({ filter }) => HCM_NAMES.includes(stringField(filter, 'name', 'listener.filters') ?? ''));
  if (!manager) throw new SimulationError('listener.filters', 'no http_connection_manager filter');
  const managerPath = `listener.filters[${manager.index}].config`;
  const config = objectField(manager.filter, 'config', `listener.filters[${manager.index}]`) ?? {};
  const faults: V1FaultFilter[] = [];
  for (const [index, item] of arrayField(config, 'filters', managerPath).entries()) {
    const path = `${managerPath}.filters[${index}]`;
    const filter = asObject(item, path);
    const name = stringField(filter, 'name', path) ?? '';
    if (ROUTER_NAMES.includes(name)) break; // the router ends the chain: nothing after it runs
    if (!FAULT_NAMES.includes(name)) continue;
    faults.push(readFault(name, objectField(filter, 'config', path) ?? {}, `${path}.config`, problems));
  }
  return faults;
}

function readFault(name: string, config: JsonObject, path: string, problems: Problems): V1FaultFilter {
  const abortConfig = objectField(config, 'abort', path);
  const delayConfig = objectField(config, 'delay', path);
  if (!abortConfig && !delayConfig) problems.add(path, 'a fault filter needs abort and/or delay');
  const required = (object: JsonObject, field: string, at: string): number => {
    const value = uintField(object, field, at);
    if (value === undefined) problems.add(`${at}.${field}`, 'is required');
    return value ?? 0;
  };
  let abort: V1FaultFilter['abort'];
  if (abortConfig) {
    abort = {
      percent: required(abortConfig, 'abort_percent', `${path}.abort`),
      httpStatus: required(abortConfig, 'http_status', `${path}.abort`),
    };
  }
  let delay: V1FaultFilter['delay'];
  if (delayConfig) {
    if (stringField(delayConfig, 'type', `${path}.delay`) !== 'fixed')
      problems.add(`${path}.delay.type`, 'must be "fixed"');
    delay = {
      percent: required(delayConfig, 'fixed_delay_percent', `${path}.delay`),
      ms: required(delayConfig, 'fixed_duration_ms', `${path}.delay`),
    };
  }
  return {
    name,
    ...(abort ? { abort } : {}),
    ...(delay ? { delay } : {}),
    upstreamCluster: stringField(config, 'upstream_cluster', path) ?? '',
    headers: compileV1HeaderMatchers(arrayField(config, 'headers', path), `${path}.headers`, problems),
    downstreamNodes: stringsField(config, 'downstream_nodes', path),
  };
}

/**
 * The faults v1 filters inject into a request bound for `cluster` (Envoy 1.5 `FaultFilter`): a
 * filter acts when its `upstream_cluster` is unset or names the routed cluster, the
 * `x-envoy-downstream-service-node` header is listed in `downstream_nodes` (when given), and its
 * headers match. Percentages are integers out of 100.
 */
export function v1Faults(
  filters: readonly V1FaultFilter[],
  request: RequestView,
  cluster: string,
): FaultOutcome[] {
  return filters.flatMap((filter): FaultOutcome[] => {
    if (filter.upstreamCluster !== '' && filter.upstreamCluster !== cluster) return [];
    const node = request.values('x-envoy-downstream-service-node')[0];
    if (filter.downstreamNodes.length > 0 && (node === undefined || !filter.downstreamNodes.includes(node)))
      return [];
    if (!filter.headers(request)) return [];
    const abort =
      filter.abort && filter.abort.percent > 0
        ? { httpStatus: filter.abort.httpStatus, fraction: Math.min(filter.abort.percent, 100) / 100 }
        : undefined;
    const delay =
      filter.delay && filter.delay.percent > 0
        ? { ms: filter.delay.ms, fraction: Math.min(filter.delay.percent, 100) / 100 }
        : undefined;
    if (!abort && !delay) return [];
    return [{ filter: filter.name, ...(delay ? { delay } : {}), ...(abort ? { abort } : {}) }];
  });
}
