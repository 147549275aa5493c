/** An error answer to inject: a status and the plain-text body Consul would send with it. */
export interface InjectedError {
  readonly status: number;
  /** Default: the text Consul sends for the status (`Too Many Requests`, `No cluster leader`, …). */
  readonly body?: string;
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
  | { readonly kind: 'hang' }
  | undefined;

/**
 * The faults a test has asked for, consumed request by request: injected error answers, hung
 * connections (the request is read and never answered), and answers carrying `X-Consul-Index: 0`.
 */
export class FaultPlan {
  private readonly errors: Rule<InjectedError>[] = [];
  private readonly hangs: Rule<true>[] = [];
  private readonly zeroIndexes: Rule<true>[] = [];
  knownLeader = true;

  injectError(error: InjectedError, scope: FaultScope = {}): void {
    this.errors.push(rule(error, scope));
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

  /** What to do with a request for `path` (hangs first: a hung server answers nothing at all). */
  decide(path: string): FaultDecision {
    if (consume(this.hangs, path)) return { kind: 'hang' };
    const error = consume(this.errors, path);
    if (error) {
      return {
        kind: 'error',
        status: error.status,
        body: error.body ?? DEFAULT_BODIES[error.status] ?? 'Internal Server Error',
      };
    }
    return undefined;
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
