import { type Problems, SimulationError } from './errors';
import { appliedFaults, type FaultFilter, type FilterOverrides } from './http-filters';
import { hashPolicies } from './hash-policy';
import type { ClusterShare, RetryOutcome, SimOutcome } from './outcome';
import {
  arrayField,
  asObject,
  durationField,
  field,
  fractionalPercent,
  fractionOf,
  objectField,
  oneofMember,
  stringField,
  uintField,
  type JsonObject,
} from './proto-fields';
import { envoyRedirect, regexRewrite } from './rewrite';
import type { RequestView } from './request';
import type { MatchedRoute as Matched } from './route-table';

const UINT32_MAX = 0xffffffff;
/** Envoy's route timeout when `timeout` is unset (`DEFAULT_ROUTE_TIMEOUT_MS`). */
const DEFAULT_TIMEOUT_MS = 15_000;

/** What a route inherits from its virtual host and route table. */
export interface EnvoyRouteContext {
  /** The fault filters of the connection manager; known once the whole table is read. */
  readonly faultFilters: () => readonly FaultFilter[];
  /** Per-filter configs of the virtual host, then of the route table. */
  readonly outerOverrides: readonly FilterOverrides[];
  readonly virtualHostRetry: JsonObject | undefined;
  readonly virtualHostMirrors: readonly unknown[];
  /** Reads the `typed_per_filter_config` of a route or weighted cluster (and notes the fault filters it names). */
  readonly filterOverrides: (object: JsonObject, path: string) => FilterOverrides;
}

/**
 * What an Envoy v3 route does with a request it matched (`Route.action`): forward (`route`),
 * `redirect` or `direct_response`. `matched` names the route in the outcome; `matchedLength` is
 * how much of `:path` its match covered (for `prefix_rewrite`).
 */
export function compileEnvoyAction(
  route: JsonObject,
  context: EnvoyRouteContext,
  matched: Matched,
  path: string,
  problems: Problems,
): (request: RequestView, matchedLength: number) => SimOutcome {
  const routeOverrides = context.filterOverrides(route, path);
  const action = oneofMember(route, [
    'route',
    'redirect',
    'direct_response',
    'filter_action',
    'non_forwarding_action',
  ] as const);
  switch (action) {
    case undefined:
      problems.add(path, 'a route needs an action (route, redirect or direct_response)');
      return () => ({ kind: 'invalid', reasons: problems.all });
    case 'filter_action':
    case 'non_forwarding_action':
      throw new SimulationError(`${path}.${action}`, 'not simulated');
    case 'redirect': {
      const redirect = envoyRedirect(
        asObject(field(route, 'redirect'), `${path}.redirect`),
        `${path}.redirect`,
        problems,
      );
      return (request, matchedLength) => ({
        kind: 'redirect',
        ...matched,
        ...redirect(request, matchedLength),
      });
    }
    case 'direct_response':
      return directResponse(
        asObject(field(route, 'direct_response'), `${path}.direct_response`),
        matched,
        `${path}.direct_response`,
        problems,
      );
    case 'route':
      return forward(
        asObject(field(route, 'route'), `${path}.route`),
        routeOverrides,
        context,
        matched,
        `${path}.route`,
        problems,
      );
  }
}

function forward(
  action: JsonObject,
  routeOverrides: FilterOverrides,
  context: EnvoyRouteContext,
  matched: Matched,
  path: string,
  problems: Problems,
): (request: RequestView, matchedLength: number) => SimOutcome {
  const targets = clusterTargets(action, context, path, problems);
  const totalWeight = targets.reduce((sum, target) => sum + target.weight, 0);
  const timeout = durationField(action, 'timeout', path) ?? DEFAULT_TIMEOUT_MS;
  const maxStream = objectField(action, 'max_stream_duration', path);
  const maxStreamMs =
    maxStream && durationField(maxStream, 'max_stream_duration', `${path}.max_stream_duration`);
  const retryPolicy = objectField(action, 'retry_policy', path) ?? context.virtualHostRetry;
  const retry = retryPolicy && envoyRetry(retryPolicy, `${path}.retry_policy`, problems);
  const rewrite = pathRewrite(action, path, problems);
  const authority = stringField(action, 'host_rewrite_literal', path) || undefined;
  const routeMirrors = arrayField(action, 'request_mirror_policies', path);
  const mirrors = mirrorPolicies(routeMirrors.length > 0 ? routeMirrors : context.virtualHostMirrors, path);
  const hashPolicy = hashPolicies(arrayField(action, 'hash_policy', path), path);
  return (request, matchedLength) => {
    const clusters: ClusterShare[] = targets.map((target) => {
      const name = target.name ?? request.values(target.header ?? '')[0] ?? '';
      const levels = [target.overrides, routeOverrides, ...context.outerOverrides];
      const faults = appliedFaults(context.faultFilters(), levels, request, name, 'envoy');
      return { name, weight: target.weight, fraction: target.weight / totalWeight, faults };
    });
    const rewritten = rewrite?.(request, matchedLength);
    return {
      kind: 'route',
      ...matched,
      clusters,
      totalWeight,
      ...(timeout > 0 ? { timeoutMs: timeout } : {}),
      ...(maxStreamMs ? { maxStreamDurationMs: maxStreamMs } : {}),
      ...(retry ? { retry } : {}),
      ...(rewritten !== undefined || authority !== undefined
        ? {
            rewrite: {
              ...(rewritten !== undefined ? { path: rewritten } : {}),
              ...(authority ? { authority } : {}),
            },
          }
        : {}),
      ...(mirrors.length > 0 ? { mirrors } : {}),
      ...(hashPolicy.length > 0 ? { hashPolicy } : {}),
    };
  };
}

