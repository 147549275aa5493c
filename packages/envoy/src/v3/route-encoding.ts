import {
  formatRuleIdentity,
  v3OutboundClusterName,
  type CorsPolicy,
  type HeaderCondition,
  type Origin,
  type StringMatch,
} from '@sextant/core';
import type { ClusterRef, HashOn, PlannedRoute } from '../plan/plan-types';
import {
  CORS_FILTER_NAME,
  CORS_POLICY_TYPE,
  duration,
  FAULT_FILTER_NAME,
  FAULT_TYPE,
  typedConfig,
} from './building-blocks';
import type { Route } from './wire-types';

type HashPolicy = NonNullable<NonNullable<Route['route']>['hash_policy']>[number];

/**
 * Planned routes as Envoy v3 `Route` messages, for one of two kinds of client:
 * - `v3`: Envoy, as istiod renders (spec §4): `string_match` header matchers, raw weights,
 *   `timeout`, `retry_policy`, per-route fault and CORS configuration;
 * - `grpc`: proxyless gRPC clients, as they accept it (spec §5.4): legacy header matcher fields
 *   (C-core before 1.56 NACKs `string_match`), weights summing to 100 with `total_weight`, the
 *   timeout as `max_stream_duration`, retries on gRPC codes only, faults with explicit percentages.
 *   Routes a gRPC client would NACK or misread (redirects, direct responses, query parameter
 *   conditions) are not sent to it; validation reports them for the `grpc` target.
 */
export type RouteFlavor = 'v3' | 'grpc';

/** The retry_on tokens gRPC clients honour (gRFC A44). */
const GRPC_RETRY_CODES = new Set([
  'cancelled',
  'deadline-exceeded',
  'internal',
  'resource-exhausted',
  'unavailable',
]);
/** gRPC allows 5 attempts in all (gRFC A44): 4 retries after the first. */
const GRPC_MAX_RETRIES = 4;

const GRPC_STATUS_CODES: Readonly<Record<string, number>> = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
};

const REDIRECT_CODES: Readonly<Record<number, string>> = {
  301: 'MOVED_PERMANENTLY',
  302: 'FOUND',
  303: 'SEE_OTHER',
  307: 'TEMPORARY_REDIRECT',
  308: 'PERMANENT_REDIRECT',
};

/** The v3 route for a planned route; undefined when this kind of client must not be sent it. */
export function encodeRoute(route: PlannedRoute, flavor: RouteFlavor): Route | undefined {
  if (flavor === 'grpc' && (route.action.kind !== 'forward' || route.match.queryParams.length > 0))
    return undefined;
  const encoded: Route = {
    name: route.name,
    match: encodeMatch(route, flavor),
    ...(flavor === 'v3' && route.origin && { metadata: provenance(route.origin) }),
  };
  const action = route.action;
  if (action.kind === 'redirect') {
    const { redirect } = action;
    const code = REDIRECT_CODES[redirect.code];
    if (!code) return undefined;
    encoded.redirect = {
      ...(redirect.authority !== undefined && { host_redirect: redirect.authority }),
      ...(redirect.uri !== undefined && { path_redirect: redirect.uri }),
      ...(redirect.scheme !== undefined && { scheme_redirect: redirect.scheme }),
      ...(redirect.port !== undefined && { port_redirect: redirect.port }),
      response_code: code as 'MOVED_PERMANENTLY',
    };
  } else if (action.kind === 'direct') {
    encoded.direct_response = {
      status: action.status,
      ...(action.body !== undefined && { body: { inline_string: action.body } }),
    };
  } else {
    encoded.route = routeAction(route, action.clusters, flavor);
  }
  const fault = faultConfig(route);
  // gRPC clients run no CORS filter and refuse configuration for one.
  const cors = flavor === 'v3' && route.cors && corsConfig(route.cors);
  if (fault || cors) {
    encoded.typed_per_filter_config = {
      ...(fault && { [FAULT_FILTER_NAME]: fault }),
      ...(cors && { [CORS_FILTER_NAME]: cors }),
    };
  }
  const headers = route.headers?.request;
  if (headers && flavor === 'v3') {
    encoded.request_headers_to_add = [
      ...Object.entries(headers.set).map(([key, value]) => ({
        header: { key, value },
        append_action: 'OVERWRITE_IF_EXISTS_OR_ADD' as const,
      })),
      ...Object.entries(headers.add).map(([key, value]) => ({
        header: { key, value },
        append_action: 'APPEND_IF_EXISTS_OR_ADD' as const,
      })),
    ];
    encoded.request_headers_to_remove = [...headers.remove];
  }
  return encoded;
}

