/**
 * Why a request to Consul failed, in the classes the adapter reacts to differently:
 * - `unreachable`, `timeout`, `throttled` (429), `server` (5xx), `invalid` (a body that is not what
 *   the endpoint returns), `redirected` (a 3xx, not followed: the address leads elsewhere, such as
 *   through a proxy): Consul is unavailable; retry with exponential backoff and jitter;
 * - `denied` (403): the token is unknown or lacks rights; retry slowly, re-reading a token file;
 * - `rejected` (another 4xx): this request is wrong; retry slowly, it will not fix itself soon.
 */
export type FaultKind =
  'unreachable' | 'timeout' | 'throttled' | 'server' | 'invalid' | 'redirected' | 'denied' | 'rejected';

/** A failed request, with a message fit for a status line and a log (once the adapter's Redactor has seen it). */
export class ConsulFault extends Error {
  override readonly name = 'ConsulFault';
  constructor(
    readonly kind: FaultKind,
    /** What went wrong, without the request (`cannot reach Consul at …: ECONNREFUSED`). */
    readonly reason: string,
    /** The request it happened to (`GET /v1/health/service/web`), when there was one. */
    readonly request?: string,
    /** The HTTP status, for answers. */
    readonly status?: number,
  ) {
    super(request ? `${request}: ${reason}` : reason);
  }
}

/** The class of an HTTP error status. */
export function faultKindOfStatus(status: number): FaultKind {
  if (status === 403 || status === 401) return 'denied';
  if (status === 429) return 'throttled';
  if (status >= 500) return 'server';
  return 'rejected';
}
