import { showValue } from '../../schema/show-value';
import type { CorsPolicy, StringMatch } from '../model';
import type { Fields } from './fields';
import type { Dialect } from './rule-context';
import { headerNameProblem } from './headers';
import { readStringMatch } from './string-match';

/** The methods a CORS policy may allow (Istio `validateAllowMethods`). */
const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD', 'CONNECT', 'TRACE'];

const CORS_ISTIO = {
  known: [
    'allowOrigins',
    'allowOrigin',
    'allowMethods',
    'allowHeaders',
    'exposeHeaders',
    'maxAge',
    'allowCredentials',
  ],
  unsupported: { unmatchedPreflights: 'choosing what happens to unmatched preflights is not supported' },
} as const;
const CORS_LEGACY = {
  known: ['allowOrigin', 'allowMethods', 'allowHeaders', 'exposeHeaders', 'maxAge', 'allowCredentials'],
} as const;

/** A CorsPolicy at `parent.<name>`: Istio's (origins as string matches), or the legacy one (exact origins). */
export function readCors(parent: Fields, name: string, dialect: Dialect): CorsPolicy | undefined {
  const fields = parent.message(name, dialect === 'istio' ? CORS_ISTIO : CORS_LEGACY);
  if (!fields) return undefined;
  const ctx = fields.ctx;
  const allowOrigins: StringMatch[] = [];
  if (fields.has('allowOrigins') && fields.has('allowOrigin')) {
    ctx.error(
      fields.at('allowOrigin'),
      'conflicting-fields',
      'give allowOrigins or the deprecated allowOrigin, not both',
    );
  }
  for (const item of fields.list('allowOrigins')) {
    const match = readStringMatch(ctx, item.value, item.path, {
      presence: 'refused',
      emptyPrefix: 'refused',
    });
    if (match !== undefined && match !== 'present') allowOrigins.push(match);
  }
  const exactOrigins = fields.strings('allowOrigin', { nonEmpty: true });
  if (exactOrigins.length > 0 && dialect === 'istio') {
    ctx.warn(
      fields.at('allowOrigin'),
      'deprecated-field',
      'allowOrigin is deprecated: read as allowOrigins with exact matches',
      {
        atKey: true,
      },
    );
  }
  for (const origin of exactOrigins) allowOrigins.push({ exact: origin.value });
  const allowMethods: string[] = [];
  for (const method of fields.strings('allowMethods')) {
    if (METHODS.includes(method.value)) allowMethods.push(method.value);
    else
      ctx.error(
        method.path,
        'invalid-value',
        `${showValue(method.value)} is not an HTTP method CORS allows (${METHODS.join(', ')})`,
      );
  }
  const allowHeaders = headerNames(fields, 'allowHeaders');
  const exposeHeaders = headerNames(fields, 'exposeHeaders');
  const maxAgeMs = fields.duration('maxAge', 'allowed');
  if (maxAgeMs !== undefined && maxAgeMs % 1000 !== 0) {
    ctx.error(
      fields.at('maxAge'),
      'invalid-duration',
      'maxAge is whole seconds (browsers cache preflights by the second)',
    );
  }
  const allowCredentials = fields.boolean('allowCredentials');
  return {
    allowOrigins,
    allowMethods,
    allowHeaders,
    exposeHeaders,
    ...(maxAgeMs !== undefined && maxAgeMs % 1000 === 0 && { maxAgeSeconds: maxAgeMs / 1000 }),
    ...(allowCredentials !== undefined && { allowCredentials }),
  };
}

function headerNames(fields: Fields, name: string): string[] {
  const names: string[] = [];
  for (const item of fields.strings(name)) {
    const problem = headerNameProblem(item.value);
    if (problem === undefined) names.push(item.value);
    else fields.ctx.error(item.path, 'invalid-header', problem);
  }
  return names;
}
