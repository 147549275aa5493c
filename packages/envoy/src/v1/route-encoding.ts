import { formatServiceKey, v1ObjectName, type HeaderCondition } from '@sextant/core';
import type { ClusterRef, PlannedRoute } from '../plan/plan-types';
import type { V1HeaderMatcher, V1HttpFilter, V1Route } from './types';

/**
 * Planned routes as Envoy v1 routes, as Pilot rendered them (spec §3.2), where v1 can express
 * them: what it cannot (negated headers, query parameters, direct responses, redirects other than
 * 301) is not sent to v1 clients at all (validation reports it as an error for the `v1` target),
 * so a v1 proxy never gets a route that means something else. Faults are not route fields in v1:
 * they are `fault` filters in the listener (faultFilters).
 */
export function encodeV1Route(route: PlannedRoute): V1Route | undefined {
  if (!isV1Expressible(route)) return undefined;
  const { match } = route;
  const action = route.action;
  if (action.kind === 'direct') return undefined;
  const uri = match.uri;
  const path =
    uri === undefined
      ? { prefix: '/' }
      : 'exact' in uri
        ? { path: uri.exact }
        : 'prefix' in uri
          ? { prefix: uri.prefix }
          : { regex: uri.regex };
  const target =
    action.kind === 'redirect'
      ? {
          ...(action.redirect.authority !== undefined && { host_redirect: action.redirect.authority }),
          ...(action.redirect.uri !== undefined && { path_redirect: action.redirect.uri }),
        }
      : action.clusters.length === 1 && action.clusters[0]
        ? { cluster: v1ClusterName(action.clusters[0].ref) }
        : {
            weighted_clusters: {
              clusters: action.clusters.map((c) => ({ name: v1ClusterName(c.ref), weight: c.weight })),
            },
          };
  const retry = route.retry;
  const tokens = retry?.retryOn.filter((token) => V1_RETRY_ON.has(token)) ?? [];
  const mirror = route.mirrors.find((m) => m.percent >= 100);
  const add = route.headers?.request;
  const cors = route.cors;
  return {
    ...path,
    ...(uri !== undefined && match.ignoreUriCase && { case_sensitive: false }),
    ...(match.headers.length > 0 && { headers: [...match.headers].sort(byName).map(v1Header) }),
    ...target,
    ...(route.rewrite?.uri !== undefined && { prefix_rewrite: route.rewrite.uri }),
    ...(route.rewrite?.authority !== undefined && { host_rewrite: route.rewrite.authority }),
    ...(action.kind === 'forward' && { timeout_ms: route.timeoutMs }),
    ...(retry &&
      tokens.length > 0 && {
        retry_policy: {
          retry_on: tokens.join(','),
          num_retries: retry.attempts,
          ...(retry.perTryTimeoutMs !== undefined && { per_try_timeout_ms: retry.perTryTimeoutMs }),
        },
      }),
    ...(mirror && { shadow: { cluster: v1ClusterName(mirror.ref) } }),
    ...(add && {
      request_headers_to_add: Object.entries({ ...add.add, ...add.set }).map(([key, value]) => ({
        key,
        value,
      })),
    }),
    ...(cors && {
      cors: {
        allow_origin: cors.allowOrigins.flatMap((o) => ('exact' in o ? [o.exact] : [])),
        ...(cors.allowMethods.length > 0 && { allow_methods: cors.allowMethods.join(',') }),
        ...(cors.allowHeaders.length > 0 && { allow_headers: cors.allowHeaders.join(',') }),
        ...(cors.exposeHeaders.length > 0 && { expose_headers: cors.exposeHeaders.join(',') }),
        ...(cors.maxAgeSeconds !== undefined && { max_age: String(cors.maxAgeSeconds) }),
        ...(cors.allowCredentials !== undefined && { allow_credentials: cors.allowCredentials }),
      },
    }),
    decorator: { operation: route.name },
  };
}

/** Whether v1 clients are sent the route at all (with its fault filters): see encodeV1Route. */
function isV1Expressible(route: PlannedRoute): boolean {
  const { match, action } = route;
  if (match.queryParams.length > 0 || match.headers.some((h) => h.invert)) return false;
  if (action.kind === 'redirect' && action.redirect.code !== 301) return false;
  return action.kind !== 'direct';
}

/**
 * The `retry_on` conditions Envoy v1 (≤1.9) knew (spec §3.6). Others are left out, and a policy
 * left with none is not sent: validation warns that v1 retries less than asked.
 */
const V1_RETRY_ON = new Set([
  '5xx',
  'gateway-error',
  'connect-failure',
  'retriable-4xx',
  'refused-stream',
  'cancelled',
  'deadline-exceeded',
  'resource-exhausted',
]);

/**
 * v1's cluster for a planned cluster: `out.<service key>`, the key carrying the subset's labels so
 * SDS serves exactly its endpoints (as Pilot named subset clusters), shortened to v1's 60 bytes.
 */
export function v1ClusterName(ref: ClusterRef): string {
  return v1ObjectName(`out.${v1ServiceKey(ref)}`);
}

export function v1ServiceKey(ref: ClusterRef): string {
  return formatServiceKey({ hostname: ref.host, portName: ref.portName, labels: ref.labels });
}

/**
 * The listener `fault` filters for a port's routes (spec §3.3): one per route that injects a fault
 * and each cluster it sends to, matched by `upstream_cluster` and the route's header conditions
 * (v1 fault filters cannot see the path). Percentages are whole numbers in v1; a fraction is cut.
 */
export function faultFilters(routes: readonly PlannedRoute[]): V1HttpFilter[] {
  const filters: V1HttpFilter[] = [];
  for (const route of routes) {
    const fault = route.fault;
    // A route v1 is not sent has no fault either: its filter would fault other routes' traffic.
    if (!fault || route.action.kind !== 'forward' || !isV1Expressible(route)) continue;
    const abort = fault.abort && fault.abort.httpStatus !== undefined ? fault.abort : undefined;
    const abortPercent = abort ? Math.floor(abort.percent) : 0;
    const delayPercent = fault.delay ? Math.floor(fault.delay.percent) : 0;
    if (abortPercent === 0 && delayPercent === 0) continue;
    for (const { ref } of route.action.clusters) {
      filters.push({
        type: 'decoder',
        name: 'fault',
        config: {
          ...(abort &&
            abortPercent > 0 && { abort: { abort_percent: abortPercent, http_status: abort.httpStatus } }),
          ...(fault.delay &&
            delayPercent > 0 && {
              delay: {
                type: 'fixed',
                fixed_delay_percent: delayPercent,
                fixed_duration_ms: fault.delay.fixedDelayMs,
              },
            }),
          ...(route.match.headers.length > 0 && {
            headers: [...route.match.headers].sort(byName).map(v1Header),
          }),
          upstream_cluster: v1ClusterName(ref),
        },
      });
    }
  }
  return filters;
}

function v1Header(condition: HeaderCondition): V1HeaderMatcher {
  const match = condition.match;
  if (!match) return { name: condition.name };
  if ('exact' in match) return { name: condition.name, value: match.exact };
  if ('prefix' in match)
    return { name: condition.name, value: `^${escapeRegex(match.prefix)}.*`, regex: true };
  return { name: condition.name, value: match.regex, regex: true };
}

function byName(a: HeaderCondition, b: HeaderCondition): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
