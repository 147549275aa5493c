import { SimulationError } from './errors';

/** One request, as the client routing it sees it. */
export interface SimRequest {
  /**
   * The Host / `:authority`, with the port when the client sends one (`reviews:9080`). For a gRPC
   * client: the authority it routes by, the dial target's host[:port] (`xds:///reviews:9080` →
   * `reviews:9080`) unless the channel sets `grpc.default_authority`.
   */
  readonly authority: string;
  /** The `:path`, optionally with `?query`. For gRPC: `/package.Service/Method`. */
  readonly path: string;
  /** Default `GET` (gRPC: `POST`). */
  readonly method?: string;
  /** Default `http`. */
  readonly scheme?: string;
  /**
   * Headers (gRPC: metadata). Names are case-insensitive; a list is a header sent several times.
   * Pseudo-headers come from the fields above, not from here.
   */
  readonly headers?: Readonly<Record<string, string | readonly string[]>>;
  /** Query parameters appended to the path as `k=v`, written as they are on the wire (not encoded). */
  readonly query?: Readonly<Record<string, string>>;
}

/** A request ready for matching. */
export interface RequestView {
  readonly authority: string;
  /** `:path` as sent, query included. */
  readonly path: string;
  /** The path without `?query` and `#fragment`, which Envoy's path matchers compare against. */
  readonly pathOnly: string;
  readonly method: string;
  readonly scheme: string;
  /** The values of a regular header (lower-case name), in order; empty when absent. */
  values(name: string): readonly string[];
  /** Values of the request's pseudo-headers by name (`:authority`, `:path`, `:method`, `:scheme`). */
  pseudo(name: string): string | undefined;
  /** The first value of a query parameter (`''` for a bare key), undefined when absent; not decoded, as Envoy reads it. */
  queryParameter(name: string): string | undefined;
}

export function requestView(request: SimRequest, defaults: { method: string }): RequestView {
  if (typeof request !== 'object' || request === null)
    throw new SimulationError('request', 'expected an object');
  const { authority, method = defaults.method, scheme = 'http' } = request;
  if (typeof authority !== 'string') throw new SimulationError('request.authority', 'expected a string');
  if (typeof request.path !== 'string') throw new SimulationError('request.path', 'expected a string');
  const path = withQuery(request.path, request.query);
  const queryStart = path.search(/[?#]/);
  const pathOnly = queryStart < 0 ? path : path.slice(0, queryStart);
  const headers = headerMap(request.headers);
  const query = queryParameters(path);
  const pseudo: Record<string, string> = {
    ':authority': authority,
    ':path': path,
    ':method': method,
    ':scheme': scheme,
  };
  return {
    authority,
    path,
    pathOnly,
    method,
    scheme,
    values: (name) => headers.get(name) ?? [],
    pseudo: (name) => (Object.hasOwn(pseudo, name) ? pseudo[name] : undefined),
    queryParameter: (name) => query.get(name),
  };
}

function withQuery(path: string, query: SimRequest['query']): string {
  if (query === undefined) return path;
  const pairs = Object.entries(query).map(([key, value]) => `${key}=${value}`);
  if (pairs.length === 0) return path;
  return `${path}${path.includes('?') ? '&' : '?'}${pairs.join('&')}`;
}

function headerMap(headers: SimRequest['headers']): Map<string, readonly string[]> {
  const map = new Map<string, string[]>();
  for (const [name, value] of Object.entries(headers ?? {})) {
    const key = name.toLowerCase();
    if (key === '' || key.startsWith(':')) {
      throw new SimulationError(
        `request.headers.${name}`,
        'set pseudo-headers through authority, path, method and scheme',
      );
    }
    const list = typeof value === 'string' ? [value] : value;
    if (!Array.isArray(list) || !list.every((v) => typeof v === 'string')) {
      throw new SimulationError(`request.headers.${name}`, 'expected a string or a list of strings');
    }
    map.set(key, [...(map.get(key) ?? []), ...list]);
  }
  return map;
}

/** Envoy's reading of a query string: `&`-separated `key=value` or bare `key`, first occurrence wins. */
function queryParameters(path: string): Map<string, string> {
  const params = new Map<string, string>();
  const start = path.indexOf('?');
  if (start < 0) return params;
  const end = path.indexOf('#', start);
  for (const part of path.slice(start + 1, end < 0 ? undefined : end).split('&')) {
    if (part === '') continue;
    const equals = part.indexOf('=');
    const key = equals < 0 ? part : part.slice(0, equals);
    if (!params.has(key)) params.set(key, equals < 0 ? '' : part.slice(equals + 1));
  }
  return params;
}