/**
 * Which rule and field a route came from, in the route's metadata (as istiod does): Envoy's
 * config dump and /debug/config show it beside the route.
 */
function provenance(origin: Origin): Route['metadata'] {
  // protobufjs bundles google.protobuf.Value with camelCase field names (unlike the rest of the
  // descriptor, loaded with .proto names): `stringValue` is what its encoder and our JSON printer read.
  const text = (value: string) => ({ stringValue: value });
  const metadata = {
    filter_metadata: {
      sextant: { fields: { rule: text(formatRuleIdentity(origin.rule)), path: text(origin.path) } },
    },
  };
  return metadata as unknown as Route['metadata'];
}

export function clusterName(ref: ClusterRef): string {
  return v3OutboundClusterName(ref.port, ref.host, ref.subset ?? '');
}

function routeAction(
  route: PlannedRoute,
  clusters: readonly { ref: ClusterRef; weight: number }[],
  flavor: RouteFlavor,
): NonNullable<Route['route']> {
  const [only] = clusters;
  const specifier =
    clusters.length === 1 && only
      ? { cluster: clusterName(only.ref) }
      : {
          weighted_clusters: {
            clusters: clusters.map((c) => ({ name: clusterName(c.ref), weight: { value: c.weight } })),
            // gRPC clients of 2021–2023 read an absent total as 100 or NACK another sum: say it.
            ...(flavor === 'grpc' && { total_weight: { value: 100 } }),
          },
        };
  const retry = route.retry && retryPolicy(route.retry, flavor);
  const rewrite = route.rewrite;
  const hashPolicy = (route.hashPolicy ?? []).flatMap((on) => hashPolicyOf(on, flavor));
  return {
    ...specifier,
    ...(flavor === 'v3'
      ? { timeout: duration(route.timeoutMs) }
      : route.timeoutMs > 0 && { max_stream_duration: { max_stream_duration: duration(route.timeoutMs) } }),
    ...(retry && { retry_policy: retry }),
    ...(rewrite?.uri !== undefined && { prefix_rewrite: rewrite.uri }),
    ...(rewrite?.authority !== undefined && { host_rewrite_literal: rewrite.authority }),
    ...(rewrite?.uriRegex && {
      regex_rewrite: { pattern: { regex: rewrite.uriRegex.match }, substitution: rewrite.uriRegex.rewrite },
    }),
    ...(hashPolicy.length > 0 && { hash_policy: hashPolicy }),
    ...(route.mirrors.length > 0 &&
      flavor === 'v3' && {
        request_mirror_policies: route.mirrors.map((m) => ({
          cluster: clusterName(m.ref),
          runtime_fraction: { default_value: fraction(m.percent) },
        })),
      }),
  };
}

/** What Envoy hashes on for a consistent-hash destination; gRPC clients hash on headers only. */
function hashPolicyOf(on: HashOn, flavor: RouteFlavor): HashPolicy[] {
  if ('header' in on) return [{ header: { header_name: on.header } }];
  if (flavor === 'grpc') return [];
  if ('cookie' in on) {
    const { name, path, ttlMs } = on.cookie;
    return [
      {
        cookie: {
          name,
          ...(path !== undefined && { path }),
          ...(ttlMs !== undefined && { ttl: duration(ttlMs) }),
        },
      },
    ];
  }
  if ('sourceIp' in on) return [{ connection_properties: { source_ip: true } }];
  return [{ query_parameter: { name: on.queryParameter } }];
}

function retryPolicy(retry: NonNullable<PlannedRoute['retry']>, flavor: RouteFlavor) {
  if (flavor === 'grpc') {
    const codes = retry.retryOn.filter((token) => GRPC_RETRY_CODES.has(token));
    if (codes.length === 0) return undefined;
    return {
      retry_on: codes.join(','),
      num_retries: { value: Math.min(retry.attempts, GRPC_MAX_RETRIES) },
      ...(retry.backoffMs !== undefined && { retry_back_off: { base_interval: duration(retry.backoffMs) } }),
    };
  }
  const statuses = retry.retryOn.filter((token) => /^\d{3}$/.test(token)).map(Number);
  const tokens = retry.retryOn.filter((token) => !/^\d{3}$/.test(token));
  if (statuses.length > 0 && !tokens.includes('retriable-status-codes'))
    tokens.push('retriable-status-codes');
  return {
    retry_on: tokens.join(','),
    num_retries: { value: retry.attempts },
    ...(statuses.length > 0 && { retriable_status_codes: statuses }),
    ...(retry.perTryTimeoutMs !== undefined && { per_try_timeout: duration(retry.perTryTimeoutMs) }),
    ...(retry.backoffMs !== undefined && { retry_back_off: { base_interval: duration(retry.backoffMs) } }),
  };
}

