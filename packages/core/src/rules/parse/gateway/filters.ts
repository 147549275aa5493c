import type { FieldPath } from '../../../schema/path';
import type { CorsPolicy, HeaderEdits, Mirror, Redirect, StringMatch } from '../../model';
import { Fields } from '../fields';
import { headerNameProblem } from '../headers';
import { hostProblem } from '../names';
import { BACKEND_OBJECT_REF, readBackendObject } from './backend-refs';
import { readHeaderModifier } from './header-modifier';

/** Gateway API caps a rule's filters at 16. */
const MAX_FILTERS = 16;

const FILTER_TYPES = {
  RequestHeaderModifier: 'requestHeaderModifier',
  ResponseHeaderModifier: 'responseHeaderModifier',
  RequestRedirect: 'requestRedirect',
  URLRewrite: 'urlRewrite',
  RequestMirror: 'requestMirror',
  CORS: 'cors',
  ExtensionRef: 'extensionRef',
} as const;
type FilterType = keyof typeof FILTER_TYPES;

const FILTER = {
  known: ['type', ...Object.values(FILTER_TYPES)],
  unsupported: { externalAuth: 'external authorization (ExternalAuth) is not supported' },
} as const;
const REDIRECT = { known: ['scheme', 'hostname', 'path', 'port', 'statusCode'] } as const;
const URL_REWRITE = { known: ['hostname', 'path'] } as const;
const PATH_MODIFIER = { known: ['type', 'replaceFullPath', 'replacePrefixMatch'] } as const;
const MIRROR = { known: ['backendRef', 'percent', 'fraction'] } as const;
const FRACTION = { known: ['numerator', 'denominator'] } as const;
const CORS = {
  known: ['allowOrigins', 'allowCredentials', 'allowMethods', 'allowHeaders', 'exposeHeaders', 'maxAge'],
} as const;

/** A path modifier: the whole path, or the prefix the rule's PathPrefix match matched. */
export type PathModifier = { readonly fullPath: string } | { readonly prefix: string };

/** What a rule's filters ask for, read into the model's terms. */
export interface RuleFilters {
  readonly request?: HeaderEdits;
  readonly response?: HeaderEdits;
  readonly redirect?: { readonly redirect: Redirect; readonly path?: PathModifier; readonly at: FieldPath };
  readonly rewrite?: {
    readonly authority?: string;
    readonly path?: PathModifier;
    readonly at: FieldPath;
  };
  readonly mirrors: readonly Mirror[];
  readonly cors?: CorsPolicy;
  /** A filter did not read (reported): the rule cannot be used. */
  readonly failed: boolean;
}

/** `filters[]` of an HTTPRouteRule: each type at most once, but RequestMirror. */
export function readFilters(rule: Fields): RuleFilters {
  const ctx = rule.ctx;
  const items = rule.list('filters');
  const out: {
    -readonly [K in keyof RuleFilters]: RuleFilters[K];
  } = { mirrors: [], failed: false };
  if (items.length > MAX_FILTERS) {
    ctx.error(rule.at('filters'), 'invalid-value', `a rule has at most ${MAX_FILTERS} filters`);
    return { ...out, failed: true };
  }
  const seen = new Set<FilterType>();
  for (const item of items) {
    const fields = Fields.read(ctx, item.value, item.path, FILTER);
    if (!fields) {
      out.failed = true;
      continue;
    }
    const type = fields.has('type')
      ? fields.oneOf('type', Object.keys(FILTER_TYPES) as FilterType[], 'filter type')
      : (fields.require('type'), undefined);
    if (type === undefined) {
      out.failed = true;
      continue;
    }
    const field = FILTER_TYPES[type];
    const others = fields.names().filter((name) => name !== 'type' && name !== field);
    if (others.length > 0) {
      ctx.error(
        fields.at(others[0] ?? ''),
        'conflicting-fields',
        `a ${type} filter takes ${field} only, not ${others.join(', ')}`,
      );
      out.failed = true;
      continue;
    }
    if (type !== 'RequestMirror' && seen.has(type)) {
      ctx.error(fields.at('type'), 'conflicting-fields', `a rule takes one ${type} filter`);
      out.failed = true;
      continue;
    }
    seen.add(type);
    let ok = true;
    switch (type) {
      case 'RequestHeaderModifier':
        ok = (out.request = readHeaderModifier(fields, field)) !== undefined;
        break;
      case 'ResponseHeaderModifier':
        ok = (out.response = readHeaderModifier(fields, field)) !== undefined;
        break;
      case 'RequestRedirect':
        ok = (out.redirect = readRedirect(fields, field)) !== undefined;
        break;
      case 'URLRewrite':
        ok = (out.rewrite = readRewrite(fields, field)) !== undefined;
        break;
      case 'RequestMirror': {
        const mirror = readMirror(fields, field);
        if (mirror) out.mirrors = [...out.mirrors, mirror];
        ok = mirror !== undefined;
        break;
      }
      case 'CORS':
        ok = (out.cors = readCors(fields, field)) !== undefined;
        break;
      case 'ExtensionRef':
        ctx.error(
          fields.at('type'),
          'unsupported-field',
          'extension filters (ExtensionRef) are not supported',
        );
        ok = false;
        break;
    }
    if (!ok) out.failed = true;
  }
  if (out.redirect && out.rewrite) {
    ctx.error(
      out.rewrite.at,
      'conflicting-fields',
      'a rule takes a RequestRedirect or a URLRewrite filter, not both',
    );
    out.failed = true;
  }
  return out;
}

