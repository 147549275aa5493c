import {
  normaliseWeights,
  type Destination,
  type HttpMatch,
  type HttpRoute,
  type Labels,
  type LoadBalancerPolicy,
  type ServiceEntry,
  type ServicePort,
  type Snapshot,
  type SourceSelector,
} from '@sextant/core';
import { clusterPlan } from './cluster-plan';
import type {
  ClusterRef,
  HashOn,
  PlannedAction,
  PlannedMatch,
  PlannedRetry,
  PlannedRoute,
  RoutePlan,
} from './plan-types';

/** What about the client decides which routes apply to it (VirtualService `sourceLabels`, legacy `match.source`). */
export interface ProxySource {
  /** Labels of the client's own workload (its instances at its IP). */
  readonly labels: Labels;
  readonly namespace?: string;
  /** Hostnames of the services the client's workload is an instance of. */
  readonly services: ReadonlySet<string>;
}

export const NO_SOURCE: ProxySource = { labels: {}, services: new Set() };

/** Defaults the daemon applies to routes that do not say (`defaults` in sextant.yaml). */
export interface RouteDefaults {
  /** The retry policy of routes without `retries`; absent: no retries. */
  readonly retry?: PlannedRetry;
}

/**
 * The routes for traffic to one port of a host, as a client sees them:
 * - no rule routes the host: one default route, everything to the port's cluster;
 * - otherwise the rule's routes in order, one per (route × match block), skipping blocks for
 *   another port or another kind of client, and stopping at the first catch-all (what follows it
 *   is unreachable). Legacy RouteRules then append the default route; a VirtualService does not
 *   (unmatched requests get 404), unless no route applies to this client at all, in which case
 *   the rule does not concern it and the default route returns (as istiod does).
 * Destinations that name a host, port or subset the mesh does not have are left out (validation
 * reports them); the remaining weights are normalised to integers summing to 100.
 */
export function routePlan(
  snapshot: Snapshot,
  entry: ServiceEntry,
  port: ServicePort,
  source: ProxySource,
  defaults: RouteDefaults,
): RoutePlan {
  const host = entry.service.hostname;
  const policy = entry.policy;
  const fallback = defaultRoute(entry, port, defaults);
  if (!policy?.http) return { host, port: port.port, routes: [fallback] };
  const routes: PlannedRoute[] = [];
  let caughtAll = false;
  for (const [index, route] of policy.http.entries()) {
    const blocks: (HttpMatch | undefined)[] = route.matches.length > 0 ? [...route.matches] : [undefined];
    for (const match of blocks) {
      if (match?.port !== undefined && match.port !== port.port) continue;
      if (match?.source && !selects(match.source, source)) continue;
      const planned = planRoute(snapshot, route, index, match, port, defaults);
      if (planned) routes.push(planned);
      if (isCatchAll(match)) {
        caughtAll = true;
        break;
      }
    }
    if (caughtAll) break;
  }
  if (routes.length === 0) return { host, port: port.port, routes: [fallback] };
  if (policy.appendDefaultRoute && !caughtAll) routes.push(fallback);
  return { host, port: port.port, routes };
}

function planRoute(
  snapshot: Snapshot,
  route: HttpRoute,
  index: number,
  match: HttpMatch | undefined,
  port: ServicePort,
  defaults: RouteDefaults,
): PlannedRoute | undefined {
  const action = planAction(snapshot, route, port);
  if (!action) return undefined;
  const retry: PlannedRetry | undefined =
    route.retries === undefined
      ? defaults.retry
      : route.retries.attempts > 0
        ? {
            attempts: route.retries.attempts,
            retryOn: route.retries.retryOn,
            ...(route.retries.perTryTimeoutMs !== undefined && {
              perTryTimeoutMs: route.retries.perTryTimeoutMs,
            }),
            ...(route.retries.backoffMs !== undefined && { backoffMs: route.retries.backoffMs }),
          }
        : undefined;
  const mirrors = route.mirrors.flatMap((mirror) => {
    const ref = resolve(snapshot, mirror.destination, port.port);
    return ref ? [{ ref, percent: mirror.percent }] : [];
  });
  const name = [route.name ?? `route-${index}`, match?.name].filter((part) => part !== undefined).join('.');
  const hashPolicy = action.kind === 'forward' ? hashPolicies(snapshot, action.clusters) : [];
  return {
    name,
    match: plannedMatch(match),
    action,
    timeoutMs: route.timeoutMs ?? 0,
    ...(retry && { retry }),
    ...(route.fault && {
      fault: {
        ...(route.fault.delay && { delay: route.fault.delay }),
        ...(route.fault.abort && { abort: route.fault.abort }),
      },
    }),
    mirrors,
    ...(route.rewrite && { rewrite: route.rewrite }),
    ...(route.cors && { cors: route.cors }),
    ...(route.headers && { headers: route.headers }),
    ...(hashPolicy.length > 0 && { hashPolicy }),
    origin: match?.origin ?? route.origin,
  };
}

function planAction(snapshot: Snapshot, route: HttpRoute, port: ServicePort): PlannedAction | undefined {
  const action = route.action;
  if (action.kind === 'redirect') return { kind: 'redirect', redirect: action.redirect };
  if (action.kind === 'direct')
    return { kind: 'direct', status: action.status, ...(action.body !== undefined && { body: action.body }) };
  const resolved = action.destinations.flatMap((destination) => {
    const ref = resolve(snapshot, destination, port.port);
    return ref ? [{ ref, weight: destination.weight }] : [];
  });
  if (resolved.length === 0) {
    // Every destination is unknown: nothing to forward to. Clients get 503 (as Envoy answers a
    // route whose cluster is missing), without being sent a route naming a cluster they lack.
    return { kind: 'direct', status: 503, body: 'no destination of this route exists in the mesh' };
  }
  const weights = normaliseWeights(resolved.map((d) => (resolved.length === 1 ? 1 : d.weight)));
  const clusters = resolved
    .map((d, i) => ({ ref: d.ref, weight: weights[i] ?? 0 }))
    .filter((c) => c.weight > 0);
  return { kind: 'forward', clusters };
}

