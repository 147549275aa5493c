import { formatFieldPath, type FieldPath } from '../../../schema/path';
import { showValue } from '../../../schema/show-value';
import type {
  HeaderCondition,
  HeaderOperations,
  HttpAction,
  HttpMatch,
  HttpRoute,
  MatchSpecificity,
  MeshParent,
  QueryCondition,
  RetryPolicy,
  Rewrite,
  StringMatch,
  VirtualServiceRule,
} from '../../model';
import type { RuleInput } from '../../resource';
import { Fields } from '../fields';
import { headerNameProblem } from '../headers';
import { isDns1123Label, resolveHost } from '../names';
import { DEFAULT_RETRY_ON } from '../retries';
import type { RuleContext } from '../rule-context';
import { checkedRegex } from '../string-match';
import { isServiceRef, readBackendRefs } from './backend-refs';
import { readFilters, type PathModifier, type RuleFilters } from './filters';
import { bySpecificity } from './specificity';

/** Gateway API caps (httproute_types.go): rules, matches per rule, parentRefs, headers and query params per match. */
const MAX_RULES = 16;
const MAX_MATCHES = 64;
const MAX_PARENT_REFS = 32;
const MAX_CONDITIONS = 16;
/** Istio's default number of retries, used when a retry gives none (the spec leaves it to implementations). */
const DEFAULT_RETRY_ATTEMPTS = 2;
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH'] as const;

const SPEC = { known: ['parentRefs', 'hostnames', 'rules'] } as const;
const PARENT_REF = { known: ['group', 'kind', 'namespace', 'name', 'sectionName', 'port'] } as const;
const RULE = {
  known: ['name', 'matches', 'filters', 'backendRefs', 'timeouts', 'retry'],
  unsupported: {
    sessionPersistence:
      'session persistence is not supported: use a consistent-hash load balancer (DestinationRule)',
  },
} as const;
const MATCH = { known: ['path', 'headers', 'queryParams', 'method'] } as const;
const PATH_MATCH = { known: ['type', 'value'] } as const;
const VALUE_MATCH = { known: ['type', 'name', 'value'] } as const;
const TIMEOUTS = { known: ['request', 'backendRequest'] } as const;
const RETRY = { known: ['codes', 'attempts', 'backoff'] } as const;

/**
 * A Gateway API HTTPRoute (gateway.networking.k8s.io v1 or v1beta1) attached to Services (GAMMA's
 * mesh mode), read into the VirtualService model: each match of each rule becomes a route (the
 * spec orders matches, not rules), carrying its specificity so the routes of every HTTPRoute
 * attached to a Service can be merged in the spec's precedence (host-policies). Field paths are
 * the HTTPRoute's own (`spec.rules[0].matches[1].path.value`).
 */
export function readGatewayHttpRoute(
  ctx: RuleContext,
  spec: unknown,
  input: RuleInput,
): VirtualServiceRule | undefined {
  const fields = Fields.read(ctx, spec, ['spec'], SPEC);
  if (!fields) return undefined;
  const parents = readParents(fields);
  if (fields.has('hostnames')) {
    ctx.warn(
      fields.at('hostnames'),
      'ignored-field',
      'hostnames do not apply to a route attached to a Service (the Service is the host): ignored',
      { atKey: true },
    );
  }
  const rules = fields.list('rules');
  if (rules.length > MAX_RULES) {
    ctx.error(fields.at('rules'), 'invalid-value', `an HTTPRoute has at most ${MAX_RULES} rules`);
    return undefined;
  }
  const http: HttpRoute[] = [];
  for (const [index, item] of rules.entries()) http.push(...readRule(ctx, item.value, item.path, index));
  const createdAt = readCreatedAt(ctx, input);
  return {
    kind: 'VirtualService',
    identity: ctx.identity,
    hosts: [...new Set(parents.map((parent) => parent.host))],
    gateways: [],
    http: bySpecificity(http),
    tcp: [],
    appendDefaultRoute: false,
    language: 'gateway-api',
    attachment: { parents, ...(createdAt !== undefined && { createdAt }) },
  };
}