interface ClusterTarget {
  /** Absent when the cluster comes from the request header `header`. */
  readonly name?: string;
  readonly header?: string;
  readonly weight: number;
  readonly overrides: FilterOverrides;
}

/**
 * The clusters of a RouteAction. Weighted clusters (weighted_cluster_specifier.cc): every entry
 * needs a weight and exactly one of name / cluster_header; the weights may not sum to 0 or exceed
 * 2^32-1; shares are weight / sum. `total_weight` is deprecated: the proto still requires the sum to
 * equal it when set, which older Envoys enforce and newer ones ignore, so a mismatch is refused.
 */
function clusterTargets(
  action: JsonObject,
  context: EnvoyRouteContext,
  path: string,
  problems: Problems,
): ClusterTarget[] {
  const none = new Map<string, never>();
  const specifier = oneofMember(action, [
    'cluster',
    'cluster_header',
    'weighted_clusters',
    'cluster_specifier_plugin',
    'inline_cluster_specifier_plugin',
  ] as const);
  switch (specifier) {
    case undefined:
      problems.add(path, 'a route action needs cluster, cluster_header or weighted_clusters');
      return [];
    case 'cluster_specifier_plugin':
    case 'inline_cluster_specifier_plugin':
      throw new SimulationError(`${path}.${specifier}`, 'not simulated');
    case 'cluster': {
      const name = stringField(action, 'cluster', path) ?? '';
      if (name === '') problems.add(`${path}.cluster`, 'must not be empty');
      return [{ name, weight: 1, overrides: none }];
    }
    case 'cluster_header':
      return [
        {
          header: (stringField(action, 'cluster_header', path) ?? '').toLowerCase(),
          weight: 1,
          overrides: none,
        },
      ];
    case 'weighted_clusters':
      break;
  }
  const weightedPath = `${path}.weighted_clusters`;
  const weighted = asObject(field(action, 'weighted_clusters'), weightedPath);
  const entries = arrayField(weighted, 'clusters', weightedPath);
  if (entries.length === 0) problems.add(`${weightedPath}.clusters`, 'needs at least one cluster');
  const targets = entries.map((item, index): ClusterTarget => {
    const entryPath = `${weightedPath}.clusters[${index}]`;
    const entry = asObject(item, entryPath);
    const name = stringField(entry, 'name', entryPath) ?? '';
    const header = stringField(entry, 'cluster_header', entryPath) ?? '';
    if ((name === '') === (header === ''))
      problems.add(entryPath, 'needs exactly one of name and cluster_header');
    const weight = uintField(entry, 'weight', entryPath);
    if (weight === undefined) problems.add(`${entryPath}.weight`, 'is required');
    const overrides = context.filterOverrides(entry, entryPath);
    return name !== ''
      ? { name, weight: weight ?? 0, overrides }
      : { header: header.toLowerCase(), weight: weight ?? 0, overrides };
  });
  const sum = targets.reduce((total, target) => total + target.weight, 0);
  if (sum === 0 && entries.length > 0) problems.add(weightedPath, 'the weights sum to 0');
  if (sum > UINT32_MAX) problems.add(weightedPath, `the weights sum to ${sum}, over 2^32-1`);
  const totalWeight = uintField(weighted, 'total_weight', weightedPath);
  if (totalWeight !== undefined && totalWeight > 0 && totalWeight !== sum) {
    problems.add(
      `${weightedPath}.total_weight`,
      `the weights sum to ${sum}, not total_weight ${totalWeight}`,
    );
  }
  return targets;
}

