import { domainProblems } from './domain-match';
import { Problems, SimulationError } from './errors';
import { readGrpcListener, type GrpcClient, type GrpcListener } from './grpc-listener';
import { appliedFaults, parseFilterOverrides, type FilterOverrides } from './http-filters';
import type { ClusterShare, RetryOutcome, SimOutcome } from './outcome';
import {
  arrayField,
  asObject,
  durationField,
  field,
  objectField,
  oneofMember,
  stringField,
  stringsField,
  uintField,
  type JsonObject,
} from './proto-fields';
import { requestView, type RequestView, type SimRequest } from './request';
import {
  matchedRoute,
  routeRequest,
  type CompiledRoute,
  type CompiledVirtualHost,
  type MatchedRoute,
} from './route-table';
import { hashPolicies } from './hash-policy';
import { compileRouteMatch } from './v3-route-match';

export interface SimulateGrpcOptions {
  /** Whose behaviour to reproduce: grpc-js-xds 1.14.1 (default) or gRPC C-core before 1.56 (C++, Python). */
  readonly client?: GrpcClient;
  /** The RouteConfiguration, when the listener names it through `rds` instead of carrying it. */
  readonly routeConfiguration?: unknown;
}

const UINT32_MAX = 0xffffffff;
const UNAVAILABLE = 14;

/**
 * Routes one RPC through the api_listener a proxyless gRPC client dialled (proto3 JSON or protobufjs
 * objects), with that client's semantics where they differ from Envoy's (gRFC A28, A31, A33, A39, A44).
 * An `invalid` outcome lists why the client would NACK the listener or its routes.
 */
export function simulateGrpc(
  apiListener: unknown,
  request: SimRequest,
  options: SimulateGrpcOptions = {},
): SimOutcome {
  const client = options.client ?? 'grpc-js';
  const view = requestView(request, { method: 'POST' });
  const problems = new Problems();
  const listener = readGrpcListener(
    asObject(apiListener, 'listener'),
    client,
    options.routeConfiguration,
    problems,
  );
  const hosts = listener ? compileRoutes(listener, client, problems) : [];
  if (problems.all.length > 0) return { kind: 'invalid', reasons: problems.all };
  return routeRequest(hosts, client, view);
}

function compileRoutes(
  listener: GrpcListener,
  client: GrpcClient,
  problems: Problems,
): CompiledVirtualHost[] {
  const config = listener.routeConfiguration;
  const hosts = arrayField(config, 'virtual_hosts', 'route_configuration').map((item, index) => {
    const path = `virtual_hosts[${index}]`;
    const host = asObject(item, path);
    const name = stringField(host, 'name', path) ?? '';
    const hostOverrides = parseFilterOverrides(host, path, 'grpc', problems);
    const hostRetry = objectField(host, 'retry_policy', path);
    const context: RouteContext = {
      client,
      listener,
      hostOverrides,
      ...(hostRetry ? { hostRetry: grpcRetry(hostRetry, `${path}.retry_policy`, problems) } : {}),
    };
    const listed = arrayField(host, 'routes', path);
    const routes = listed.flatMap((route, routeIndex) =>
      compileRoute(
        asObject(route, `${path}.routes[${routeIndex}]`),
        routeIndex,
        name,
        context,
        `${path}.routes[${routeIndex}]`,
        problems,
      ),
    );
    if (client === 'grpc-core' && listed.length === 0)
      problems.add(path, 'no route found in the virtual host');
    else if (client === 'grpc-core' && routes.length === 0)
      problems.add(path, 'no valid routes (C-core ignored them all)');
    return { name, domains: stringsField(host, 'domains', path), routes };
  });
  for (const problem of domainProblems(hosts, client)) problems.add('virtual_hosts', problem);
  return hosts;
}

interface RouteContext {
  readonly client: GrpcClient;
  readonly listener: GrpcListener;
  readonly hostOverrides: FilterOverrides;
  /** The virtual host's retry policy: undefined when it has none, null when none of its codes is a gRPC one. */
  readonly hostRetry?: RetryOutcome | null;
}

/**
 * One route, or none when the client ignores it. C-core ignores routes it knows can never match
 * (gRFC A28): with query_parameters, a prefix not starting with `/` or with more than two `/`, an
 * exact path that is not `/service/method`, or an action without cluster or weighted_clusters. Both
 * clients skip `cluster_header` routes.
 */