/** HTTPFault for a route, always with explicit percentages (a gRPC client NACKs a fault without one). */
function faultConfig(route: PlannedRoute) {
  const fault = route.fault;
  if (!fault) return undefined;
  const abort = fault.abort;
  const grpcCode = abort?.grpcStatus !== undefined ? GRPC_STATUS_CODES[abort.grpcStatus] : undefined;
  return typedConfig(FAULT_TYPE, {
    ...(fault.delay && {
      delay: { fixed_delay: duration(fault.delay.fixedDelayMs), percentage: fraction(fault.delay.percent) },
    }),
    ...(abort && {
      abort: {
        ...(grpcCode !== undefined ? { grpc_status: grpcCode } : { http_status: abort.httpStatus ?? 503 }),
        percentage: fraction(abort.percent),
      },
    }),
  });
}

/** A route's CORS policy, for the CORS filter of Envoy's outbound listeners (as istiod writes it). */
function corsConfig(cors: CorsPolicy) {
  return typedConfig(CORS_POLICY_TYPE, {
    allow_origin_string_match: cors.allowOrigins.map(stringMatcher),
    ...(cors.allowMethods.length > 0 && { allow_methods: cors.allowMethods.join(',') }),
    ...(cors.allowHeaders.length > 0 && { allow_headers: cors.allowHeaders.join(',') }),
    ...(cors.exposeHeaders.length > 0 && { expose_headers: cors.exposeHeaders.join(',') }),
    ...(cors.maxAgeSeconds !== undefined && { max_age: String(cors.maxAgeSeconds) }),
    ...(cors.allowCredentials !== undefined && { allow_credentials: { value: cors.allowCredentials } }),
  });
}

/** A percentage (fractions allowed) as a FractionalPercent per million, as istiod writes it. */
function fraction(percent: number) {
  return { numerator: Math.round(percent * 10_000), denominator: 'MILLION' as const };
}

function encodeMatch(route: PlannedRoute, flavor: RouteFlavor): NonNullable<Route['match']> {
  const { uri, ignoreUriCase, headers, queryParams } = route.match;
  const path =
    uri === undefined
      ? { prefix: '/' }
      : 'exact' in uri
        ? { path: uri.exact }
        : 'prefix' in uri
          ? { prefix: uri.prefix }
          : { safe_regex: { regex: uri.regex } };
  return {
    ...path,
    ...(uri !== undefined && { case_sensitive: { value: !ignoreUriCase } }),
    ...(headers.length > 0 && { headers: headers.map((h) => headerMatcher(h, flavor)) }),
    ...(queryParams.length > 0 && {
      query_parameters: queryParams.map((q) =>
        q.match
          ? { name: q.name, string_match: stringMatcher(q.match) }
          : { name: q.name, present_match: true },
      ),
    }),
  };
}

function headerMatcher(condition: HeaderCondition, flavor: RouteFlavor) {
  const invert = condition.invert ? { invert_match: true } : {};
  const match = condition.match;
  if (!match) return { name: condition.name, present_match: true, ...invert };
  if (flavor === 'grpc') {
    const legacy =
      'exact' in match
        ? { exact_match: match.exact }
        : 'prefix' in match
          ? { prefix_match: match.prefix }
          : { safe_regex_match: { regex: match.regex } };
    return { name: condition.name, ...legacy, ...invert };
  }
  // Istio's withoutHeaders holds for a request without the header: Envoy's inverted matcher
  // fails on a missing header unless it reads it as empty (gRPC clients invert the miss already).
  const missing = condition.invert ? { treat_missing_header_as_empty: true } : {};
  return { name: condition.name, string_match: stringMatcher(match), ...invert, ...missing };
}

function stringMatcher(match: StringMatch) {
  if ('exact' in match) return { exact: match.exact };
  if ('prefix' in match) return { prefix: match.prefix };
  return { safe_regex: { regex: match.regex } };
}
