import type { FieldPath } from '../../schema/path';
import type { StringMatch } from '../model';
import { re2Problem } from '../validate/regex';
import { Fields } from './fields';
import type { RuleContext } from './rule-context';

const STRING_MATCH = { known: ['exact', 'prefix', 'regex'] } as const;

/**
 * An Istio StringMatch (`{ exact | prefix | regex }`), its regex compiled as RE2. `presence`:
 * where an empty match (`{}`, or no value at all) means "present", as for headers, it comes back
 * as `'present'`; elsewhere it is an error. `emptyPrefix`: whether `prefix: ""` is allowed (for
 * the URI it matches everything; for the request-line headers Istio refuses it).
 */
export function readStringMatch(
  ctx: RuleContext,
  value: unknown,
  path: FieldPath,
  options: { presence: 'allowed' | 'refused'; emptyPrefix: 'allowed' | 'refused' },
): StringMatch | 'present' | undefined {
  if ((value === null || value === undefined) && options.presence === 'allowed') return 'present';
  const fields = Fields.read(ctx, value, path, STRING_MATCH);
  if (!fields) return undefined;
  const given = fields.names();
  if (given.length === 0) {
    if (options.presence === 'allowed') return 'present';
    ctx.error(path, 'missing-field', 'a string match needs one of exact, prefix or regex');
    return undefined;
  }
  if (given.length > 1) {
    ctx.error(
      path,
      'conflicting-fields',
      `a string match takes one of exact, prefix or regex, not ${given.join(' and ')}`,
    );
    return undefined;
  }
  const exact = fields.string('exact');
  if (exact !== undefined) return { exact };
  const prefix = fields.string('prefix');
  if (prefix !== undefined) {
    if (prefix === '' && options.emptyPrefix === 'refused') {
      ctx.error(fields.at('prefix'), 'invalid-value', 'a prefix match must not be empty');
      return undefined;
    }
    return { prefix };
  }
  const regex = fields.string('regex');
  if (regex === undefined) return undefined;
  // Istio reads a header regex of `*` as presence (it is not a valid regex).
  if (regex === '*' && options.presence === 'allowed') return 'present';
  return checkedRegex(ctx, regex, fields.at('regex')) === undefined ? undefined : { regex };
}

/** `regex` when RE2 compiles it; otherwise undefined, reported at `path`. */
export function checkedRegex(ctx: RuleContext, regex: string, path: FieldPath): string | undefined {
  const problem = re2Problem(regex);
  if (problem === undefined) return regex;
  ctx.error(path, 'invalid-regex', problem);
  return undefined;
}
