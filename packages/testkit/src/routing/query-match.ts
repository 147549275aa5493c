import type { Problems } from './errors';
import type { RequestTest } from './header-match';
import { asObject, boolField, objectField, stringField } from './proto-fields';
import { ecmaFullMatch } from './regex';
import { compileStringMatcher } from './string-match';

/**
 * Envoy v3 QueryParameterMatchers (`ConfigUtility::QueryParameterMatcher::matches`): the
 * parameter must be present (first occurrence, not URL-decoded); then `present_match`, or no
 * specifier, accepts any value and `string_match` tests it. (The gRPC clients never get here:
 * grpc-js ignores these conditions and C-core ignores the whole route.)
 */
export function compileQueryMatchers(
  list: readonly unknown[],
  path: string,
  problems: Problems,
): RequestTest {
  const tests = list.map((item, index): RequestTest => {
    const itemPath = `${path}[${index}]`;
    const matcher = asObject(item, itemPath);
    const name = stringField(matcher, 'name', itemPath) ?? '';
    if (name === '') problems.add(`${itemPath}.name`, 'a query parameter matcher needs a name');
    const stringMatch = objectField(matcher, 'string_match', itemPath);
    const value = stringMatch
      ? compileStringMatcher(stringMatch, 'envoy', `${itemPath}.string_match`, problems)
      : () => true;
    return (request) => {
      const parameter = request.queryParameter(name);
      return parameter !== undefined && value(parameter);
    };
  });
  return (request) => tests.every((test) => test(request));
}

/**
 * Envoy v1's `query_parameters: [{ name, value, regex }]` (1.6+): present with no or an empty
 * value, equal to `value`, or matching it as a whole-value ECMAScript regex when `regex` is true.
 */
export function compileV1QueryMatchers(
  list: readonly unknown[],
  path: string,
  problems: Problems,
): RequestTest {
  const tests = list.map((item, index): RequestTest => {
    const itemPath = `${path}[${index}]`;
    const matcher = asObject(item, itemPath);
    const name = stringField(matcher, 'name', itemPath) ?? '';
    const value = stringField(matcher, 'value', itemPath) ?? '';
    if (boolField(matcher, 'regex', itemPath) === true) {
      const regex = ecmaFullMatch(value);
      if ('error' in regex) {
        problems.add(`${itemPath}.value`, regex.error);
        return () => false;
      }
      return (request) => {
        const parameter = request.queryParameter(name);
        return parameter !== undefined && regex.test(parameter);
      };
    }
    return (request) => {
      const parameter = request.queryParameter(name);
      return parameter !== undefined && (value === '' || parameter === value);
    };
  });
  return (request) => tests.every((test) => test(request));
}