function readRedirect(parent: Fields, name: string): RuleFilters['redirect'] {
  const fields = parent.message(name, REDIRECT, { required: true });
  if (!fields) return undefined;
  const scheme = fields.oneOf('scheme', ['http', 'https'] as const, 'scheme');
  const hostname = readHostname(fields);
  const port = fields.integer('port', { min: 1, max: 65535 });
  const code = fields.has('statusCode') ? fields.integer('statusCode', { min: 301, max: 302 }) : 302;
  const path = readPathModifier(fields);
  if (path && 'prefix' in path) {
    fields.ctx.error(
      fields.at('path'),
      'unsupported-field',
      'a redirect with ReplacePrefixMatch is not supported: give ReplaceFullPath',
    );
    return undefined;
  }
  const unread =
    code === undefined ||
    (fields.has('path') && !path) ||
    (fields.has('scheme') && scheme === undefined) ||
    (fields.has('hostname') && hostname === undefined) ||
    (fields.has('port') && port === undefined);
  if (unread) return undefined;
  return {
    redirect: {
      ...(path && { uri: path.fullPath }),
      ...(hostname !== undefined && { authority: hostname }),
      ...(scheme !== undefined && { scheme }),
      ...(port !== undefined && { port }),
      code,
    },
    at: fields.path,
  };
}

function readRewrite(parent: Fields, name: string): RuleFilters['rewrite'] {
  const fields = parent.message(name, URL_REWRITE, { required: true });
  if (!fields) return undefined;
  const hostname = readHostname(fields);
  const path = readPathModifier(fields);
  if ((fields.has('hostname') && hostname === undefined) || (fields.has('path') && !path)) return undefined;
  if (!fields.has('hostname') && !fields.has('path')) {
    fields.ctx.error(fields.path, 'missing-field', 'a URLRewrite needs hostname or path');
    return undefined;
  }
  return {
    ...(hostname !== undefined && { authority: hostname }),
    ...(path && { path }),
    at: fields.path,
  };
}

function readHostname(fields: Fields): string | undefined {
  const hostname = fields.string('hostname', { nonEmpty: true });
  if (hostname === undefined) return undefined;
  const problem = hostname.includes('*') ? 'a hostname here cannot be a wildcard' : hostProblem(hostname);
  if (problem === undefined) return hostname.toLowerCase();
  fields.ctx.error(fields.at('hostname'), 'invalid-host', problem);
  return undefined;
}