/** `parentRefs`: Services only (GAMMA); a Gateway parent is refused, as Sextant configures no gateways. */
function readParents(spec: Fields): MeshParent[] {
  const ctx = spec.ctx;
  if (!spec.require('parentRefs')) return [];
  const items = spec.list('parentRefs');
  if (items.length === 0) {
    ctx.error(spec.at('parentRefs'), 'missing-field', 'an HTTPRoute needs a parentRef naming a Service');
  }
  if (items.length > MAX_PARENT_REFS) {
    ctx.error(
      spec.at('parentRefs'),
      'invalid-value',
      `an HTTPRoute has at most ${MAX_PARENT_REFS} parentRefs`,
    );
    return [];
  }
  const parents: MeshParent[] = [];
  for (const item of items) {
    const fields = Fields.read(ctx, item.value, item.path, PARENT_REF);
    if (!fields) continue;
    const group = fields.string('group') ?? 'gateway.networking.k8s.io';
    const kind = fields.string('kind') ?? 'Gateway';
    const name = fields.string('name', { required: true });
    if (!isServiceRef(group, kind)) {
      ctx.error(
        item.path,
        'unsupported-field',
        `Sextant attaches HTTPRoutes to Services only (GAMMA mesh mode: group "" and kind Service), not to ${showValue(`${group}/${kind}`)}${name === undefined ? '' : ` ${name}`}`,
      );
      continue;
    }
    if (fields.has('sectionName')) {
      ctx.error(
        fields.at('sectionName'),
        'unsupported-field',
        'attaching to a Service port by name (sectionName) is not supported: give port',
        { atKey: true },
      );
      continue;
    }
    const namespace = fields.string('namespace') ?? ctx.namespace;
    const port = fields.integer('port', { min: 1, max: 65535 });
    if (name === undefined || (fields.has('port') && port === undefined)) continue;
    if (!isDns1123Label(name)) {
      ctx.error(
        fields.at('name'),
        'invalid-name',
        `${showValue(name)} is not a Service name (a DNS-1123 label)`,
      );
      continue;
    }
    if (!isDns1123Label(namespace)) {
      ctx.error(fields.at('namespace'), 'invalid-name', `${showValue(namespace)} is not a namespace name`);
      continue;
    }
    const host = resolveHost(name, namespace);
    const same = parents.find(
      (p) => p.host === host && (p.port === undefined || port === undefined || p.port === port),
    );
    if (same) {
      ctx.error(
        item.path,
        'duplicate-host',
        `${host}${port === undefined ? '' : `:${port}`} is attached twice`,
      );
      continue;
    }
    parents.push({ host, namespace, ...(port !== undefined && { port }) });
  }
  return parents;
}

function readCreatedAt(ctx: RuleContext, input: RuleInput): number | undefined {
  const text = input.metadata.creationTimestamp;
  if (text === undefined) return undefined;
  const ms = Date.parse(text);
  if (Number.isFinite(ms)) return ms;
  ctx.warn(
    ['metadata', 'creationTimestamp'],
    'invalid-value',
    `${showValue(text)} is not an RFC 3339 time: the route is ordered as the newest on ties`,
  );
  return undefined;
}

/** A match as written, before it becomes model matches (a PathPrefix may become two). */
interface GatewayMatch {
  readonly path: { readonly type: 'Exact' | 'PathPrefix' | 'RegularExpression'; readonly value: string };
  readonly headers: HeaderCondition[];
  readonly queryParams: QueryCondition[];
  readonly method: boolean;
  readonly at: FieldPath;
}

