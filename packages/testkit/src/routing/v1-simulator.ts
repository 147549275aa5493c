import { domainProblems } from './domain-match';
import { Problems, SimulationError } from './errors';
import { compileV1HeaderMatchers } from './header-match';
import type { ClusterShare, RetryOutcome, SimOutcome } from './outcome';
import { compilePathMatcher, type PathSpecifier } from './path-match';
import {
  arrayField,
  asObject,
  boolField,
  field,
  objectField,
  stringField,
  stringsField,
  uintField,
  type JsonObject,
} from './proto-fields';
import { compileV1QueryMatchers } from './query-match';
import { requestView, type RequestView, type SimRequest } from './request';
import {
  matchedRoute,
  routeRequest,
  type CompiledRoute,
  type CompiledVirtualHost,
  type MatchedRoute,
} from './route-table';
import { v1FaultFilters, v1Faults, type V1FaultFilter } from './v1-faults';

export interface SimulateV1Options {
  /**
   * The LDS listener the request arrives on (one element of `listeners`). Its http_connection_manager's
   * `fault` filters, which v1 keys by upstream cluster and headers rather than by route, are applied.
   */
  readonly listener?: unknown;
}

/** Envoy v1's route timeout when `timeout_ms` is absent. */
const DEFAULT_TIMEOUT_MS = 15_000;

/**
 * Routes `request` through an Envoy v1 RDS answer (`{ virtual_hosts: [...] }`) as Envoy 1.5 did.
 * An `invalid` outcome lists the routing problems for which Envoy would discard the answer; the
 * full schema check is `envoyV1Problems('rds', body)` from `@sextant/testkit/envoy-v1`.
 */
export function simulateV1(rds: unknown, request: SimRequest, options: SimulateV1Options = {}): SimOutcome {
  const view = requestView(request, { method: 'GET' });
  const problems = new Problems();
  const faults =
    options.listener === undefined ? [] : v1FaultFilters(asObject(options.listener, 'listener'), problems);
  const config = asObject(rds, 'rds');
  const hosts = arrayField(config, 'virtual_hosts', 'rds').map((item, index): CompiledVirtualHost => {
    const path = `virtual_hosts[${index}]`;
    const host = asObject(item, path);
    const name = stringField(host, 'name', path) ?? '';
    const routes = arrayField(host, 'routes', path).map((route, routeIndex) => {
      const routePath = `${path}.routes[${routeIndex}]`;
      const object = asObject(route, routePath);
      // Pilot named each route by its rule through the tracing decorator.
      const operation = stringField(
        objectField(object, 'decorator', routePath) ?? {},
        'operation',
        `${routePath}.decorator`,
      );
      return compileRoute(object, matchedRoute(name, routeIndex, operation), faults, routePath, problems);
    });
    return { name, domains: stringsField(host, 'domains', path), routes };
  });
  for (const problem of domainProblems(hosts, 'envoy-v1')) problems.add('virtual_hosts', problem);
  if (problems.all.length > 0) return { kind: 'invalid', reasons: problems.all };
  return routeRequest(hosts, 'envoy-v1', view);
}

const PATH_KINDS = ['prefix', 'path', 'regex'] as const;

function compileRoute(
  route: JsonObject,
  matched: MatchedRoute,
  faults: readonly V1FaultFilter[],
  path: string,
  problems: Problems,
): CompiledRoute {
  const kinds = PATH_KINDS.filter((kind) => field(route, kind) !== undefined);
  if (kinds.length !== 1) problems.add(path, 'needs exactly one of prefix, path and regex');
  const kind = kinds[0] ?? 'prefix';
  const spec: PathSpecifier = { kind, value: stringField(route, kind, path) ?? '' };
  const pathMatcher = compilePathMatcher(spec, boolField(route, 'case_sensitive', path) ?? true, 'envoy-v1');
  if ('error' in pathMatcher) problems.add(`${path}.${kind}`, pathMatcher.error);
  const headers = compileV1HeaderMatchers(arrayField(route, 'headers', path), `${path}.headers`, problems);
  const query = compileV1QueryMatchers(
    arrayField(route, 'query_parameters', path),
    `${path}.query_parameters`,
    problems,
  );
  const chance = runtimeGate(route, path);
  const action = compileAction(route, matched, faults, path, problems);
  return {
    index: matched.route.index,
    matches: (request) =>
      chance &&
      !('error' in pathMatcher) &&
      pathMatcher.matches(request) &&
      headers(request) &&
      query(request),
    outcome: (request) => action(request, 'error' in pathMatcher ? 0 : pathMatcher.matchedLength(request)),
  };
}

/** `runtime: { key, default }` lets `default` percent of requests match; only 0 and 100 are certain. */
function runtimeGate(route: JsonObject, path: string): boolean {
  const runtime = objectField(route, 'runtime', path);
  if (!runtime) return true;
  const percent = uintField(runtime, 'default', `${path}.runtime`) ?? 0;
  if (percent === 0) return false;
  if (percent >= 100) return true;
  throw new SimulationError(`${path}.runtime`, `a route matched by chance (${percent} %) is not simulated`);
}

