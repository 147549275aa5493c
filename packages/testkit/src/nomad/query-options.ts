import { parseGoDuration } from '../go-duration';

/** Nomad's QueryOptions, parsed from a request as `HTTPServer.parse` does. */
export interface QueryOptions {
  readonly region: string | undefined;
  readonly namespace: string;
  readonly stale: boolean;
  readonly minIndex: number;
  readonly waitMs: number | undefined;
  readonly perPage: number;
  readonly nextToken: string;
  readonly reverse: boolean;
  readonly filter: string | undefined;
  /** The secret from `X-Nomad-Token` or `Authorization: Bearer`. */
  readonly token: string | undefined;
}

export type ParsedQuery =
  { readonly ok: true; readonly options: QueryOptions } | { readonly ok: false; readonly message: string };

const GO_TRUE = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const GO_FALSE = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);

/**
 * Parses the query string and token headers in Nomad's order (consistency, pagination, then wait
 * and index), stopping at the first error with Nomad's own text, answered as 400.
 */
export function parseQueryOptions(
  query: URLSearchParams,
  headers: Readonly<Record<string, string | string[] | undefined>>,
): ParsedQuery {
  let stale = false;
  if (query.has('stale')) {
    const value = query.get('stale') ?? '';
    if (value === '' || GO_TRUE.has(value)) stale = true;
    else if (!GO_FALSE.has(value))
      return { ok: false, message: 'Expect `true` or `false` for `stale` query string parameter' };
  }
  let perPage = 0;
  const rawPerPage = query.get('per_page') ?? '';
  if (rawPerPage !== '') {
    if (!/^[-+]?\d+$/.test(rawPerPage) || Math.abs(Number(rawPerPage)) > 2 ** 31 - 1)
      return { ok: false, message: 'Expect a number for `per_page` query string parameter' };
    perPage = Number(rawPerPage);
  }
  let waitMs: number | undefined;
  const rawWait = query.get('wait') ?? '';
  if (rawWait !== '') {
    waitMs = parseGoDuration(rawWait);
    if (waitMs === undefined) return { ok: false, message: 'Invalid wait time' };
  }
  let minIndex = 0;
  const rawIndex = query.get('index') ?? '';
  if (rawIndex !== '') {
    if (!/^\d+$/.test(rawIndex) || BigInt(rawIndex) > 2n ** 64n - 1n)
      return { ok: false, message: 'Invalid index' };
    minIndex = Number(rawIndex);
  }
  return {
    ok: true,
    options: {
      region: query.get('region') || undefined,
      namespace: query.get('namespace') || 'default',
      stale,
      minIndex,
      waitMs,
      perPage,
      nextToken: query.get('next_token') ?? '',
      reverse: query.get('reverse') === 'true',
      filter: query.get('filter') || undefined,
      token: tokenFrom(headers),
    },
  };
}

/** The token a request carries (`X-Nomad-Token`, else `Authorization: Bearer`). */
export function tokenFrom(
  headers: Readonly<Record<string, string | string[] | undefined>>,
): string | undefined {
  const header = headers['x-nomad-token'];
  if (typeof header === 'string' && header.trim() !== '') return header.trim();
  const authorization = headers.authorization;
  if (typeof authorization !== 'string') return undefined;
  const [scheme, ...rest] = authorization.split(' ');
  if (rest.length === 0 || scheme?.toLowerCase() !== 'bearer') return undefined;
  return rest.join(' ').trim().split(' ')[0];
}
