/** What a faulted request carried, for a body that quotes it. */
export interface FaultedRequest {
  readonly path: string;
  /** The ACL token sent (`?token=`, `X-Consul-Token` or `Authorization: Bearer`), if any. */
  readonly token: string | undefined;
}

/** An error answer to inject: a status and the plain-text body Consul would send with it. */
export interface InjectedError {
  readonly status: number;
  /**
   * Default: the text Consul sends for the status (`Too Many Requests`, `No cluster leader`, …). A
   * function makes a body from the request, for errors that quote it (a proxy in front of the
   * agent, an RPC error carrying the request).
   */
  readonly body?: string | ((request: FaultedRequest) => string);
}

/**
 * A redirect to answer with, as a proxy or load balancer in front of the agent sends when the API
 * moved: `status` (default 307) and a Location on `to` (an origin such as `http://10.0.0.9:8500`)
 * with the request's own path and query.
 */
export interface InjectedRedirect {
  readonly to: string;
  readonly status?: number;
}

/** Which requests a fault applies to: every request, or those whose path starts with `path`. */
export interface FaultScope {
  readonly path?: string;
  /** How many matching requests it applies to; default: every one until cleared. */
  readonly count?: number;
}

interface Rule<T> {
  readonly path: string;
  remaining: number;
  readonly value: T;
}

const DEFAULT_BODIES: Record<number, string> = {
  429: 'Too Many Requests',
  500: 'No cluster leader',
  503: 'Service Unavailable',
};

export type FaultDecision =
  | { readonly kind: 'error'; readonly status: number; readonly body: string }
  | { readonly kind: 'redirect'; readonly status: number; readonly to: string }
  | { readonly kind: 'hang' }
  | undefined;

/**
 * The faults a test has asked for, consumed request by request: injected error answers, redirects,
 * hung connections (the request is read and never answered), and answers carrying
 * `X-Consul-Index: 0`.
 */
export class FaultPlan {
  private readonly errors: Rule<InjectedError | { readonly redirect: InjectedRedirect }>[] = [];
  private readonly hangs: Rule<true>[] = [];
  private readonly zeroIndexes: Rule<true>[] = [];
  knownLeader = true;

  injectError(error: InjectedError, scope: FaultScope = {}): void {
    this.errors.push(rule(error, scope));
  }

  redirect(redirect: InjectedRedirect, scope: FaultScope = {}): void {
    this.errors.push(rule({ redirect }, scope));
  }

  hang(scope: FaultScope = {}): void {
    this.hangs.push(rule(true, scope));
  }

  zeroIndex(scope: FaultScope = {}): void {
    this.zeroIndexes.push(rule(true, scope));
  }

  clear(): void {
    this.errors.length = 0;
    this.hangs.length = 0;
    this.zeroIndexes.length = 0;
    this.knownLeader = true;
  }

  /** What to do with a request (hangs first: a hung server answers nothing at all). */
  decide(request: FaultedRequest): FaultDecision {
    if (consume(this.hangs, request.path)) return { kind: 'hang' };
    const error = consume(this.errors, request.path);
    if (!error) return undefined;
    if ('redirect' in error) {
      return { kind: 'redirect', status: error.redirect.status ?? 307, to: error.redirect.to };
    }
    const body = typeof error.body === 'function' ? error.body(request) : error.body;
    return {
      kind: 'error',
      status: error.status,
      body: body ?? DEFAULT_BODIES[error.status] ?? 'Internal Server Error',
    };
  }

  /** Whether this successful answer must carry index 0 (old Consul bugs). */
  takeZeroIndex(path: string): boolean {
    return consume(this.zeroIndexes, path) === true;
  }
}

function rule<T>(value: T, scope: FaultScope): Rule<T> {
  return { path: scope.path ?? '', remaining: scope.count ?? Number.POSITIVE_INFINITY, value };
}

function consume<T>(rules: Rule<T>[], path: string): T | undefined {
  const index = rules.findIndex((r) => path.startsWith(r.path) && r.remaining > 0);
  if (index < 0) return undefined;
  const found = rules[index] as Rule<T>;
  found.remaining -= 1;
  if (found.remaining <= 0) rules.splice(index, 1);
  return found.value;
}