function compileAction(
  route: JsonObject,
  matched: MatchedRoute,
  faults: readonly V1FaultFilter[],
  path: string,
  problems: Problems,
): (request: RequestView, matchedLength: number) => SimOutcome {
  const hostRedirect = stringField(route, 'host_redirect', path);
  const pathRedirect = stringField(route, 'path_redirect', path);
  const targets = ['cluster', 'cluster_header', 'weighted_clusters'].filter(
    (name) => field(route, name) !== undefined,
  );
  if (hostRedirect !== undefined || pathRedirect !== undefined) {
    if (targets.length > 0) problems.add(path, 'a redirect cannot also name a cluster');
    // Envoy 1.5 `RouteEntryImplBase::newPath`: 301 to the same scheme, new host and/or path.
    return (request) => ({
      kind: 'redirect',
      ...matched,
      status: 301,
      location: `${request.scheme}://${hostRedirect ?? request.authority}${pathRedirect ?? request.path}`,
    });
  }
  if (targets.length !== 1)
    problems.add(path, 'needs exactly one of cluster, cluster_header and weighted_clusters, or a redirect');
  const clusters = clusterTargets(route, path, problems);
  const totalWeight = clusters.reduce((sum, target) => sum + target.weight, 0);
  const timeoutMs = uintField(route, 'timeout_ms', path) ?? DEFAULT_TIMEOUT_MS;
  const retryPolicy = objectField(route, 'retry_policy', path);
  const retry = retryPolicy && v1Retry(retryPolicy, `${path}.retry_policy`);
  const prefixRewrite = stringField(route, 'prefix_rewrite', path);
  const hostRewrite = stringField(route, 'host_rewrite', path);
  const shadow = objectField(route, 'shadow', path);
  const hashHeader = stringField(
    objectField(route, 'hash_policy', path) ?? {},
    'header_name',
    `${path}.hash_policy`,
  );
  return (request, matchedLength) => {
    const shares: ClusterShare[] = clusters.map(({ name, header, weight }) => {
      const cluster = name ?? request.values(header ?? '')[0] ?? '';
      return {
        name: cluster,
        weight,
        fraction: weight / totalWeight,
        faults: v1Faults(faults, request, cluster),
      };
    });
    const rewrittenPath =
      prefixRewrite !== undefined ? prefixRewrite + request.path.slice(matchedLength) : undefined;
    return {
      kind: 'route',
      ...matched,
      clusters: shares,
      totalWeight,
      ...(timeoutMs > 0 ? { timeoutMs } : {}),
      ...(retry ? { retry } : {}),
      ...(rewrittenPath !== undefined || hostRewrite !== undefined
        ? {
            rewrite: {
              ...(rewrittenPath !== undefined ? { path: rewrittenPath } : {}),
              ...(hostRewrite !== undefined ? { authority: hostRewrite } : {}),
            },
          }
        : {}),
      // A shadow with a runtime key mirrors that key's share, 0 when the runtime does not set it.
      ...(shadow
        ? {
            mirrors: [
              {
                cluster: stringField(shadow, 'cluster', `${path}.shadow`) ?? '',
                fraction: field(shadow, 'runtime_key') ? 0 : 1,
              },
            ],
          }
        : {}),
      ...(hashHeader !== undefined
        ? { hashPolicy: [{ kind: 'header', name: hashHeader, terminal: false }] }
        : {}),
    };
  };
}

type V1Target = { name?: string; header?: string; weight: number };

/** A single cluster (weight 1 of 1), or weighted clusters: integer percents that must sum to exactly 100. */
function clusterTargets(route: JsonObject, path: string, problems: Problems): V1Target[] {
  const cluster = stringField(route, 'cluster', path);
  if (cluster !== undefined) return [{ name: cluster, weight: 1 }];
  const header = stringField(route, 'cluster_header', path);
  if (header !== undefined) return [{ header: header.toLowerCase(), weight: 1 }];
  const weighted = objectField(route, 'weighted_clusters', path);
  if (!weighted) return [];
  const targets = arrayField(weighted, 'clusters', `${path}.weighted_clusters`).map((item, index) => {
    const entryPath = `${path}.weighted_clusters.clusters[${index}]`;
    const entry = asObject(item, entryPath);
    const weight = uintField(entry, 'weight', entryPath) ?? 0;
    if (weight > 100) problems.add(`${entryPath}.weight`, `${weight} is over 100`);
    return { name: stringField(entry, 'name', entryPath) ?? '', weight };
  });
  const sum = targets.reduce((total, target) => total + target.weight, 0);
  if (sum !== 100) problems.add(`${path}.weighted_clusters`, `the weights sum to ${sum}, not 100`);
  return targets;
}

/** `retry_policy: { retry_on, num_retries (default 1), per_try_timeout_ms }`. */
function v1Retry(policy: JsonObject, path: string): RetryOutcome {
  const perTry = uintField(policy, 'per_try_timeout_ms', path);
  return {
    retryOn: (stringField(policy, 'retry_on', path) ?? '')
      .split(',')
      .map((token) => token.trim())
      .filter((token) => token !== ''),
    numRetries: uintField(policy, 'num_retries', path) ?? 1,
    ...(perTry ? { perTryTimeoutMs: perTry } : {}),
  };
}