/** One HTTPRouteRule: a route per match (two for a PathPrefix a prefix rewrite applies to). */
function readRule(ctx: RuleContext, value: unknown, path: FieldPath, index: number): HttpRoute[] {
  const fields = Fields.read(ctx, value, path, RULE);
  if (!fields) return [];
  const name = fields.string('name');
  if (name !== undefined && !isDns1123Label(name)) {
    ctx.error(fields.at('name'), 'invalid-name', `${showValue(name)} is not a rule name (a DNS-1123 label)`);
  }
  const items = fields.list('matches');
  if (items.length > MAX_MATCHES) {
    ctx.error(fields.at('matches'), 'invalid-value', `a rule has at most ${MAX_MATCHES} matches`);
    return [];
  }
  const matches: GatewayMatch[] = [];
  let failed = false;
  for (const item of items) {
    const match = readMatch(ctx, item.value, item.path);
    if (match) matches.push(match);
    else failed = true;
  }
  // No matches: every request, as `path: { type: PathPrefix, value: / }`.
  if (items.length === 0) {
    matches.push({
      path: { type: 'PathPrefix', value: '/' },
      headers: [],
      queryParams: [],
      method: false,
      at: path,
    });
  }
  const filters = readFilters(fields);
  const action = readAction(fields, filters);
  const timeouts = readTimeouts(fields);
  const retries = readRetry(fields, timeouts?.backendRequestMs);
  if (failed || filters.failed || !action || timeouts === null || retries === null) return [];
  const headers: HeaderOperations | undefined =
    filters.request || filters.response
      ? {
          ...(filters.request && { request: filters.request }),
          ...(filters.response && { response: filters.response }),
        }
      : undefined;
  const rewritePath = filters.rewrite?.path;
  if (rewritePath && 'prefix' in rewritePath) {
    const notPrefix = matches.find((match) => match.path.type !== 'PathPrefix');
    if (notPrefix) {
      ctx.error(
        [...(filters.rewrite?.at ?? []), 'path'],
        'conflicting-fields',
        `ReplacePrefixMatch needs every match of the rule to be a PathPrefix (${formatFieldPath(notPrefix.at)} is not)`,
      );
      return [];
    }
  }
  const timeoutMs = timeouts?.requestMs ?? (retries ? undefined : timeouts?.backendRequestMs);
  const routes: HttpRoute[] = [];
  for (const [matchIndex, match] of matches.entries()) {
    const specificity = specificityOf(match, index, matchIndex);
    const base = {
      ...(name !== undefined && { name }),
      action,
      ...(timeoutMs !== undefined && { timeoutMs }),
      ...(retries && { retries }),
      mirrors: filters.mirrors,
      ...(filters.cors && { cors: filters.cors }),
      ...(headers && { headers }),
      specificity,
      // The rule's parts (filters, backends, timeouts) are the rule's: problems about them point there.
      origin: ctx.origin(path),
    };
    for (const part of splitForRewrite(match, filters.rewrite)) {
      routes.push({
        ...base,
        matches: part.uris.map((uri) => modelMatch(ctx, match, uri)),
        ...(part.rewrite && { rewrite: part.rewrite }),
      });
    }
  }
  return routes;
}

/**
 * Gateway API's PathPrefix matches whole path segments (`/foo` matches `/foo` and `/foo/bar`, not
 * `/foobar`; a trailing `/` is ignored): the exact path and the prefix with a `/`. A prefix
 * rewrite then needs each its own replacement (`/foo` → `/bar`, `/foo/` → `/bar/`), so they
 * become two routes; otherwise one route with both.
 */
function splitForRewrite(
  match: GatewayMatch,
  rewrite: RuleFilters['rewrite'],
): { uris: StringMatch[]; rewrite?: Rewrite }[] {
  const authority = rewrite?.authority;
  const path: PathModifier | undefined = rewrite?.path;
  const withAuthority = (r: Rewrite): Rewrite | undefined => {
    const out = { ...r, ...(authority !== undefined && { authority }) };
    return Object.keys(out).length > 0 ? out : undefined;
  };
  const full: Rewrite =
    path && 'fullPath' in path ? { uriRegex: { match: '^.*$', rewrite: path.fullPath } } : {};
  const { type, value } = match.path;
  if (type === 'Exact') return [{ uris: [{ exact: value }], ...optional(withAuthority(full)) }];
  if (type === 'RegularExpression') return [{ uris: [{ regex: value }], ...optional(withAuthority(full)) }];
  const stem = value.replace(/\/+$/, '');
  if (path && 'prefix' in path) {
    const replacement = path.prefix.replace(/\/+$/, '');
    const slashed = { uris: [{ prefix: `${stem}/` }], rewrite: withAuthority({ uri: `${replacement}/` }) };
    if (stem === '') return [slashed];
    return [
      { uris: [{ exact: stem }], rewrite: withAuthority({ uri: replacement === '' ? '/' : replacement }) },
      slashed,
    ];
  }
  const uris: StringMatch[] = stem === '' ? [{ prefix: '/' }] : [{ exact: stem }, { prefix: `${stem}/` }];
  return [{ uris, ...optional(withAuthority(full)) }];
}

function optional(rewrite: Rewrite | undefined): { rewrite?: Rewrite } {
  return rewrite ? { rewrite } : {};
}

