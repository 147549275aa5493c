import type { FieldPath } from '../../schema/path';
import { showValue } from '../../schema/show-value';
import type { HeaderCondition, HttpMatch, QueryCondition, SourceSelector } from '../model';
import { Fields } from './fields';
import { headerNameProblem } from './headers';
import { readLabels } from './labels';
import { isDns1123Label } from './names';
import type { RuleContext } from './rule-context';
import { readStringMatch } from './string-match';

const HTTP_MATCH = {
  known: [
    'name',
    'uri',
    'scheme',
    'method',
    'authority',
    'headers',
    'withoutHeaders',
    'queryParams',
    'ignoreUriCase',
    'port',
    'sourceLabels',
    'sourceNamespace',
  ],
  unsupported: {
    gateways: 'per-match gateways are not supported: bind the whole VirtualService with spec.gateways',
    statPrefix: 'per-route stat prefixes are not supported',
  },
} as const;

/** The request-line parts Istio matches as pseudo-headers, and the header keys it ignores for them. */
const REQUEST_LINE = ['scheme', 'method', 'authority'] as const;
const RESERVED_HEADER_KEYS = ['uri', ...REQUEST_LINE];

/** One HTTPMatchRequest: every condition must hold. */
export function readHttpMatch(ctx: RuleContext, value: unknown, path: FieldPath): HttpMatch | undefined {
  const fields = Fields.read(ctx, value, path, HTTP_MATCH);
  if (!fields) return undefined;
  const name = fields.string('name');
  const uri = fields.has('uri')
    ? readStringMatch(ctx, fields.raw('uri'), fields.at('uri'), {
        presence: 'refused',
        emptyPrefix: 'allowed',
      })
    : undefined;
  const ignoreUriCase = fields.boolean('ignoreUriCase') ?? false;
  if (ignoreUriCase && uri !== undefined && uri !== 'present' && 'regex' in uri) {
    ctx.error(
      fields.at('ignoreUriCase'),
      'conflicting-fields',
      'ignoreUriCase applies to exact and prefix matches: write (?i) in the regex instead',
    );
  }
  const headers = [
    ...readHeaderConditions(fields, 'headers', false),
    ...readHeaderConditions(fields, 'withoutHeaders', true),
  ].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : Number(a.invert) - Number(b.invert)));
  for (const part of REQUEST_LINE) {
    if (!fields.has(part)) continue;
    const match = readStringMatch(ctx, fields.raw(part), fields.at(part), {
      presence: 'refused',
      emptyPrefix: 'refused',
    });
    if (match !== undefined && match !== 'present') headers.push({ name: `:${part}`, match, invert: false });
  }
  const queryParams = readQueryConditions(fields);
  const port = fields.integer('port', { min: 1, max: 65535 });
  const source = readSourceSelector(fields);
  return {
    ...(name !== undefined && { name }),
    ...(uri !== undefined && uri !== 'present' && { uri }),
    ignoreUriCase,
    headers,
    queryParams,
    ...(port !== undefined && { port }),
    ...(source && { source }),
    origin: ctx.origin(path),
  };
}

function readHeaderConditions(fields: Fields, name: string, invert: boolean): HeaderCondition[] {
  const ctx = fields.ctx;
  const conditions: HeaderCondition[] = [];
  for (const entry of fields.map(name)) {
    if (entry.key.startsWith('@request.auth.claims')) {
      ctx.error(
        entry.path,
        'unsupported-field',
        'routing on JWT claims (@request.auth.claims) is not supported',
        { atKey: true },
      );
      continue;
    }
    const problem = headerNameProblem(entry.key);
    if (problem !== undefined) {
      ctx.error(entry.path, 'invalid-header', problem, { atKey: true });
      continue;
    }
    const header = entry.key.toLowerCase();
    if (RESERVED_HEADER_KEYS.includes(header)) {
      ctx.error(
        entry.path,
        'invalid-header',
        `Istio ignores the header key ${showValue(header)} in a match: use match.${header} instead`,
        {
          atKey: true,
        },
      );
      continue;
    }
    const match = readStringMatch(ctx, entry.value, entry.path, {
      presence: 'allowed',
      emptyPrefix: 'refused',
    });
    if (match === undefined) continue;
    conditions.push(match === 'present' ? { name: header, invert } : { name: header, match, invert });
  }
  return conditions;
}

function readQueryConditions(fields: Fields): QueryCondition[] {
  const conditions: QueryCondition[] = [];
  for (const entry of fields.map('queryParams')) {
    if (entry.key === '') {
      fields.ctx.error(entry.path, 'invalid-value', 'a query parameter name cannot be empty', {
        atKey: true,
      });
      continue;
    }
    const match = readStringMatch(fields.ctx, entry.value, entry.path, {
      presence: 'allowed',
      emptyPrefix: 'refused',
    });
    if (match === undefined) continue;
    conditions.push(match === 'present' ? { name: entry.key } : { name: entry.key, match });
  }
  return conditions.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** `sourceLabels` and `sourceNamespace`: which clients the match applies to. */
export function readSourceSelector(fields: Fields): SourceSelector | undefined {
  const labels = readLabels(fields, 'sourceLabels');
  const namespace = fields.string('sourceNamespace');
  if (namespace !== undefined && !isDns1123Label(namespace)) {
    fields.ctx.error(
      fields.at('sourceNamespace'),
      'invalid-name',
      `${showValue(namespace)} is not a namespace name (a DNS-1123 label)`,
    );
  }
  const validNamespace = namespace !== undefined && isDns1123Label(namespace) ? namespace : undefined;
  if (labels === undefined && validNamespace === undefined) return undefined;
  return { ...(labels && { labels }), ...(validNamespace !== undefined && { namespace: validNamespace }) };
}
