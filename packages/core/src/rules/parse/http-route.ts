import type { FieldPath } from '../../schema/path';
import type {
  HttpAction,
  HttpMatch,
  HttpRoute,
  Mirror,
  Redirect,
  Rewrite,
  WeightedDestination,
} from '../model';
import { readCors } from './cors';
import { readDestination } from './destination';
import { readFault } from './fault';
import { Fields } from './fields';
import { readHeaderOperations } from './headers';
import { readHttpMatch } from './http-match';
import { readRetries } from './retries';
import type { RuleContext } from './rule-context';
import { checkedRegex } from './string-match';

const REMOVED_HEADER_FIELDS = "removed from Istio's API in 2020: use headers.request / headers.response";

const HTTP_ROUTE = {
  known: [
    'name',
    'match',
    'route',
    'redirect',
    'directResponse',
    'rewrite',
    'timeout',
    'retries',
    'fault',
    'mirror',
    'mirrors',
    'mirrorPercentage',
    'mirrorPercent',
    'corsPolicy',
    'headers',
  ],
  unsupported: {
    delegate: 'delegate VirtualServices are not supported: write the routes in this VirtualService',
    websocketUpgrade: "removed from Istio's API in 2020 (Istio allows WebSocket upgrades on every route)",
    appendHeaders: REMOVED_HEADER_FIELDS,
    appendRequestHeaders: REMOVED_HEADER_FIELDS,
    removeRequestHeaders: REMOVED_HEADER_FIELDS,
    appendResponseHeaders: REMOVED_HEADER_FIELDS,
    removeResponseHeaders: REMOVED_HEADER_FIELDS,
  },
} as const;

const HTTP_ROUTE_DESTINATION = { known: ['destination', 'weight', 'headers'] } as const;
/** A TCP route's destinations edit no headers. */
const TCP_ROUTE_DESTINATION = { known: ['destination', 'weight'] } as const;
const REDIRECT = {
  known: ['uri', 'authority', 'port', 'scheme', 'redirectCode'],
  unsupported: { derivePort: 'derivePort is not supported: give port' },
} as const;
const DIRECT_RESPONSE = { known: ['status', 'body'] } as const;
const BODY = {
  known: ['string'],
  unsupported: { bytes: 'a body given as bytes is not supported: give it as string' },
} as const;
const REWRITE = { known: ['uri', 'authority', 'uriRegexRewrite'] } as const;
const REGEX_REWRITE = { known: ['match', 'rewrite'] } as const;
const MIRROR_POLICY = { known: ['destination', 'percentage'] } as const;

/** Istio refuses larger direct-response bodies; Envoy keeps each in memory per route. */
const MAX_BODY_BYTES = 1024 * 1024;
const LARGE_BODY_BYTES = 100 * 1024;

/** One HTTPRoute of a VirtualService. */
export function readHttpRoute(ctx: RuleContext, value: unknown, path: FieldPath): HttpRoute | undefined {
  const fields = Fields.read(ctx, value, path, HTTP_ROUTE);
  if (!fields) return undefined;
  const name = fields.string('name');
  const matches: HttpMatch[] = [];
  for (const item of fields.list('match')) {
    const match = readHttpMatch(ctx, item.value, item.path);
    if (match) matches.push(match);
  }
  const action = readAction(fields);
  const rewrite = readRewrite(fields);
  const timeoutMs = fields.duration('timeout', 'allowed');
  const retries = readRetries(fields, 'retries');
  const fault = readFault(fields, 'fault', 'istio');
  const mirrors = readMirrors(fields);
  const cors = readCors(fields, 'corsPolicy', 'istio');
  const headers = readHeaderOperations(fields, 'headers');
  if (action && action.kind !== 'route') {
    const what = action.kind === 'redirect' ? 'a redirect' : 'a direct response';
    for (const field of ['fault', 'rewrite', 'mirror', 'mirrors', 'retries', 'timeout']) {
      if (fields.has(field)) {
        ctx.error(fields.at(field), 'conflicting-fields', `${field} has no effect on ${what}: remove it`, {
          atKey: true,
        });
      }
    }
  }
  // A part that did not read was reported as an error, and the rule will not be used: what is
  // returned only has to be well-formed.
  if (!action) return undefined;
  return {
    ...(name !== undefined && { name }),
    matches,
    action,
    ...(rewrite && { rewrite }),
    ...(timeoutMs !== undefined && { timeoutMs }),
    ...(retries && { retries }),
    ...(fault && { fault }),
    mirrors,
    ...(cors && { cors }),
    ...(headers && { headers }),
    origin: ctx.origin(path),
  };
}