function modelMatch(ctx: RuleContext, match: GatewayMatch, uri: StringMatch): HttpMatch {
  return {
    uri,
    ignoreUriCase: false,
    headers: match.headers,
    queryParams: match.queryParams,
    origin: ctx.origin(match.at),
  };
}

function specificityOf(match: GatewayMatch, rule: number, index: number): MatchSpecificity {
  const { type, value } = match.path;
  return {
    path: type === 'Exact' ? 'exact' : type === 'RegularExpression' ? 'regex' : 'prefix',
    pathLength: type === 'PathPrefix' ? value.replace(/\/+$/, '').length : value.length,
    method: match.method,
    headers: match.headers.length - (match.method ? 1 : 0),
    queryParams: match.queryParams.length,
    rule,
    match: index,
  };
}

function readMatch(ctx: RuleContext, value: unknown, path: FieldPath): GatewayMatch | undefined {
  const fields = Fields.read(ctx, value, path, MATCH);
  if (!fields) return undefined;
  const pathMatch = readPathMatch(fields);
  const headers = readConditions(fields, 'headers', 'header');
  const queryParams = readConditions(fields, 'queryParams', 'query');
  const method = fields.oneOf('method', METHODS, 'method');
  if (!pathMatch || !headers || !queryParams || (fields.has('method') && method === undefined))
    return undefined;
  const conditions: HeaderCondition[] = headers.map((c) => ({
    name: c.name.toLowerCase(),
    match: c.match,
    invert: false,
  }));
  if (method !== undefined) conditions.push({ name: ':method', match: { exact: method }, invert: false });
  return {
    path: pathMatch,
    headers: conditions.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
    queryParams: queryParams.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
    method: method !== undefined,
    at: path,
  };
}

