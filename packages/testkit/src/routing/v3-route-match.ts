import { type Problems, SimulationError } from './errors';
import { compileHeaderMatchers } from './header-match';
import { compilePathMatcher, type PathSpecifier } from './path-match';
import {
  arrayField,
  boolField,
  field,
  fractionalPercent,
  fractionOf,
  objectField,
  oneofMember,
  stringField,
  type JsonObject,
} from './proto-fields';
import { compileQueryMatchers } from './query-match';
import type { RequestView } from './request';

export type MatchRules = 'envoy' | 'grpc-js' | 'grpc-core';

/** A route's condition, and the part of `:path` it matched (for `prefix_rewrite`). */
export interface RouteCondition {
  matches(request: RequestView): boolean;
  matchedLength(request: RequestView): number;
}

const PATH_SPECIFIERS = [
  'prefix',
  'path',
  'safe_regex',
  'path_separated_prefix',
  'connect_matcher',
  'path_match_policy',
] as const;

/**
 * An envoy.config.route.v3.RouteMatch as one client evaluates it: the path specifier (Envoy knows
 * them all; the gRPC clients only prefix, path and safe_regex and refuse others), `case_sensitive`,
 * header matchers, query parameters (grpc-js drops the condition; C-core ignores such routes, which
 * the caller handles), `grpc: {}` (Envoy: a gRPC content-type) and `runtime_fraction`, simulated only
 * when it makes the match certain (0 % or 100 %).
 */
export function compileRouteMatch(
  match: JsonObject,
  rules: MatchRules,
  path: string,
  problems: Problems,
): RouteCondition {
  const never: RouteCondition = { matches: () => false, matchedLength: () => 0 };
  const specifier = oneofMember(match, PATH_SPECIFIERS);
  if (specifier === undefined) {
    problems.add(path, 'a route match needs a path specifier (prefix, path, safe_regex…)');
    return never;
  }
  if (specifier === 'connect_matcher' || specifier === 'path_match_policy') {
    if (rules !== 'envoy')
      problems.add(`${path}.${specifier}`, `${rules} does not support this path specifier`);
    else throw new SimulationError(`${path}.${specifier}`, 'not simulated');
    return never;
  }
  if (specifier === 'path_separated_prefix' && rules !== 'envoy') {
    problems.add(`${path}.${specifier}`, `${rules} does not support this path specifier`);
    return never;
  }
  const spec = pathSpecifier(match, specifier, path);
  const caseSensitive = boolField(match, 'case_sensitive', path) ?? true;
  const pathMatcher = compilePathMatcher(spec, caseSensitive, rules);
  if ('error' in pathMatcher) {
    problems.add(`${path}.${specifier}`, pathMatcher.error);
    return never;
  }
  const headers = compileHeaderMatchers(
    arrayField(match, 'headers', path),
    rules,
    `${path}.headers`,
    problems,
  );
  // grpc-js-xds never reads query_parameters: the route matches as if the condition were absent.
  const query =
    rules === 'envoy'
      ? compileQueryMatchers(
          arrayField(match, 'query_parameters', path),
          `${path}.query_parameters`,
          problems,
        )
      : () => true;
  const grpcOnly = rules === 'envoy' && field(match, 'grpc') !== undefined;
  const chance = runtimeFraction(match, path);
  if (rules === 'envoy') unsimulatedConditions(match, path);
  return {
    matches: (request) =>
      chance &&
      pathMatcher.matches(request) &&
      headers(request) &&
      query(request) &&
      (!grpcOnly || isGrpcContentType(request.values('content-type')[0])),
    matchedLength: (request) => pathMatcher.matchedLength(request),
  };
}

function pathSpecifier(
  match: JsonObject,
  specifier: 'prefix' | 'path' | 'safe_regex' | 'path_separated_prefix',
  path: string,
): PathSpecifier {
  switch (specifier) {
    case 'prefix':
      return { kind: 'prefix', value: stringField(match, 'prefix', path) ?? '' };
    case 'path':
      return { kind: 'path', value: stringField(match, 'path', path) ?? '' };
    case 'path_separated_prefix':
      return { kind: 'separated-prefix', value: stringField(match, 'path_separated_prefix', path) ?? '' };
    case 'safe_regex':
      return {
        kind: 'regex',
        value: stringField(objectField(match, 'safe_regex', path) ?? {}, 'regex', `${path}.safe_regex`) ?? '',
      };
  }
}

/** Envoy's `Grpc::Common::isGrpcRequestHeaders`: `application/grpc`, optionally followed by `+…` or `;…`. */
function isGrpcContentType(value: string | undefined): boolean {
  return value !== undefined && /^application\/grpc(?:$|[+;])/.test(value);
}

/** Whether a `runtime_fraction` lets the route match: only a certain answer can be simulated. */
function runtimeFraction(match: JsonObject, path: string): boolean {
  const runtime = objectField(match, 'runtime_fraction', path);
  const defaultValue = runtime && field(runtime, 'default_value');
  if (defaultValue === undefined) return true;
  const fraction = fractionOf(fractionalPercent(defaultValue, `${path}.runtime_fraction.default_value`));
  if (fraction === 0) return false;
  if (fraction === 1) return true;
  throw new SimulationError(
    `${path}.runtime_fraction`,
    `a route matched by chance (${fraction * 100} %) is not simulated`,
  );
}

function unsimulatedConditions(match: JsonObject, path: string): void {
  for (const name of ['tls_context', 'dynamic_metadata', 'filter_state', 'cookies']) {
    const value = field(match, name);
    if (value !== undefined && !(Array.isArray(value) && value.length === 0)) {
      throw new SimulationError(`${path}.${name}`, 'this route condition is not simulated');
    }
  }
}