/** Exactly one of route, redirect and directResponse. */
function readAction(fields: Fields): HttpAction | undefined {
  const ctx = fields.ctx;
  const given = ['route', 'redirect', 'directResponse'].filter((field) => fields.has(field));
  if (given.length === 0) {
    ctx.error(fields.path, 'missing-field', 'HTTP route, redirect or direct_response is required');
    return undefined;
  }
  if (given.length > 1) {
    ctx.error(
      fields.at(given[1] ?? ''),
      'conflicting-fields',
      `an HTTP route takes one of route, redirect or directResponse, not ${given.join(' and ')}`,
      {
        atKey: true,
      },
    );
    return undefined;
  }
  if (fields.has('route')) {
    const destinations = readWeightedDestinations(fields, 'route');
    return destinations && { kind: 'route', destinations };
  }
  if (fields.has('redirect')) {
    const redirect = readRedirect(fields);
    return redirect && { kind: 'redirect', redirect };
  }
  return readDirectResponse(fields);
}

/**
 * `route[]`: destinations with relative weights (Istio ≥ 1.15: each ≥ 0, a positive total when
 * there are several). A single destination gets all traffic whatever its weight, so it is given
 * weight 100.
 */
export function readWeightedDestinations(
  fields: Fields,
  name: string,
  protocol: 'http' | 'tcp' = 'http',
): WeightedDestination[] | undefined {
  const ctx = fields.ctx;
  const items = fields.list(name);
  if (items.length === 0) {
    if (fields.has(name)) ctx.error(fields.at(name), 'missing-field', 'at least one destination is required');
    return undefined;
  }
  const destinations: WeightedDestination[] = [];
  // A weight that did not read is reported; the total it leaves is no further problem.
  let unreadWeight = false;
  for (const item of items) {
    const entry = Fields.read(
      ctx,
      item.value,
      item.path,
      protocol === 'http' ? HTTP_ROUTE_DESTINATION : TCP_ROUTE_DESTINATION,
    );
    if (!entry) continue;
    const destination = entry.require('destination')
      ? readDestination(ctx, entry.raw('destination'), entry.at('destination'))
      : undefined;
    const weight = entry.integer('weight', { min: 0, max: 2 ** 31 - 1 });
    if (weight === undefined && entry.has('weight')) unreadWeight = true;
    const headers = readHeaderOperations(entry, 'headers');
    if (!destination) continue;
    destinations.push({
      ...destination,
      weight: items.length === 1 ? 100 : (weight ?? 0),
      ...(headers && { headers }),
      origin: ctx.origin(item.path),
    });
  }
  if (
    !unreadWeight &&
    destinations.length > 1 &&
    destinations.every((destination) => destination.weight === 0)
  ) {
    ctx.error(
      fields.at(name),
      'zero-total-weight',
      'the weights of several destinations add up to 0: give at least one a positive weight',
    );
    return undefined;
  }
  return destinations;
}

function readRedirect(parent: Fields): Redirect | undefined {
  const fields = parent.message('redirect', REDIRECT);
  if (!fields) return undefined;
  const uri = fields.string('uri', { nonEmpty: true });
  const authority = fields.string('authority', { nonEmpty: true });
  const port = fields.integer('port', { min: 1, max: 65535 });
  const scheme = fields.oneOf('scheme', ['http', 'https'] as const, 'scheme');
  const code = fields.integer('redirectCode', { min: 300, max: 399 });
  if (!['uri', 'authority', 'port', 'scheme'].some((field) => fields.has(field))) {
    fields.ctx.error(
      fields.path,
      'missing-field',
      'a redirect needs at least one of uri, authority, scheme or port',
    );
    return undefined;
  }
  return {
    ...(uri !== undefined && { uri }),
    ...(authority !== undefined && { authority }),
    ...(scheme !== undefined && { scheme }),
    ...(port !== undefined && { port }),
    code: code ?? 301,
  };
}

