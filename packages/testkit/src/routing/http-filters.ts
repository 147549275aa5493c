import type { Problems } from './errors';
import { HTTP_FAULT_TYPE, injectedFault, parseHttpFault, type FaultConfig } from './fault';
import type { FaultOutcome } from './outcome';
import {
  anyTypeName,
  asObject,
  boolField,
  field,
  mapEntries,
  stringField,
  type JsonObject,
} from './proto-fields';
import type { RequestView } from './request';

const ROUTER_TYPE = 'envoy.extensions.filters.http.router.v3.Router';
const FILTER_CONFIG_TYPE = 'envoy.config.route.v3.FilterConfig';

/** A `typed_per_filter_config` entry, read: an explicit on/off switch and/or a fault config. */
export interface FilterOverride {
  readonly disabled?: boolean;
  readonly fault?: FaultConfig;
}

export type FilterOverrides = ReadonlyMap<string, FilterOverride>;

/**
 * The `typed_per_filter_config` of a route table, virtual host, route or weighted cluster. A
 * FilterConfig wrapper carries `disabled` and `is_optional` around the config. Envoy ignores
 * configs of filters it does not simulate here; a gRPC client NACKs a config whose type it does not
 * know unless it is optional, and (grpc-js) a FilterConfig without a config.
 */
export function parseFilterOverrides(
  object: JsonObject,
  path: string,
  rules: 'envoy' | 'grpc',
  problems: Problems,
): FilterOverrides {
  const overrides = new Map<string, FilterOverride>();
  for (const [name, value] of mapEntries(object, 'typed_per_filter_config', path)) {
    const entryPath = `${path}.typed_per_filter_config[${JSON.stringify(name)}]`;
    let config: unknown = value;
    let optional = false;
    let disabled: boolean | undefined;
    if (anyTypeName(value, entryPath) === FILTER_CONFIG_TYPE) {
      const wrapper = asObject(value, entryPath);
      optional = boolField(wrapper, 'is_optional', entryPath) ?? false;
      disabled = boolField(wrapper, 'disabled', entryPath);
      config = field(wrapper, 'config');
      if (config === undefined) {
        if (rules === 'grpc' && !optional) problems.add(entryPath, 'a FilterConfig without config');
        overrides.set(name, disabled === undefined ? {} : { disabled });
        continue;
      }
    }
    const configPath = config === value ? entryPath : `${entryPath}.config`;
    const type = anyTypeName(config, configPath);
    if (type === HTTP_FAULT_TYPE) {
      const fault = parseHttpFault(asObject(config, configPath), rules, configPath, problems);
      overrides.set(name, { ...(disabled === undefined ? {} : { disabled }), fault });
    } else {
      if (rules === 'grpc' && !optional)
        problems.add(configPath, `no gRPC client filter for config type ${type}`);
      overrides.set(name, disabled === undefined ? {} : { disabled });
    }
  }
  return overrides;
}

/** One fault filter of an HTTP connection manager, in chain order. */
export interface FaultFilter {
  readonly name: string;
  readonly config?: FaultConfig;
  readonly disabled: boolean;
}

/**
 * The fault filters an Envoy HttpConnectionManager runs before its router, from its `http_filters`.
 * Envoy refuses a chain whose router is not last. Without `http_filters` (undefined), every
 * filter name that carries an HTTPFault somewhere in the route table is taken to be a fault filter
 * with an empty top-level config, as istiod and Sextant configure it.
 */
export function envoyFaultFilters(
  httpFilters: readonly unknown[] | undefined,
  overrideNames: () => Iterable<string>,
  problems: Problems,
): FaultFilter[] {
  if (httpFilters === undefined)
    return [...new Set(overrideNames())].sort().map((name) => ({ name, disabled: false }));
  const filters: FaultFilter[] = [];
  httpFilters.forEach((item, index) => {
    const path = `http_filters[${index}]`;
    const filter = asObject(item, path);
    const name = stringField(filter, 'name', path) ?? '';
    const typedConfig = field(filter, 'typed_config');
    const type = typedConfig === undefined ? undefined : anyTypeName(typedConfig, `${path}.typed_config`);
    if (type === ROUTER_TYPE || name === 'envoy.filters.http.router') {
      if (index !== httpFilters.length - 1)
        problems.add(path, 'the router filter must be the last HTTP filter');
      return;
    }
    if (type !== HTTP_FAULT_TYPE) return;
    const config = parseHttpFault(
      asObject(typedConfig, `${path}.typed_config`),
      'envoy',
      `${path}.typed_config`,
      problems,
    );
    filters.push({ name, config, disabled: boolField(filter, 'disabled', path) ?? false });
  });
  return filters;
}

/**
 * The faults injected into a request bound for `cluster`. `levels` are the per-filter configs from
 * the most specific (the weighted cluster) to the least; the most specific config of a filter
 * replaces its top-level config entirely (Envoy `resolveMostSpecificPerFilterConfig`, gRFC A39),
 * and the most specific explicit `disabled` decides whether it runs.
 */
export function appliedFaults(
  filters: readonly FaultFilter[],
  levels: readonly FilterOverrides[],
  request: RequestView,
  cluster: string,
  rules: 'envoy' | 'grpc',
): FaultOutcome[] {
  const faults: FaultOutcome[] = [];
  for (const filter of filters) {
    const entries = levels.map((level) => level.get(filter.name)).filter((entry) => entry !== undefined);
    const disabled = entries.find((entry) => entry.disabled !== undefined)?.disabled ?? filter.disabled;
    if (disabled) continue;
    const config = entries.find((entry) => entry.fault !== undefined)?.fault ?? filter.config;
    const fault = config && injectedFault(filter.name, config, request, cluster, rules);
    if (fault) faults.push(fault);
  }
  return faults;
}