function readPathMatch(match: Fields): GatewayMatch['path'] | undefined {
  const fields = match.message('path', PATH_MATCH);
  if (!match.has('path')) return { type: 'PathPrefix', value: '/' };
  if (!fields) return undefined;
  const type = fields.has('type')
    ? fields.oneOf('type', ['Exact', 'PathPrefix', 'RegularExpression'] as const, 'path match type')
    : 'PathPrefix';
  const value = fields.has('value') ? fields.string('value', { nonEmpty: true }) : '/';
  if (type === undefined || value === undefined) return undefined;
  if (type === 'RegularExpression') {
    return checkedRegex(fields.ctx, value, fields.at('value')) === undefined ? undefined : { type, value };
  }
  if (!value.startsWith('/')) {
    fields.ctx.error(fields.at('value'), 'invalid-value', `a path starts with "/" (${showValue(value)})`);
    return undefined;
  }
  if (value.includes('//') || /[?#]/.test(value) || /\/\.\.?(\/|$)/.test(value)) {
    fields.ctx.error(
      fields.at('value'),
      'invalid-value',
      `${showValue(value)} is not a path Gateway API accepts (no "//", "/./", "/../", "?" or "#")`,
    );
    return undefined;
  }
  return { type, value };
}

/** `headers[]` or `queryParams[]`: `{ type: Exact | RegularExpression, name, value }`, each name once. */
function readConditions(
  parent: Fields,
  name: string,
  what: 'header' | 'query',
): { name: string; match: StringMatch }[] | undefined {
  const ctx = parent.ctx;
  const items = parent.list(name);
  if (items.length > MAX_CONDITIONS) {
    ctx.error(parent.at(name), 'invalid-value', `a match has at most ${MAX_CONDITIONS} ${name}`);
    return undefined;
  }
  const out: { name: string; match: StringMatch }[] = [];
  let failed = false;
  for (const item of items) {
    const fields = Fields.read(ctx, item.value, item.path, VALUE_MATCH);
    if (!fields) {
      failed = true;
      continue;
    }
    const type = fields.has('type')
      ? fields.oneOf('type', ['Exact', 'RegularExpression'] as const, `${what} match type`)
      : 'Exact';
    const key = fields.string('name', { required: true, nonEmpty: true });
    const value = fields.string('value', { required: true });
    if (type === undefined || key === undefined || value === undefined) {
      failed = true;
      continue;
    }
    const problem = what === 'header' ? headerNameProblem(key) : undefined;
    if (problem !== undefined) {
      ctx.error(fields.at('name'), 'invalid-header', problem);
      failed = true;
      continue;
    }
    // Header names are compared without case, query parameter names with it.
    const same = (other: string) =>
      what === 'header' ? other.toLowerCase() === key.toLowerCase() : other === key;
    if (out.some((condition) => same(condition.name))) {
      ctx.error(fields.at('name'), 'conflicting-fields', `${showValue(key)} is matched twice in this match`);
      failed = true;
      continue;
    }
    if (type === 'RegularExpression' && checkedRegex(ctx, value, fields.at('value')) === undefined) {
      failed = true;
      continue;
    }
    out.push({ name: key, match: type === 'Exact' ? { exact: value } : { regex: value } });
  }
  return failed ? undefined : out;
}

/**
 * What matching requests get: a redirect, the backends (weights relative; all 0 — or none — is
 * a 500, as the spec says for a rule with no backend to send to).
 */
function readAction(fields: Fields, filters: RuleFilters): HttpAction | undefined {
  const ctx = fields.ctx;
  if (filters.redirect) {
    if (fields.has('backendRefs') && !fields.isEmptyList('backendRefs')) {
      ctx.error(
        fields.at('backendRefs'),
        'conflicting-fields',
        'a rule with a RequestRedirect filter sends to no backend',
        {
          atKey: true,
        },
      );
      return undefined;
    }
    return { kind: 'redirect', redirect: filters.redirect.redirect };
  }
  const destinations = readBackendRefs(fields, 'backendRefs');
  if (!destinations) return undefined;
  if (destinations.every((destination) => destination.weight === 0)) {
    return { kind: 'direct', status: 500 };
  }
  return { kind: 'route', destinations };
}

/** `timeouts`; null when one did not read (reported). */
function readTimeouts(rule: Fields): { requestMs?: number; backendRequestMs?: number } | undefined | null {
  const fields = rule.message('timeouts', TIMEOUTS);
  if (!rule.has('timeouts')) return undefined;
  if (!fields) return null;
  const requestMs = fields.duration('request', 'allowed');
  const backendRequestMs = fields.duration('backendRequest', 'allowed');
  if (
    (fields.has('request') && requestMs === undefined) ||
    (fields.has('backendRequest') && backendRequestMs === undefined)
  ) {
    return null;
  }
  if (
    requestMs !== undefined &&
    requestMs > 0 &&
    backendRequestMs !== undefined &&
    (backendRequestMs === 0 || backendRequestMs > requestMs)
  ) {
    fields.ctx.error(
      fields.at('backendRequest'),
      'invalid-value',
      'backendRequest cannot be longer than request',
    );
    return null;
  }
  return {
    ...(requestMs !== undefined && { requestMs }),
    ...(backendRequestMs !== undefined && { backendRequestMs }),
  };
}

/** `retry { codes, attempts, backoff }`, with `timeouts.backendRequest` as each try's timeout. Null when it did not read. */
function readRetry(rule: Fields, perTryTimeoutMs: number | undefined): RetryPolicy | undefined | null {
  if (!rule.has('retry')) return undefined;
  const fields = rule.message('retry', RETRY);
  if (!fields) return null;
  const attempts = fields.has('attempts')
    ? fields.integer('attempts', { min: 0, max: 2 ** 31 - 1 })
    : DEFAULT_RETRY_ATTEMPTS;
  const backoffMs = fields.duration('backoff');
  const codes: string[] = [];
  let failed =
    (fields.has('attempts') && attempts === undefined) || (fields.has('backoff') && backoffMs === undefined);
  for (const item of fields.list('codes')) {
    const code = item.value;
    if (typeof code !== 'number' || !Number.isInteger(code) || code < 400 || code > 599) {
      fields.ctx.error(
        item.path,
        'invalid-value',
        `a retry code is an HTTP status from 400 to 599 (${showValue(code)})`,
      );
      failed = true;
    } else codes.push(String(code));
  }
  if (failed || attempts === undefined) return null;
  const origin = fields.ctx.origin(fields.path);
  if (attempts === 0) return { attempts: 0, retryOn: [], origin };
  return {
    attempts,
    retryOn: codes.length > 0 ? codes : [...DEFAULT_RETRY_ON],
    ...(perTryTimeoutMs !== undefined && perTryTimeoutMs > 0 && { perTryTimeoutMs }),
    ...(backoffMs !== undefined && { backoffMs }),
    origin,
  };
}