function readDirectResponse(parent: Fields): HttpAction | undefined {
  const fields = parent.message('directResponse', DIRECT_RESPONSE);
  if (!fields) return undefined;
  const status = fields.integer('status', { min: 200, max: 599, required: true });
  const body = fields.message('body', BODY);
  const text = body?.string('string', { required: true });
  if (status === undefined) return undefined;
  if (text !== undefined) {
    const bytes = Buffer.byteLength(text);
    if (bytes > MAX_BODY_BYTES) {
      fields.ctx.error(
        fields.at('body'),
        'invalid-value',
        `a direct response body has at most ${MAX_BODY_BYTES} bytes (this one ${bytes})`,
      );
      return undefined;
    }
    if (bytes > LARGE_BODY_BYTES) {
      fields.ctx.warn(
        fields.at('body'),
        'invalid-value',
        `a direct response body of ${bytes} bytes is held in every proxy's memory`,
      );
    }
  }
  return { kind: 'direct', status, ...(text !== undefined && { body: text }) };
}

function readRewrite(parent: Fields): Rewrite | undefined {
  const fields = parent.message('rewrite', REWRITE);
  if (!fields) return undefined;
  const ctx = fields.ctx;
  const uri = fields.string('uri');
  const authority = fields.string('authority', { nonEmpty: true });
  const regexFields = fields.message('uriRegexRewrite', REGEX_REWRITE);
  const match = regexFields?.string('match', { required: true, nonEmpty: true });
  const rewrite = regexFields?.string('rewrite', { required: true });
  const regex =
    match !== undefined && regexFields ? checkedRegex(ctx, match, regexFields.at('match')) : undefined;
  if (fields.names().length === 0) {
    ctx.error(fields.path, 'missing-field', 'a rewrite needs uri, authority or uriRegexRewrite');
    return undefined;
  }
  if (fields.has('uri') && fields.has('uriRegexRewrite')) {
    ctx.error(
      fields.at('uriRegexRewrite'),
      'conflicting-fields',
      'a rewrite takes uri or uriRegexRewrite, not both',
      { atKey: true },
    );
    return undefined;
  }
  return {
    ...(uri !== undefined && { uri }),
    ...(authority !== undefined && { authority }),
    ...(regex !== undefined && rewrite !== undefined && { uriRegex: { match: regex, rewrite } }),
  };
}

/**
 * `mirror` (with `mirrorPercentage`, or the deprecated `mirrorPercent`) or `mirrors[]`: where
 * copies of requests go, and what share of them. Without a percentage, every request is copied.
 */
function readMirrors(fields: Fields): Mirror[] {
  const ctx = fields.ctx;
  if (fields.has('mirror') && fields.has('mirrors')) {
    ctx.error(fields.at('mirrors'), 'conflicting-fields', 'give mirror or mirrors, not both', {
      atKey: true,
    });
    return [];
  }
  if (fields.has('mirrorPercentage') && fields.has('mirrorPercent')) {
    ctx.error(
      fields.at('mirrorPercent'),
      'conflicting-fields',
      'give mirrorPercentage or the deprecated mirrorPercent, not both',
      {
        atKey: true,
      },
    );
    return [];
  }
  for (const field of ['mirrorPercentage', 'mirrorPercent']) {
    if (fields.has(field) && !fields.has('mirror')) {
      ctx.error(fields.at(field), 'conflicting-fields', `${field} applies to mirror, which is not given`, {
        atKey: true,
      });
      return [];
    }
  }
  if (fields.has('mirror')) {
    const destination = readDestination(ctx, fields.raw('mirror'), fields.at('mirror'));
    let percent = 100;
    if (fields.has('mirrorPercentage')) {
      const value = fields.percentage('mirrorPercentage');
      if (value === undefined) return [];
      percent = value;
    } else if (fields.has('mirrorPercent')) {
      const value = fields.integer('mirrorPercent', { min: 0, max: 100 });
      if (value === undefined) return [];
      ctx.warn(
        fields.at('mirrorPercent'),
        'deprecated-field',
        `mirrorPercent is deprecated: read as mirrorPercentage: { value: ${value} }`,
        {
          atKey: true,
        },
      );
      percent = value;
    }
    return destination ? [{ destination, percent, origin: ctx.origin(fields.at('mirror')) }] : [];
  }
  const mirrors: Mirror[] = [];
  for (const item of fields.list('mirrors')) {
    const policy = Fields.read(ctx, item.value, item.path, MIRROR_POLICY);
    if (!policy) continue;
    const destination = policy.require('destination')
      ? readDestination(ctx, policy.raw('destination'), policy.at('destination'))
      : undefined;
    const percent = policy.has('percentage') ? policy.percentage('percentage') : 100;
    if (destination && percent !== undefined)
      mirrors.push({ destination, percent, origin: ctx.origin([...item.path, 'destination']) });
  }
  return mirrors;
}
