/**
 * Failures a test makes the fake Nomad answer with instead of the real answer. Nomad's errors are
 * plain text; these are the ones an adapter meets in production.
 */
export interface NomadFault {
  /** Only requests to this path (exact) or matching this pattern. Default: every request. */
  readonly path?: string | RegExp;
  /** Only requests with this `?namespace=` (as sent; Nomad's default is `default`). */
  readonly namespace?: string;
  /** How many matching requests it answers. Default 1; `Infinity` until `clearFaults()`. */
  readonly times?: number;
  /** Answer with this status (default 500; 307 with `redirectTo`) and plain-text body (default: what Nomad says for it). */
  readonly status?: number;
  /**
   * A function makes the body from the request, for errors that quote it (a proxy in front of
   * Nomad, an RPC error carrying the request's token).
   */
  readonly body?: string | ((request: FaultedRequest) => string);
  /**
   * Redirect instead, as a proxy or load balancer in front of Nomad does when the API moved: a
   * Location on this origin (`http://10.0.0.9:4646`) with the request's own path and query.
   */
  readonly redirectTo?: string;
  /** Extra response headers (`Retry-After`, …). */
  readonly headers?: Readonly<Record<string, string>>;
  /** Accept the request and never answer it (until `dropConnections()` or close). */
  readonly hang?: boolean;
  /** Reset the connection without an answer. */
  readonly reset?: boolean;
}

/** What a faulted request carried, for a body that quotes it. */
export interface FaultedRequest {
  readonly path: string;
  /** `X-Nomad-Token` (or `Authorization: Bearer`), if sent. */
  readonly token: string | undefined;
}

/** What Nomad writes for a status when the test gives no body. */
export const DEFAULT_ERROR_BODIES: Readonly<Record<number, string>> = {
  400: 'Invalid index',
  403: 'Permission denied',
  404: '',
  405: 'Invalid method',
  // go-connlimit's answer when one client IP holds more than `limits.http_max_conns_per_client`.
  429: 'Your IP is issuing too many concurrent connections, please rate limit your calls\n',
  500: 'No cluster leader',
  503: 'Service Unavailable',
};

interface ActiveFault extends NomadFault {
  remaining: number;
}

export class FaultInjector {
  private readonly faults: ActiveFault[] = [];

  add(fault: NomadFault): void {
    this.faults.push({ ...fault, remaining: fault.times ?? 1 });
  }

  clear(): void {
    this.faults.length = 0;
  }

  /** The first fault matching the request, consuming one of its uses. */
  take(path: string, namespace: string | undefined): NomadFault | undefined {
    const index = this.faults.findIndex((fault) => matches(fault, path, namespace));
    const fault = this.faults[index];
    if (!fault) return undefined;
    fault.remaining -= 1;
    if (fault.remaining <= 0) this.faults.splice(index, 1);
    return fault;
  }
}

function matches(fault: NomadFault, path: string, namespace: string | undefined): boolean {
  if (typeof fault.path === 'string' && fault.path !== path) return false;
  if (fault.path instanceof RegExp && !fault.path.test(path)) return false;
  if (fault.namespace !== undefined && fault.namespace !== namespace) return false;
  return true;
}
