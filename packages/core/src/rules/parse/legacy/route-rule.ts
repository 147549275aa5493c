import type {
  Destination,
  HeaderCondition,
  HttpAction,
  HttpMatch,
  HttpRoute,
  Mirror,
  RetryPolicy,
  Rewrite,
  SourceSelector,
  StringMatch,
  VirtualServiceRule,
  WeightedDestination,
} from '../../model';
import { readCors } from '../cors';
import { readFault } from '../fault';
import { Fields } from '../fields';
import { editMap, headerNameProblem } from '../headers';
import { readLabels } from '../labels';
import type { RuleContext } from '../rule-context';
import { readStringMatch } from '../string-match';
import { legacySubsetName, readIstioService, type LegacyService } from './istio-service';

const OVERRIDE_HEADER = 'choosing by a request header (overrideHeaderName) is not supported';

const ROUTE_RULE = {
  known: [
    'destination',
    'precedence',
    'match',
    'route',
    'redirect',
    'rewrite',
    'websocketUpgrade',
    'httpReqTimeout',
    'httpReqRetries',
    'httpFault',
    'mirror',
    'corsPolicy',
    'appendHeaders',
  ],
  unsupported: { l4Fault: 'L4 faults (l4Fault) are not supported (Pilot never implemented them)' },
} as const;
const MATCH = {
  known: ['source', 'request'],
  unsupported: {
    tcp: 'L4 matches (match.tcp) are not supported: write a VirtualService with tcp routes',
    udp: 'UDP matches are not supported',
  },
} as const;
const REQUEST = { known: ['headers'] } as const;
const DESTINATION_WEIGHT = { known: ['destination', 'labels', 'weight'] } as const;
const REDIRECT = { known: ['uri', 'authority'] } as const;
const REWRITE = { known: ['uri', 'authority'] } as const;
const TIMEOUT = {
  known: ['simpleTimeout'],
  unsupported: { custom: 'custom timeout policies are not supported' },
} as const;
const SIMPLE_TIMEOUT = { known: ['timeout'], unsupported: { overrideHeaderName: OVERRIDE_HEADER } } as const;
const RETRIES = {
  known: ['simpleRetry'],
  unsupported: { custom: 'custom retry policies are not supported' },
} as const;
const SIMPLE_RETRY = {
  known: ['attempts', 'perTryTimeout'],
  unsupported: { overrideHeaderName: OVERRIDE_HEADER },
} as const;

/** What Pilot's v1 routes retried on, whatever the rule said (`route.go`): kept for legacy rules. */
const LEGACY_RETRY_ON = ['5xx', 'connect-failure', 'refused-stream'];
/** The request-line keys of `match.request.headers`. */
const REQUEST_LINE = ['scheme', 'method', 'authority'];

/**
 * A legacy RouteRule as one VirtualServiceRule with one HTTP route, its own semantics kept:
 * `precedence` (the store orders a host's RouteRules by it), the default route appended after
 * rules that do not match everything, and `match.source` kept as a client selector (istioctl's
 * converter dropped it). Labels select subsets directly, named as istioctl named them.
 */