function compileRoute(
  route: JsonObject,
  index: number,
  host: string,
  context: RouteContext,
  path: string,
  problems: Problems,
): CompiledRoute[] {
  const { client } = context;
  const match = objectField(route, 'match', path);
  if (!match) {
    problems.add(`${path}.match`, 'is required');
    return [];
  }
  if (
    client === 'grpc-core' &&
    (arrayField(match, 'query_parameters', path).length > 0 || cannotMatchMethodPath(match, path))
  )
    return [];
  const condition = compileRouteMatch(match, client, `${path}.match`, problems);
  const name = stringField(route, 'name', path) || undefined;
  const matched = matchedRoute(host, index, name);
  const routeOverrides = parseFilterOverrides(route, path, 'grpc', problems);
  const action = oneofMember(route, [
    'route',
    'redirect',
    'direct_response',
    'filter_action',
    'non_forwarding_action',
  ] as const);
  let outcome: ((request: RequestView) => SimOutcome) | undefined;
  if (action === 'route') {
    outcome = forward(
      asObject(field(route, 'route'), `${path}.route`),
      matched,
      routeOverrides,
      context,
      `${path}.route`,
      problems,
    );
    if (!outcome) return [];
  } else if (client === 'grpc-js') {
    // grpc-js-xds validation: "unsupported action"; non_forwarding_action is for servers.
    if (action === 'non_forwarding_action')
      throw new SimulationError(`${path}.${action}`, 'not simulated for clients');
    problems.add(path, `grpc-js does not support the route action ${action ?? '(none)'}`);
    return [];
  } else {
    // C-core keeps the route; an RPC it matches fails ("Matching route has inappropriate action").
    outcome = () => ({
      kind: 'failed',
      ...matched,
      grpcStatus: UNAVAILABLE,
      reason: `route action ${action ?? '(none)'}`,
    });
  }
  return [{ index, ...(name ? { name } : {}), matches: (request) => condition.matches(request), outcome }];
}

function cannotMatchMethodPath(match: JsonObject, path: string): boolean {
  const prefix = stringField(match, 'prefix', path);
  if (prefix !== undefined && prefix !== '') {
    const parts = prefix.slice(1).split('/');
    return !prefix.startsWith('/') || parts.length > 2 || (parts.length === 2 && parts[0] === '');
  }
  const exact = stringField(match, 'path', path);
  if (exact !== undefined) {
    const parts = exact.slice(1).split('/');
    return !exact.startsWith('/') || parts.length !== 2 || parts[0] === '' || parts[1] === '';
  }
  return false;
}

/** A RouteAction for a gRPC client; undefined when the client ignores the route. */
function forward(
  action: JsonObject,
  matched: MatchedRoute,
  routeOverrides: FilterOverrides,
  context: RouteContext,
  path: string,
  problems: Problems,
): ((request: RequestView) => SimOutcome) | undefined {
  const { client, listener } = context;
  const specifier = oneofMember(action, [
    'cluster',
    'weighted_clusters',
    'cluster_header',
    'cluster_specifier_plugin',
    'inline_cluster_specifier_plugin',
  ] as const);
  if (specifier === 'cluster_specifier_plugin' || specifier === 'inline_cluster_specifier_plugin') {
    if (client === 'grpc-js')
      problems.add(`${path}.${specifier}`, 'grpc-js does not support this cluster specifier');
    return undefined;
  }
  if (specifier === undefined || specifier === 'cluster_header') return undefined;
  const targets =
    specifier === 'cluster'
      ? singleCluster(action, client, path, problems)
      : weightedClusters(
          asObject(field(action, 'weighted_clusters'), `${path}.weighted_clusters`),
          client,
          `${path}.weighted_clusters`,
          problems,
        );
  const totalWeight = targets.reduce((sum, target) => sum + target.weight, 0);
  const policy = objectField(action, 'retry_policy', path);
  const retry = policy ? grpcRetry(policy, `${path}.retry_policy`, problems) : context.hostRetry;
  const timeoutMs = grpcTimeout(action, listener, path);
  const hashPolicy = hashPolicies(arrayField(action, 'hash_policy', path), path).filter(
    (policy) =>
      policy.kind === 'header' || (policy.kind === 'filter-state' && policy.key === 'io.grpc.channel_id'),
  );
  return (request) => {
    const clusters: ClusterShare[] = targets.map(({ name, weight, overrides }) => ({
      name,
      weight,
      fraction: weight / totalWeight,
      faults: appliedFaults(
        listener.faultFilters,
        [overrides, routeOverrides, context.hostOverrides],
        request,
        name,
        'grpc',
      ),
    }));
    return {
      kind: 'route',
      ...matched,
      clusters,
      totalWeight,
      ...(timeoutMs ? { timeoutMs } : {}),
      ...(retry ? { retry } : {}),
      ...(hashPolicy.length > 0 ? { hashPolicy } : {}),
    };
  };
}

type Target = { name: string; weight: number; overrides: FilterOverrides };