/** The hosts an entry's HTTP routes forward or mirror to, other than itself. */
export function routeTargets(entry: ServiceEntry | undefined): Set<string> {
  const targets = new Set<string>();
  for (const route of entry?.policy?.http ?? []) {
    if (route.action.kind === 'route') for (const d of route.action.destinations) targets.add(d.host);
    for (const mirror of route.mirrors) targets.add(mirror.destination.host);
  }
  targets.delete(entry?.service.hostname ?? '');
  return targets;
}

/** Whether some of the entry's routes apply only to some clients (a source selector). */
export function selectsClients(entry: ServiceEntry | undefined): boolean {
  return entry?.policy?.http?.some((route) => route.matches.some((m) => m.source !== undefined)) ?? false;
}

/**
 * Text naming everything a host's route plan is computed from but the client and the defaults:
 * its shape (hostname, ports, VIPs and policy) and the shapes of the hosts its routes send
 * traffic to (which ports and subsets exist there, how they balance load). Shapes are content
 * digests: equal text, equal plan, in any snapshot.
 */
export function routePlanKey(snapshot: Snapshot, entry: ServiceEntry): string {
  let key = entry.shape;
  for (const host of routeTargets(entry)) key += ` ${host}=${snapshot.services.get(host)?.shape ?? '-'}`;
  return key;
}

/** The cluster a destination names, if the mesh has its host, port and subset. */
export function resolve(
  snapshot: Snapshot,
  destination: Destination,
  listenerPort: number,
): ClusterRef | undefined {
  const target = snapshot.services.get(destination.host);
  if (!target) return undefined;
  const ports = target.service.ports;
  const port =
    destination.port !== undefined
      ? ports.find((p) => p.port === destination.port)
      : ports.length === 1
        ? ports[0]
        : ports.find((p) => p.port === listenerPort);
  if (!port) return undefined;
  if (destination.subset === undefined) {
    return { host: destination.host, port: port.port, portName: port.name, labels: {} };
  }
  const subset = target.policy?.subsets.find((s) => s.name === destination.subset);
  if (!subset) return undefined;
  return {
    host: destination.host,
    port: port.port,
    portName: port.name,
    subset: subset.name,
    labels: subset.labels,
  };
}

function defaultRoute(entry: ServiceEntry, port: ServicePort, defaults: RouteDefaults): PlannedRoute {
  const hashOn = hashOf(clusterPlan(entry, port)?.loadBalancer);
  return {
    name: 'default',
    match: { ignoreUriCase: false, headers: [], queryParams: [] },
    action: {
      kind: 'forward',
      clusters: [
        {
          ref: { host: entry.service.hostname, port: port.port, portName: port.name, labels: {} },
          weight: 100,
        },
      ],
    },
    timeoutMs: 0,
    ...(defaults.retry && { retry: defaults.retry }),
    mirrors: [],
    ...(hashOn && { hashPolicy: [hashOn] }),
  };
}

/**
 * What the route's destinations hash on: each consistent-hash destination's setting (its
 * subset's policy over the host's, for its port), each distinct one once, in destination order.
 */
function hashPolicies(snapshot: Snapshot, clusters: readonly { readonly ref: ClusterRef }[]): HashOn[] {
  const found = new Map<string, HashOn>();
  for (const { ref } of clusters) {
    const entry = snapshot.services.get(ref.host);
    const port = entry?.service.ports.find((p) => p.port === ref.port);
    const hashOn = entry && port && hashOf(clusterPlan(entry, port, ref.subset)?.loadBalancer);
    if (hashOn) found.set(JSON.stringify(hashOn), hashOn);
  }
  return [...found.values()];
}

function hashOf(policy: LoadBalancerPolicy | undefined): HashOn | undefined {
  return policy?.kind === 'consistent-hash' ? policy.hashOn : undefined;
}

function plannedMatch(match: HttpMatch | undefined): PlannedMatch {
  if (!match) return { ignoreUriCase: false, headers: [], queryParams: [] };
  return {
    ...(match.uri && { uri: match.uri }),
    ignoreUriCase: match.ignoreUriCase,
    headers: match.headers,
    queryParams: match.queryParams,
  };
}

/** A block that matches every request: no path condition but `/`, no header or query condition. */
function isCatchAll(match: HttpMatch | undefined): boolean {
  if (!match) return true;
  const uri = match.uri;
  const anyPath = !uri || ('prefix' in uri && uri.prefix === '/') || ('regex' in uri && uri.regex === '.*');
  return anyPath && match.headers.length === 0 && match.queryParams.length === 0;
}

function selects(selector: SourceSelector, source: ProxySource): boolean {
  if (selector.namespace !== undefined && selector.namespace !== source.namespace) return false;
  if (source.namespace !== undefined && selector.excludedNamespaces?.includes(source.namespace)) return false;
  if (selector.service !== undefined && !source.services.has(selector.service)) return false;
  for (const [key, value] of Object.entries(selector.labels ?? {})) {
    if (source.labels[key] !== value) return false;
  }
  return true;
}