export function readRouteRule(ctx: RuleContext, spec: unknown): VirtualServiceRule | undefined {
  const fields = Fields.read(ctx, spec, ['spec'], ROUTE_RULE);
  if (!fields) return undefined;
  const destination = fields.require('destination')
    ? readIstioService(ctx, fields.raw('destination'), fields.at('destination'), 'refused')
    : undefined;
  const precedence = fields.integer('precedence', { min: -(2 ** 31), max: 2 ** 31 - 1 }) ?? 0;
  const matches = readMatch(fields);
  const redirect = fields.message('redirect', REDIRECT);
  if (redirect) {
    for (const field of ['route', 'httpFault', 'rewrite', 'websocketUpgrade']) {
      if (fields.has(field)) {
        fields.ctx.error(fields.at(field), 'conflicting-fields', `${field} cannot be given with redirect`, {
          atKey: true,
        });
      }
    }
  }
  const rewrite = readRewrite(fields);
  const timeoutMs = readTimeout(fields);
  const retries = readLegacyRetries(fields);
  const fault = readFault(fields, 'httpFault', 'legacy');
  const mirror = readMirror(fields);
  const cors = readCors(fields, 'corsPolicy', 'legacy');
  const add = editMap(ctx, fields, 'appendHeaders');
  const websocketUpgrade = fields.boolean('websocketUpgrade');
  if (!destination) return undefined;
  const action: HttpAction | undefined = redirect
    ? redirectAction(redirect)
    : { kind: 'route', destinations: readRoute(fields, destination) };
  if (!action) return undefined;
  const route: HttpRoute = {
    matches,
    action,
    ...(rewrite && { rewrite }),
    ...(timeoutMs !== undefined && { timeoutMs }),
    ...(retries && { retries }),
    ...(fault && { fault }),
    mirrors: mirror ? [mirror] : [],
    ...(cors && { cors }),
    ...(Object.keys(add).length > 0 && { headers: { request: { set: {}, add, remove: [] } } }),
    ...(websocketUpgrade !== undefined && { websocketUpgrade }),
    origin: ctx.origin(['spec']),
  };
  return {
    kind: 'VirtualService',
    identity: ctx.identity,
    hosts: [destination.host],
    gateways: [],
    http: [route],
    tcp: [],
    precedence,
    appendDefaultRoute: true,
    language: 'legacy',
  };
}

/** `match`: one block of `source` (a client selector) and `request.headers` (uri, method… and headers). */
function readMatch(parent: Fields): HttpMatch[] {
  const fields = parent.message('match', MATCH);
  if (!fields) return [];
  const ctx = fields.ctx;
  let source: SourceSelector | undefined;
  if (fields.has('source')) {
    const service = readIstioService(ctx, fields.raw('source'), fields.at('source'), 'allowed');
    if (service) source = { service: service.host, ...(service.labels && { labels: service.labels }) };
  }
  let uri: StringMatch | undefined;
  const headers: HeaderCondition[] = [];
  const request = fields.message('request', REQUEST);
  for (const entry of request?.map('headers') ?? []) {
    const problem = headerNameProblem(entry.key);
    if (problem !== undefined) {
      ctx.error(entry.path, 'invalid-header', problem, { atKey: true });
      continue;
    }
    const name = entry.key.toLowerCase();
    const isUri = name === 'uri';
    const match = readStringMatch(ctx, entry.value, entry.path, {
      presence: 'refused',
      emptyPrefix: isUri ? 'allowed' : 'refused',
    });
    if (match === undefined || match === 'present') continue;
    if (isUri) {
      const empty = ('exact' in match && match.exact === '') || ('regex' in match && match.regex === '');
      if (empty) ctx.error(entry.path, 'invalid-value', 'the uri match must not be empty');
      else uri = match;
    } else {
      headers.push({ name: REQUEST_LINE.includes(name) ? `:${name}` : name, match, invert: false });
    }
  }
  headers.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  if (!source && !uri && headers.length === 0) return [];
  return [
    {
      ...(uri && { uri }),
      ignoreUriCase: false,
      headers,
      queryParams: [],
      ...(source && { source }),
      origin: ctx.origin(fields.path),
    },
  ];
}

/**
 * `route[]`: weighted destinations, each the rule's destination unless it names another, and a
 * subset when it has labels. The Rules API's weights are percents summing to 100 (a single
 * destination may leave its weight out); none at all routes everything to the destination.
 */
