import type {
  CorsPolicy,
  HeaderCondition,
  HeaderOperations,
  Labels,
  LoadBalancerPolicy,
  Origin,
  QueryCondition,
  Redirect,
  Rewrite,
  StringMatch,
} from '@sextant/core';

/**
 * Protocol-neutral plans between the model and the wire: what a proxy's routes and clusters are,
 * decided once, so the v1, v3 Envoy and proxyless gRPC encoders only encode and cannot drift.
 */

/** A cluster a route sends traffic to: a port of a service, narrowed to a subset. */
export interface ClusterRef {
  readonly host: string;
  readonly port: number;
  readonly portName: string;
  readonly subset?: string;
  /** The subset's labels (its endpoints are the port's instances carrying them). */
  readonly labels: Labels;
}

export interface PlannedMatch {
  /** Absent: every path (`prefix: /`). */
  readonly uri?: StringMatch;
  readonly ignoreUriCase: boolean;
  readonly headers: readonly HeaderCondition[];
  readonly queryParams: readonly QueryCondition[];
}

export interface PlannedRetry {
  readonly attempts: number;
  readonly retryOn: readonly string[];
  readonly perTryTimeoutMs?: number;
  readonly backoffMs?: number;
}

export interface PlannedFault {
  readonly delay?: { readonly fixedDelayMs: number; readonly percent: number };
  readonly abort?: { readonly httpStatus?: number; readonly grpcStatus?: string; readonly percent: number };
}

export type PlannedAction =
  | {
      readonly kind: 'forward';
      /** Weights are integers summing to 100 (normalised once, in plan/weights.ts). */
      readonly clusters: readonly { readonly ref: ClusterRef; readonly weight: number }[];
    }
  | { readonly kind: 'redirect'; readonly redirect: Redirect }
  | { readonly kind: 'direct'; readonly status: number; readonly body?: string };

/** What a consistent-hash destination hashes requests on (DestinationRule `consistentHash`). */
export type HashOn = Extract<LoadBalancerPolicy, { kind: 'consistent-hash' }>['hashOn'];

/** One route of a route table, in match order. */
export interface PlannedRoute {
  /** `<route name>.<match name>`, or `default` for a host's default route. */
  readonly name: string;
  readonly match: PlannedMatch;
  readonly action: PlannedAction;
  /** 0: no timeout. */
  readonly timeoutMs: number;
  readonly retry?: PlannedRetry;
  readonly fault?: PlannedFault;
  readonly mirrors: readonly { readonly ref: ClusterRef; readonly percent: number }[];
  readonly rewrite?: Rewrite;
  readonly cors?: CorsPolicy;
  readonly headers?: HeaderOperations;
  /**
   * What requests are hashed on, for destinations balanced by consistent hash: the hash is
   * computed by the route, so without it a ring-hash cluster picks hosts at random. Absent when
   * no destination hashes.
   */
  readonly hashPolicy?: readonly HashOn[];
  /** The rule and field this route came from; absent for a default route. */
  readonly origin?: Origin;
}

/** The routes for traffic to one port of one host. */
export interface RoutePlan {
  readonly host: string;
  readonly port: number;
  readonly routes: readonly PlannedRoute[];
}
