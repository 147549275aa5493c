import type { Problems } from './errors';
import {
  boolField,
  enumField,
  objectField,
  oneofMember,
  stringField,
  uintField,
  type JsonObject,
} from './proto-fields';
import { re2FullMatch, re2ReplaceAll } from './regex';
import type { RequestView } from './request';

/**
 * A RegexMatchAndSubstitute over the path without its query (the query is kept), as Envoy's
 * `regex_rewrite` applies it: every match replaced, `\1` naming a group.
 */
export function regexRewrite(
  config: JsonObject,
  path: string,
  problems: Problems,
): (request: RequestView) => string {
  const pattern = stringField(objectField(config, 'pattern', path) ?? {}, 'regex', `${path}.pattern`) ?? '';
  const substitution = stringField(config, 'substitution', path) ?? '';
  const check = re2FullMatch(pattern);
  if ('error' in check) problems.add(`${path}.pattern.regex`, check.error);
  return (request) => {
    const replaced = re2ReplaceAll(pattern, substitution, request.pathOnly);
    return (
      (typeof replaced === 'string' ? replaced : request.pathOnly) +
      request.path.slice(request.pathOnly.length)
    );
  };
}

const RESPONSE_CODES = [
  'MOVED_PERMANENTLY',
  'FOUND',
  'SEE_OTHER',
  'TEMPORARY_REDIRECT',
  'PERMANENT_REDIRECT',
] as const;
const STATUS = {
  MOVED_PERMANENTLY: 301,
  FOUND: 302,
  SEE_OTHER: 303,
  TEMPORARY_REDIRECT: 307,
  PERMANENT_REDIRECT: 308,
} as const;

/**
 * An Envoy v3 RedirectAction, as `Http::Utility::newUri` builds the Location: the scheme from
 * `scheme_redirect` / `https_redirect` or the request; `port_redirect` appended to the host; the host
 * from `host_redirect`, else the request's, losing its port when a new port is set or when the
 * scheme changes and the port was the default of the request's scheme; the path from `path_redirect` (keeping the
 * request's query unless it has its own), `prefix_rewrite` or `regex_rewrite`, else the request's;
 * `strip_query` drops the query.
 */
export function envoyRedirect(
  config: JsonObject,
  path: string,
  problems: Problems,
): (request: RequestView, matchedLength: number) => { status: number; location: string } {
  const scheme =
    stringField(config, 'scheme_redirect', path) ||
    (boolField(config, 'https_redirect', path) ? 'https' : undefined);
  const host = stringField(config, 'host_redirect', path) || undefined;
  const port = uintField(config, 'port_redirect', path) || undefined;
  const rewriteKind = oneofMember(config, ['path_redirect', 'prefix_rewrite', 'regex_rewrite'] as const);
  const pathRedirect = stringField(config, 'path_redirect', path) || undefined;
  const prefixRewrite =
    rewriteKind === 'prefix_rewrite' ? (stringField(config, 'prefix_rewrite', path) ?? '') : undefined;
  const regex =
    rewriteKind === 'regex_rewrite'
      ? regexRewrite(objectField(config, 'regex_rewrite', path) ?? {}, `${path}.regex_rewrite`, problems)
      : undefined;
  const stripQuery = boolField(config, 'strip_query', path) ?? false;
  const status = STATUS[enumField(config, 'response_code', path, RESPONSE_CODES)];
  return (request, matchedLength) => {
    const finalScheme = scheme ?? request.scheme;
    const finalPort = port ? `:${port}` : '';
    const finalHost = host ?? requestHost(request, finalScheme, finalPort);
    let finalPath: string;
    const query = request.path.slice(request.pathOnly.length);
    if (pathRedirect !== undefined)
      finalPath = pathRedirect.includes('?') ? pathRedirect : pathRedirect + query;
    else if (prefixRewrite !== undefined) finalPath = prefixRewrite + request.path.slice(matchedLength);
    else if (regex) finalPath = regex(request);
    else finalPath = request.path;
    if (!finalPath.startsWith('/')) finalPath = `/${finalPath}`;
    if (stripQuery && !(pathRedirect ?? '').includes('?')) finalPath = finalPath.replace(/\?.*$/, '');
    return { status, location: `${finalScheme}://${finalHost}${finalPort}${finalPath}` };
  };
}

function requestHost(request: RequestView, scheme: string, newPort: string): string {
  const host = request.authority;
  const colon = host.startsWith('[') ? host.indexOf(']:') + 1 || -1 : host.lastIndexOf(':');
  if (colon <= 0) return host;
  const port = host.slice(colon);
  let removePort = newPort !== '';
  if (scheme !== request.scheme) {
    // Only the default port of the request's own scheme goes (`processRequestHost`).
    removePort ||=
      (request.scheme === 'https' && port === ':443') || (request.scheme === 'http' && port === ':80');
  }
  return removePort ? host.slice(0, colon) : host;
}
