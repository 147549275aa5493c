import { domainProblems } from './domain-match';
import { Problems, SimulationError } from './errors';
import {
  envoyFaultFilters,
  parseFilterOverrides,
  type FaultFilter,
  type FilterOverrides,
} from './http-filters';
import type { SimOutcome } from './outcome';
import {
  arrayField,
  asObject,
  field,
  objectField,
  stringField,
  stringsField,
  type JsonObject,
} from './proto-fields';
import { requestView, type SimRequest } from './request';
import { matchedRoute, routeRequest, type CompiledRoute, type CompiledVirtualHost } from './route-table';
import { compileEnvoyAction, type EnvoyRouteContext } from './v3-route-action';
import { compileRouteMatch } from './v3-route-match';

export interface SimulateV3Options {
  /**
   * The HttpConnectionManager's `http_filters`. A fault only applies when an HTTPFault filter runs
   * before the router; without this list, every filter name that carries an HTTPFault in the route
   * table is taken to be one (as istiod and Sextant set them up).
   */
  readonly httpFilters?: readonly unknown[];
}

/**
 * Routes `request` through an Envoy v3 RouteConfiguration (proto3 JSON or protobufjs objects), as
 * Envoy's router does. An `invalid` outcome lists why Envoy would reject the whole table.
 */
export function simulateV3(
  routeConfiguration: unknown,
  request: SimRequest,
  options: SimulateV3Options = {},
): SimOutcome {
  const view = requestView(request, { method: 'GET' });
  const problems = new Problems();
  const hosts = compileRouteConfiguration(
    asObject(routeConfiguration, 'route_configuration'),
    options,
    problems,
  );
  if (problems.all.length > 0) return { kind: 'invalid', reasons: problems.all };
  return routeRequest(hosts, 'envoy', view);
}

function compileRouteConfiguration(
  config: JsonObject,
  options: SimulateV3Options,
  problems: Problems,
): CompiledVirtualHost[] {
  const faultNames = new Set<string>();
  const filterOverrides = (object: JsonObject, path: string): FilterOverrides => {
    const overrides = parseFilterOverrides(object, path, 'envoy', problems);
    for (const [name, entry] of overrides) if (entry.fault) faultNames.add(name);
    return overrides;
  };
  let faultFilters: readonly FaultFilter[] = [];
  const tableOverrides = filterOverrides(config, 'route_configuration');
  const hosts = arrayField(config, 'virtual_hosts', 'route_configuration').map((item, index) => {
    const path = `virtual_hosts[${index}]`;
    const host = asObject(item, path);
    const name = stringField(host, 'name', path) ?? '';
    if (name === '') problems.add(`${path}.name`, 'must not be empty');
    const context: EnvoyRouteContext = {
      faultFilters: () => faultFilters,
      outerOverrides: [filterOverrides(host, path), tableOverrides],
      virtualHostMirrors: arrayField(host, 'request_mirror_policies', path),
      filterOverrides,
      virtualHostRetry: objectField(host, 'retry_policy', path),
    };
    return compileVirtualHost(host, name, context, path, problems);
  });
  // Known once every per-filter config has been read.
  faultFilters = envoyFaultFilters(options.httpFilters, () => faultNames, problems);
  for (const problem of domainProblems(hosts, 'envoy')) problems.add('virtual_hosts', problem);
  return hosts;
}

function compileVirtualHost(
  host: JsonObject,
  name: string,
  context: EnvoyRouteContext,
  path: string,
  problems: Problems,
): CompiledVirtualHost {
  if (field(host, 'matcher') !== undefined)
    throw new SimulationError(`${path}.matcher`, 'match trees are not simulated');
  const routes = arrayField(host, 'routes', path).map((item, index): CompiledRoute => {
    const routePath = `${path}.routes[${index}]`;
    const route = asObject(item, routePath);
    const routeName = stringField(route, 'name', routePath) || undefined;
    const match = objectField(route, 'match', routePath);
    if (!match) problems.add(`${routePath}.match`, 'is required');
    const condition = compileRouteMatch(match ?? {}, 'envoy', `${routePath}.match`, problems);
    const matched = matchedRoute(name, index, routeName);
    const action = compileEnvoyAction(route, context, matched, routePath, problems);
    return {
      index,
      ...(routeName ? { name: routeName } : {}),
      matches: (request) => condition.matches(request),
      outcome: (request) => action(request, condition.matchedLength(request)),
    };
  });
  return { name, domains: stringsField(host, 'domains', path), routes };
}
