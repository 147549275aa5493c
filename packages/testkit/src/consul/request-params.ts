import type { IncomingMessage } from 'node:http';
import { parseGoDuration } from '../go-duration';

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
export function requestToken(request: IncomingMessage, query: URLSearchParams): string | undefined {
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