function readRoute(fields: Fields, ruleDestination: LegacyService): WeightedDestination[] {
  const ctx = fields.ctx;
  const items = fields.list('route');
  if (items.length === 0) {
    return [{ host: ruleDestination.host, weight: 100, origin: ctx.origin(fields.path) }];
  }
  const destinations: WeightedDestination[] = [];
  const weights: number[] = [];
  for (const item of items) {
    const entry = Fields.read(ctx, item.value, item.path, DESTINATION_WEIGHT);
    if (!entry) continue;
    const other = entry.has('destination')
      ? readIstioService(ctx, entry.raw('destination'), entry.at('destination'), 'refused')
      : ruleDestination;
    const labels = readLabels(entry, 'labels');
    const weight = entry.integer('weight', { min: 0, max: 100 }) ?? 0;
    weights.push(weight);
    if (!other) continue;
    destinations.push({
      ...legacyDestination(other.host, labels),
      weight: items.length === 1 ? 100 : weight,
      origin: ctx.origin(item.path),
    });
  }
  const total = weights.reduce((sum, weight) => sum + weight, 0);
  const single = items.length === 1 && weights[0] === 0;
  if (!single && total !== 100) {
    ctx.error(fields.at('route'), 'legacy-weight-total', `route weights total ${total} (must total 100)`);
  }
  return destinations;
}

/** A destination of `host`, in the subset `labels` select (named as istioctl named it). */
function legacyDestination(host: string, labels: Readonly<Record<string, string>> | undefined): Destination {
  if (!labels || Object.keys(labels).length === 0) return { host };
  return { host, subset: legacySubsetName(labels), subsetLabels: labels };
}

function redirectAction(fields: Fields): HttpAction | undefined {
  const uri = fields.string('uri', { nonEmpty: true });
  const authority = fields.string('authority', { nonEmpty: true });
  if (uri === undefined && authority === undefined) {
    if (!fields.has('uri') && !fields.has('authority')) {
      fields.ctx.error(fields.path, 'missing-field', 'a redirect needs uri or authority');
    }
    return undefined;
  }
  return {
    kind: 'redirect',
    redirect: { ...(uri !== undefined && { uri }), ...(authority !== undefined && { authority }), code: 301 },
  };
}

function readRewrite(parent: Fields): Rewrite | undefined {
  const fields = parent.message('rewrite', REWRITE);
  if (!fields) return undefined;
  const uri = fields.string('uri', { nonEmpty: true });
  const authority = fields.string('authority', { nonEmpty: true });
  if (!fields.has('uri') && !fields.has('authority')) {
    fields.ctx.error(fields.path, 'missing-field', 'a rewrite needs uri or authority');
  }
  return { ...(uri !== undefined && { uri }), ...(authority !== undefined && { authority }) };
}

function readTimeout(parent: Fields): number | undefined {
  const fields = parent.message('httpReqTimeout', TIMEOUT);
  const simple = fields?.message('simpleTimeout', SIMPLE_TIMEOUT, { required: true });
  return simple?.duration('timeout');
}

function readLegacyRetries(parent: Fields): RetryPolicy | undefined {
  const fields = parent.message('httpReqRetries', RETRIES);
  const simple = fields?.message('simpleRetry', SIMPLE_RETRY, { required: true });
  if (!simple) return undefined;
  const attempts = simple.integer('attempts', { min: 0, max: 2 ** 31 - 1 }) ?? 0;
  const perTryTimeoutMs = simple.duration('perTryTimeout');
  const origin = simple.ctx.origin(simple.path);
  if (attempts === 0) return { attempts: 0, retryOn: [], origin };
  return {
    attempts,
    ...(perTryTimeoutMs !== undefined && { perTryTimeoutMs }),
    retryOn: [...LEGACY_RETRY_ON],
    origin,
  };
}

function readMirror(fields: Fields): Mirror | undefined {
  if (!fields.has('mirror')) return undefined;
  const service = readIstioService(fields.ctx, fields.raw('mirror'), fields.at('mirror'), 'allowed');
  if (!service) return undefined;
  return {
    destination: legacyDestination(service.host, service.labels),
    percent: 100,
    origin: fields.ctx.origin(fields.at('mirror')),
  };
}