function readPathModifier(parent: Fields): PathModifier | undefined {
  const fields = parent.message('path', PATH_MODIFIER);
  if (!fields) return undefined;
  const type = fields.has('type')
    ? fields.oneOf('type', ['ReplaceFullPath', 'ReplacePrefixMatch'] as const, 'path modifier type')
    : (fields.require('type'), undefined);
  if (type === undefined) return undefined;
  const field = type === 'ReplaceFullPath' ? 'replaceFullPath' : 'replacePrefixMatch';
  const other = type === 'ReplaceFullPath' ? 'replacePrefixMatch' : 'replaceFullPath';
  if (fields.has(other)) {
    fields.ctx.error(fields.at(other), 'conflicting-fields', `${other} does not go with type ${type}`);
    return undefined;
  }
  const value = fields.string(field, { required: true });
  if (value === undefined) return undefined;
  if (!value.startsWith('/')) {
    fields.ctx.error(fields.at(field), 'invalid-value', 'a path starts with "/"');
    return undefined;
  }
  return type === 'ReplaceFullPath' ? { fullPath: value } : { prefix: value };
}

function readMirror(parent: Fields, name: string): Mirror | undefined {
  const fields = parent.message(name, MIRROR, { required: true });
  if (!fields) return undefined;
  const ctx = fields.ctx;
  const ref = fields.message('backendRef', BACKEND_OBJECT_REF, { required: true });
  const destination = ref ? readBackendObject(ctx, ref) : undefined;
  if (fields.has('percent') && fields.has('fraction')) {
    ctx.error(fields.at('fraction'), 'conflicting-fields', 'give percent or fraction, not both');
    return undefined;
  }
  let percent: number | undefined = 100;
  if (fields.has('percent')) percent = fields.integer('percent', { min: 0, max: 100 });
  const fraction = fields.message('fraction', FRACTION);
  if (fraction) {
    const numerator = fraction.integer('numerator', { min: 0, max: 2 ** 31 - 1, required: true });
    const denominator = fraction.has('denominator')
      ? fraction.integer('denominator', { min: 1, max: 2 ** 31 - 1 })
      : 100;
    percent = undefined;
    if (numerator !== undefined && denominator !== undefined) {
      if (numerator > denominator) {
        ctx.error(
          fraction.at('numerator'),
          'invalid-value',
          'the numerator cannot be more than the denominator',
        );
      } else {
        percent = (numerator * 100) / denominator;
      }
    }
  }
  if (!destination || percent === undefined) return undefined;
  return { destination, percent, origin: ctx.origin(fields.at('backendRef')) };
}

function readCors(parent: Fields, name: string): CorsPolicy | undefined {
  const fields = parent.message(name, CORS, { required: true });
  if (!fields) return undefined;
  const ctx = fields.ctx;
  let failed = false;
  const allowOrigins: StringMatch[] = [];
  for (const item of fields.strings('allowOrigins', { nonEmpty: true })) {
    allowOrigins.push(originMatch(item.value));
  }
  const allowMethods = fields.strings('allowMethods', { nonEmpty: true }).map((item) => item.value);
  const headerList = (field: string) =>
    fields.strings(field).flatMap((item) => {
      const problem = item.value === '*' ? undefined : headerNameProblem(item.value);
      if (problem === undefined) return [item.value];
      ctx.error(item.path, 'invalid-header', problem);
      failed = true;
      return [];
    });
  const allowHeaders = headerList('allowHeaders');
  const exposeHeaders = headerList('exposeHeaders');
  const maxAgeSeconds = fields.has('maxAge') ? fields.integer('maxAge', { min: 1, max: 2 ** 31 - 1 }) : 5;
  const allowCredentials = fields.boolean('allowCredentials');
  if (failed || maxAgeSeconds === undefined) return undefined;
  return {
    allowOrigins,
    allowMethods,
    allowHeaders,
    exposeHeaders,
    maxAgeSeconds,
    ...(allowCredentials !== undefined && { allowCredentials }),
  };
}

/** `*` is every origin; a `*` inside (`https://*.example.com`) stands for one or more characters. */
function originMatch(origin: string): StringMatch {
  if (origin === '*') return { regex: '.*' };
  if (!origin.includes('*')) return { exact: origin };
  return { regex: origin.split('*').map(escapeRegex).join('.+') };
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
