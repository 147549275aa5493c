import { STATUS_CODES } from 'node:http';
import { isRedirect, redirectRefusal } from '@sextant/adapter-kit';

/**
 * A failed request to the API server, whatever failed: an HTTP status with the server's `Status`
 * (`code`, `reason`, `message`), a watch ERROR event, or no answer at all (no `code`). `message`
 * is the server's own words when it gave some, since they say what to fix (RBAC messages name
 * the user, verb and resource).
 */
export class KubeApiError extends Error {
  override readonly name = 'KubeApiError';
  constructor(
    message: string,
    /** HTTP status or Status `code`; undefined when the server could not be reached. */
    readonly code?: number,
    readonly reason?: string,
    /** How long the server asked the client to wait (`Retry-After`, `details.retryAfterSeconds`). */
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }

  /** 410 Gone / Expired: the resourceVersion or continue token is too old; relist. */
  get expired(): boolean {
    return this.code === 410;
  }

  get unauthorized(): boolean {
    return this.code === 401;
  }
}

/** What the API server sends with every failure. */
export interface StatusObject {
  readonly kind?: string;
  readonly code?: number;
  readonly reason?: string;
  readonly message?: string;
  readonly details?: { readonly retryAfterSeconds?: number };
}

/**
 * The error a failed response means: `body` is its parsed JSON (a Status) or text. A redirect
 * (never followed) names its target, resolved against `requestUrl` when it is relative.
 */
export function fromResponse(
  code: number,
  body: unknown,
  header: (name: string) => string | undefined,
  requestUrl?: URL,
): KubeApiError {
  if (isRedirect(code)) {
    // node-fetch makes a Location absolute already; a relative one without a request URL is shown as it came.
    const message = redirectRefusal('the API server', code, header('location'), requestUrl, 'credentials');
    return new KubeApiError(message, code);
  }
  const status = isStatus(body) ? body : undefined;
  const text = typeof body === 'string' ? body.trim().slice(0, 200) : '';
  const message = status?.message || text || STATUS_CODES[code] || `HTTP ${code}`;
  return new KubeApiError(
    message,
    status?.code ?? code,
    status?.reason,
    retryAfterMs(header('retry-after'), status),
  );
}

/** The error a watch ERROR event carries. */
export function fromStatus(status: unknown): KubeApiError {
  const s = isStatus(status) ? status : {};
  return new KubeApiError(
    s.message || `watch error ${s.code ?? ''}`.trim(),
    s.code,
    s.reason,
    retryAfterMs(undefined, s),
  );
}

/**
 * Any error a client-node call or a watch can end with, as a KubeApiError: client-node's
 * ApiException (code, parsed body, headers), node-fetch's FetchError (no answer), and errors
 * the configuration raises at request time (an exec plugin failing, a missing CA file).
 */
export function toKubeApiError(error: unknown): KubeApiError {
  if (error instanceof KubeApiError) return error;
  const e = error as { code?: unknown; body?: unknown; headers?: Record<string, string>; message?: string };
  if (typeof e?.code === 'number' && e.code >= 100 && e.code < 600) {
    const headers = e.headers ?? {};
    return fromResponse(e.code, parseBody(e.body), (name) => headers[name] ?? headers[name.toLowerCase()]);
  }
  const message = typeof e?.message === 'string' ? e.message : String(error);
  // node-fetch: "request to https://… failed, reason: connect ECONNREFUSED 10.96.0.1:443".
  const reason = /failed, reason: (.*)$/.exec(message)?.[1];
  return new KubeApiError(reason ? `cannot reach the API server: ${reason}` : message);
}

function parseBody(body: unknown): unknown {
  if (typeof body !== 'string') return body;
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return body;
  }
}

function isStatus(value: unknown): value is StatusObject {
  return typeof value === 'object' && value !== null && (value as StatusObject).kind === 'Status';
}

/** `Retry-After` (seconds, or an HTTP date) or the Status's `details.retryAfterSeconds`, in ms. */
function retryAfterMs(header: string | undefined, status: StatusObject | undefined): number | undefined {
  if (header !== undefined && header.trim() !== '') {
    const seconds = Number(header);
    if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
    const date = Date.parse(header);
    if (!Number.isNaN(date)) return Math.max(0, date - Date.now());
  }
  const seconds = status?.details?.retryAfterSeconds;
  return typeof seconds === 'number' && seconds >= 0 ? seconds * 1000 : undefined;
}