/** An Envoy RetryPolicy (`RetryPolicyImpl`): num_retries defaults to 1, backoff to 25 ms, max 10 × base. */
function envoyRetry(policy: JsonObject, path: string, problems: Problems): RetryOutcome {
  const retryOn = (stringField(policy, 'retry_on', path) ?? '')
    .split(',')
    .map((token) => token.trim())
    .filter((token) => token !== '');
  const perTry = durationField(policy, 'per_try_timeout', path);
  const codes = arrayField(policy, 'retriable_status_codes', path).map(Number);
  let backoff = { baseMs: 25, maxMs: 250 };
  const backOff = objectField(policy, 'retry_back_off', path);
  if (backOff) {
    const backOffPath = `${path}.retry_back_off`;
    const baseMs = durationField(backOff, 'base_interval', backOffPath);
    if (baseMs === undefined || baseMs <= 0)
      problems.add(`${backOffPath}.base_interval`, 'is required and must be positive');
    const base = Math.max(baseMs ?? 1, 1);
    const maxMs = durationField(backOff, 'max_interval', backOffPath) ?? 10 * base;
    if (maxMs < base) problems.add(`${backOffPath}.max_interval`, 'must be at least base_interval');
    backoff = { baseMs: base, maxMs };
  }
  return {
    retryOn,
    numRetries: uintField(policy, 'num_retries', path) ?? 1,
    ...(perTry ? { perTryTimeoutMs: perTry } : {}),
    ...(codes.length > 0 ? { retriableStatusCodes: codes } : {}),
    backoff,
  };
}

/**
 * `prefix_rewrite` replaces the part of the path the match covered (the whole path, query kept, for
 * path and regex matches); `regex_rewrite` substitutes in the path without its query. Envoy refuses
 * both at once.
 */
function pathRewrite(
  action: JsonObject,
  path: string,
  problems: Problems,
): ((request: RequestView, matchedLength: number) => string) | undefined {
  const prefix = stringField(action, 'prefix_rewrite', path) ?? '';
  const regex = objectField(action, 'regex_rewrite', path);
  if (prefix !== '' && regex) problems.add(path, 'only one of prefix_rewrite and regex_rewrite');
  if (prefix !== '') return (request, matchedLength) => prefix + request.path.slice(matchedLength);
  if (regex) return regexRewrite(regex, `${path}.regex_rewrite`, problems);
  return undefined;
}

/** Mirror policies: the route's, else its virtual host's; each copies `runtime_fraction.default_value` of requests (100 % without one). */
function mirrorPolicies(list: readonly unknown[], path: string): { cluster: string; fraction: number }[] {
  return list.map((item, index) => {
    const mirrorPath = `${path}.request_mirror_policies[${index}]`;
    const mirror = asObject(item, mirrorPath);
    const runtime = objectField(mirror, 'runtime_fraction', mirrorPath);
    const defaultValue = runtime && field(runtime, 'default_value');
    const fraction =
      defaultValue === undefined
        ? 1
        : fractionOf(fractionalPercent(defaultValue, `${mirrorPath}.runtime_fraction.default_value`));
    return { cluster: stringField(mirror, 'cluster', mirrorPath) ?? '', fraction };
  });
}

/** A DirectResponseAction: `status` in [200, 600) and an inline body. */
function directResponse(
  config: JsonObject,
  matched: Matched,
  path: string,
  problems: Problems,
): () => SimOutcome {
  const status = uintField(config, 'status', path) ?? 0;
  if (status < 200 || status >= 600) problems.add(`${path}.status`, `${status} is not in [200, 600)`);
  const source = objectField(config, 'body', path);
  let body: string | undefined;
  if (source) {
    const kind = oneofMember(source, [
      'inline_string',
      'inline_bytes',
      'filename',
      'environment_variable',
    ] as const);
    if (kind === 'inline_string') body = stringField(source, kind, `${path}.body`);
    else if (kind === 'inline_bytes')
      body = Buffer.from(stringField(source, kind, `${path}.body`) ?? '', 'base64').toString('utf8');
    else if (kind !== undefined)
      throw new SimulationError(`${path}.body.${kind}`, 'only inline bodies are simulated');
  }
  return () => ({ kind: 'direct', ...matched, status, ...(body !== undefined ? { body } : {}) });
}
