import type { IncomingMessage } from 'node:http';

/** An answer Consul gives as plain text with a status code (its errors are never JSON). */
export class ConsulHttpError extends Error {
  constructor(
    readonly status: number,
    readonly text: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(text);
  }
}

/** The blocking and consistency parameters of a read, validated as Consul validates them. */
export interface ReadParams {
  /** Absent or 0: answer now. */
  readonly index: bigint;
  /** Requested wait in ms, before Consul's default and cap; undefined when not given. */
  readonly waitMs: number | undefined;
  readonly consistency: 'leader' | 'stale' | 'consistent';
  readonly datacenter: string | undefined;
  readonly token: string | undefined;
}

const GO_UNITS_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};
const GO_DURATION = /^(?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|ms|s|m|h)/;

/** Go's time.ParseDuration (what Consul uses for `wait`), in milliseconds; undefined if invalid. */
export function parseGoDuration(text: string): number | undefined {
  if (text === '0') return 0;
  let rest = text;
  let total = 0;
  if (rest === '') return undefined;
  while (rest !== '') {
    const match = GO_DURATION.exec(rest);
    if (!match) return undefined;
    const part = match[0];
    const unit = /(ns|us|µs|ms|s|m|h)$/.exec(part)?.[0] ?? '';
    total += Number(part.slice(0, part.length - unit.length)) * (GO_UNITS_MS[unit] ?? 0);
    rest = rest.slice(part.length);
  }
  return total;
}

/** Presence flags (`?stale`, `?stale=1`): Consul ignores their value. */
function present(query: URLSearchParams, name: string): boolean {
  return query.has(name);
}

/**
 * Reads the common parameters of a GET, throwing the 400 Consul would answer: `Invalid index`,
 * `Invalid wait time`, and the conflict between `?stale` and `?consistent`.
 */
export function readParams(request: IncomingMessage, query: URLSearchParams): ReadParams {
  const indexText = query.get('index');
  let index = 0n;
  if (indexText !== null && indexText !== '') {
    if (!/^\d+$/.test(indexText)) throw new ConsulHttpError(400, 'Invalid index');
    index = BigInt(indexText);
  }
  const waitText = query.get('wait');
  let waitMs: number | undefined;
  if (waitText !== null && waitText !== '') {
    waitMs = parseGoDuration(waitText);
    if (waitMs === undefined) throw new ConsulHttpError(400, 'Invalid wait time');
  }
  const stale = present(query, 'stale');
  const consistent = present(query, 'consistent');
  if (stale && consistent) {
    throw new ConsulHttpError(400, 'Cannot specify ?stale with ?consistent, conflicting semantics.');
  }
  const dc = query.get('dc');
  return {
    index,
    waitMs,
    consistency: stale ? 'stale' : consistent ? 'consistent' : 'leader',
    datacenter: dc === null || dc === '' ? undefined : dc,
    token: requestToken(request, query),
  };
}

/** `?token=` wins over `X-Consul-Token`, which wins over `Authorization: Bearer`. */
function requestToken(request: IncomingMessage, query: URLSearchParams): string | undefined {
  const fromQuery = query.get('token');
  if (fromQuery) return fromQuery;
  const header = request.headers['x-consul-token'];
  if (typeof header === 'string' && header !== '') return header;
  const authorization = request.headers.authorization;
  const bearer = typeof authorization === 'string' ? /^Bearer\s+(.+)$/i.exec(authorization) : null;
  return bearer?.[1];
}

/** `?passing`: bare means true; otherwise a Go boolean; anything else is a 400. */
export function readPassing(query: URLSearchParams): boolean {
  if (!query.has('passing')) return false;
  const value = query.get('passing') ?? '';
  if (value === '') return true;
  if (['1', 't', 'T', 'true', 'TRUE', 'True'].includes(value)) return true;
  if (['0', 'f', 'F', 'false', 'FALSE', 'False'].includes(value)) return false;
  throw new ConsulHttpError(400, 'Invalid value for ?passing');
}
