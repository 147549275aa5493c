import { SimulationError } from './errors';

/** A fault a filter injects into requests to one cluster, each part applied to its own share of them. */
export interface FaultOutcome {
  /** The HTTP filter that injects it (`envoy.filters.http.fault`; v1: `fault`). */
  readonly filter: string;
  /** Held back `ms` before going upstream. */
  readonly delay?: { readonly ms: number; readonly fraction: number };
  /** Answered by the proxy (or failed by the gRPC client) instead of going upstream. */
  readonly abort?: { readonly httpStatus?: number; readonly grpcStatus?: number; readonly fraction: number };
}

/** One cluster a matched route sends to. */
export interface ClusterShare {
  /** `''` when the route names its cluster by a request header the request lacks. */
  readonly name: string;
  readonly weight: number;
  /** `weight / totalWeight`, exactly: 80 of 100 is 0.8. */
  readonly fraction: number;
  /** Faults applied to requests sent to this cluster, in filter order; empty when none. */
  readonly faults: readonly FaultOutcome[];
}

export interface RetryOutcome {
  readonly retryOn: readonly string[];
  readonly numRetries: number;
  /** gRPC: attempts the client makes at most (`num_retries + 1`, capped at 5). */
  readonly maxAttempts?: number;
  readonly perTryTimeoutMs?: number;
  readonly retriableStatusCodes?: readonly number[];
  readonly backoff?: { readonly baseMs: number; readonly maxMs: number };
}

export type HashPolicyOutcome = { readonly terminal: boolean } & (
  | { readonly kind: 'header'; readonly name: string }
  | { readonly kind: 'cookie'; readonly name: string }
  | { readonly kind: 'query-parameter'; readonly name: string }
  | { readonly kind: 'source-ip' }
  | { readonly kind: 'filter-state'; readonly key: string }
);

interface Matched {
  /** The virtual host's name. */
  readonly virtualHost: string;
  /** The route that matched: its position in the virtual host's list, and its name if it has one. */
  readonly route: { readonly index: number; readonly name?: string };
}

export interface RouteOutcome extends Matched {
  readonly kind: 'route';
  readonly clusters: readonly ClusterShare[];
  readonly totalWeight: number;
  /** The route's timeout; absent when there is none (`0`, or gRPC's application deadline). */
  readonly timeoutMs?: number;
  /** Envoy v3 `max_stream_duration.max_stream_duration`. */
  readonly maxStreamDurationMs?: number;
  readonly retry?: RetryOutcome;
  /** The `:path` and authority the upstream request carries, when the route rewrites them. */
  readonly rewrite?: { readonly path?: string; readonly authority?: string };
  /** Clusters that get a copy of a share of the requests. */
  readonly mirrors?: readonly { readonly cluster: string; readonly fraction: number }[];
  readonly hashPolicy?: readonly HashPolicyOutcome[];
}

export interface RedirectOutcome extends Matched {
  readonly kind: 'redirect';
  readonly status: number;
  readonly location: string;
}

export interface DirectOutcome extends Matched {
  readonly kind: 'direct';
  readonly status: number;
  readonly body?: string;
}

/**
 * What happens to one request. `no-virtual-host` and `no-route` are Envoy's 404 (NR) and a gRPC
 * client's UNAVAILABLE; `failed` is an RPC a gRPC client fails itself (C-core on a route whose
 * action it cannot use); `invalid` is a configuration the client refuses as a whole (Envoy
 * rejects the update, a gRPC client NACKs it), whatever the request.
 */
export type SimOutcome =
  | RouteOutcome
  | RedirectOutcome
  | DirectOutcome
  | { readonly kind: 'no-virtual-host' }
  | ({ readonly kind: 'no-route' } & Pick<Matched, 'virtualHost'>)
  | ({ readonly kind: 'failed'; readonly grpcStatus: number; readonly reason: string } & Matched)
  | { readonly kind: 'invalid'; readonly reasons: readonly string[] };

function routed(outcome: SimOutcome): RouteOutcome {
  if (outcome.kind !== 'route') {
    const detail = outcome.kind === 'invalid' ? `: ${outcome.reasons.join('; ')}` : '';
    throw new SimulationError('', `the request is not routed to clusters (outcome ${outcome.kind}${detail})`);
  }
  return outcome;
}

/** The share of requests each cluster gets (`{ 'outbound|9080|v1|reviews': 0.8, … }`); throws unless the outcome is a route. */
export function distribution(outcome: SimOutcome): Record<string, number> {
  const shares: Record<string, number> = {};
  for (const { name, weight } of routed(outcome).clusters) shares[name] = (shares[name] ?? 0) + weight;
  const total = routed(outcome).totalWeight;
  for (const name of Object.keys(shares)) shares[name] = (shares[name] ?? 0) / total;
  return shares;
}

/**
 * The cluster one request goes to, as Envoy and the gRPC clients pick it: a number below the total
 * weight, then the first cluster whose cumulative weight exceeds it. `random` returns [0, 1).
 */
export function pick(outcome: SimOutcome, random: () => number = Math.random): ClusterShare {
  const { clusters, totalWeight } = routed(outcome);
  const value = Math.floor(random() * totalWeight);
  let end = 0;
  for (const cluster of clusters) {
    end += cluster.weight;
    if (value < end) return cluster;
  }
  throw new SimulationError('', `random() returned a number outside [0, 1)`);
}
