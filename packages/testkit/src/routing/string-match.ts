import { type Problems, SimulationError } from './errors';
import { asciiLower } from './path-match';
import { field, objectField, oneofMember, stringField, boolField, type JsonObject } from './proto-fields';
import { re2FullMatch, re2GrpcJs } from './regex';

export type ValueTest = (value: string) => boolean;

const NEVER: ValueTest = () => false;

const PATTERNS = ['exact', 'prefix', 'suffix', 'contains', 'safe_regex', 'custom'] as const;

/**
 * An envoy.type.matcher.v3.StringMatcher (header `string_match`, query parameter `string_match`).
 *
 * Envoy (`StringMatcherImpl`): `ignore_case` folds ASCII for exact/prefix/suffix/contains and is
 * ignored by safe_regex (an RE2 full match); the oneof is required and prefix/suffix/contains must
 * not be empty (PGV). grpc-js-xds (`getPredicateForStringMatcher`): the same kinds with
 * `toLowerCase`, safe_regex anchored `^…$`, and anything else (unset, custom) never matches.
 * An unknown `custom` extension is not simulated.
 */
export function compileStringMatcher(
  matcher: JsonObject,
  rules: 'envoy' | 'grpc-js',
  path: string,
  problems: Problems,
): ValueTest {
  const kind = oneofMember(matcher, PATTERNS);
  const ignoreCase = boolField(matcher, 'ignore_case', path) ?? false;
  const fold = rules === 'grpc-js' ? (s: string) => s.toLowerCase() : asciiLower;
  const norm = (s: string): string => (ignoreCase ? fold(s) : s);
  if (kind === undefined) {
    if (rules === 'envoy')
      problems.add(path, 'a StringMatcher needs one of exact, prefix, suffix, contains, safe_regex');
    return NEVER;
  }
  if (kind === 'custom') {
    if (rules === 'grpc-js') return NEVER;
    throw new SimulationError(`${path}.custom`, 'custom string matchers are not simulated');
  }
  if (kind === 'safe_regex') {
    const regexPath = `${path}.safe_regex`;
    const pattern = stringField(objectField(matcher, 'safe_regex', path) ?? {}, 'regex', regexPath) ?? '';
    const regex = rules === 'grpc-js' ? re2GrpcJs(pattern) : re2FullMatch(pattern);
    if ('error' in regex) {
      problems.add(regexPath, regex.error);
      return NEVER;
    }
    return (value) => regex.test(value);
  }
  const target = norm(String(field(matcher, kind)));
  if (target === '' && kind !== 'exact' && rules === 'envoy')
    problems.add(`${path}.${kind}`, 'must not be empty');
  switch (kind) {
    case 'exact':
      return (value) => norm(value) === target;
    case 'prefix':
      return (value) => norm(value).startsWith(target);
    case 'suffix':
      return (value) => norm(value).endsWith(target);
    case 'contains':
      return (value) => norm(value).includes(target);
  }
}