function singleCluster(action: JsonObject, client: GrpcClient, path: string, problems: Problems): Target[] {
  const name = stringField(action, 'cluster', path) ?? '';
  if (name === '' && client === 'grpc-core') problems.add(`${path}.cluster`, 'empty cluster name');
  return [{ name, weight: 1, overrides: new Map() }];
}

/**
 * Weighted clusters. grpc-js-xds 1.14.1 splits by weight / sum (a missing weight is 0) and refuses
 * a sum of 0 or over 2^32-1; 1.14.0 divided by total_weight (default 100) and could pick no
 * cluster (grpc/grpc-node #3069). C-core refuses a missing weight or name, skips zero weights, and
 * refuses unless the sum equals total_weight, 100 when unset.
 */
function weightedClusters(
  weighted: JsonObject,
  client: GrpcClient,
  path: string,
  problems: Problems,
): Target[] {
  const targets = arrayField(weighted, 'clusters', path).map((item, index): Target => {
    const entryPath = `${path}.clusters[${index}]`;
    const entry = asObject(item, entryPath);
    const name = stringField(entry, 'name', entryPath) ?? '';
    const weight = uintField(entry, 'weight', entryPath);
    if (client === 'grpc-core' && name === '') problems.add(`${entryPath}.name`, 'empty cluster name');
    if (client === 'grpc-core' && weight === undefined) problems.add(`${entryPath}.weight`, 'missing weight');
    return { name, weight: weight ?? 0, overrides: parseFilterOverrides(entry, entryPath, 'grpc', problems) };
  });
  const sum = targets.reduce((total, target) => total + target.weight, 0);
  if (client === 'grpc-js') {
    if (sum === 0) problems.add(path, 'the weights sum to 0');
    if (sum > UINT32_MAX) problems.add(path, `the weights sum to ${sum}, over 2^32-1`);
    return targets;
  }
  const totalWeight = uintField(weighted, 'total_weight', path) ?? 100;
  if (sum !== totalWeight) problems.add(path, `the weights sum to ${sum}, not total_weight ${totalWeight}`);
  if (!targets.some((target) => target.weight > 0)) problems.add(path, 'no cluster with a weight');
  return targets.filter((target) => target.weight > 0);
}

const RETRY_CODES = ['cancelled', 'deadline-exceeded', 'internal', 'resource-exhausted', 'unavailable'];

/**
 * A retry policy as gRPC clients read it (gRFC A44): only the five gRPC code tokens of `retry_on`
 * count, and with none left the client does not retry (null); `num_retries` (default 1) must not
 * be 0 and the client caps attempts at 5; backoff defaults to 25 ms, max 10 × base, and a
 * `retry_back_off` needs `base_interval`. `per_try_timeout` is ignored.
 */
function grpcRetry(policy: JsonObject, path: string, problems: Problems): RetryOutcome | null {
  const retryOn = (stringField(policy, 'retry_on', path) ?? '')
    .split(',')
    .filter((token) => RETRY_CODES.includes(token));
  const numRetries = uintField(policy, 'num_retries', path) ?? 1;
  if (numRetries < 1) problems.add(`${path}.num_retries`, 'must be at least 1');
  let backoff = { baseMs: 25, maxMs: 250 };
  const backOff = objectField(policy, 'retry_back_off', path);
  if (backOff) {
    const backOffPath = `${path}.retry_back_off`;
    const baseMs = durationField(backOff, 'base_interval', backOffPath);
    if (baseMs === undefined || baseMs <= 0)
      problems.add(`${backOffPath}.base_interval`, 'is required and must be positive');
    const base = baseMs ?? 25;
    const maxMs = durationField(backOff, 'max_interval', backOffPath) ?? 10 * base;
    if (maxMs < base) problems.add(`${backOffPath}.max_interval`, 'is smaller than base_interval');
    backoff = { baseMs: base, maxMs };
  }
  if (retryOn.length === 0) return null;
  return { retryOn, numRetries, maxAttempts: Math.min(numRetries + 1, 5), backoff };
}

/**
 * gRFC A31: `max_stream_duration.grpc_timeout_header_max` if set, else
 * `max_stream_duration.max_stream_duration`, else the connection manager's default; 0 leaves the
 * application's deadline alone. `RouteAction.timeout` is not read.
 */
function grpcTimeout(action: JsonObject, listener: GrpcListener, path: string): number | undefined {
  const limits = objectField(action, 'max_stream_duration', path);
  if (limits) {
    const limitsPath = `${path}.max_stream_duration`;
    const headerMax = durationField(limits, 'grpc_timeout_header_max', limitsPath);
    if (headerMax !== undefined) return headerMax || undefined;
    const max = durationField(limits, 'max_stream_duration', limitsPath);
    if (max !== undefined) return max || undefined;
  }
  return listener.defaultTimeoutMs || undefined;
}
