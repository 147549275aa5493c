import type { Problems } from './errors';
import {
  asObject,
  boolField,
  field,
  int64Field,
  objectField,
  oneofMember,
  stringField,
  type JsonObject,
} from './proto-fields';
import { ecmaFullMatch, re2FullMatch, re2GrpcJs } from './regex';
import type { RequestView } from './request';
import { compileStringMatcher, type ValueTest } from './string-match';

/** Whose header matching to reproduce. */
export type HeaderRules = 'envoy' | 'grpc-js' | 'grpc-core';

export type RequestTest = (request: RequestView) => boolean;

const SPECIFIERS = [
  'exact_match',
  'safe_regex_match',
  'range_match',
  'present_match',
  'prefix_match',
  'suffix_match',
  'contains_match',
  'string_match',
] as const;
type Specifier = (typeof SPECIFIERS)[number];

/** What each gRPC client accepts in the oneof; anything else is NACKed (route-config validation). */
const GRPC_SPECIFIERS: Record<'grpc-js' | 'grpc-core', readonly Specifier[]> = {
  // grpc-js-xds SUPPPORTED_HEADER_MATCH_SPECIFIERS: no contains_match.
  'grpc-js': [
    'exact_match',
    'safe_regex_match',
    'range_match',
    'present_match',
    'prefix_match',
    'suffix_match',
    'string_match',
  ],
  // C-core before 1.56 (gRFC A63): no string_match, "Invalid route header matcher specified."
  'grpc-core': [
    'exact_match',
    'safe_regex_match',
    'range_match',
    'present_match',
    'prefix_match',
    'suffix_match',
    'contains_match',
  ],
};

/** All of a route's (or fault filter's) v3 HeaderMatchers: every one must match. */
export function compileHeaderMatchers(
  list: readonly unknown[],
  rules: HeaderRules,
  path: string,
  problems: Problems,
): RequestTest {
  const tests = list.map((item, index) =>
    compileHeaderMatcher(asObject(item, `${path}[${index}]`), rules, `${path}[${index}]`, problems),
  );
  return (request) => tests.every((test) => test(request));
}

/**
 * One envoy.config.route.v3.HeaderMatcher.
 *
 * Envoy (`HeaderUtility::matchHeaders`): the values of a repeated header are joined with `,`. A
 * missing header matches only `present_match: false`, or `present_match: true` inverted — an
 * inverted value matcher does NOT match a missing header unless `treat_missing_header_as_empty`.
 * No specifier means presence; a deprecated `exact_match: ""` matches any value.
 *
 * gRPC clients look at metadata, which holds no pseudo-headers; `content-type` always reads
 * `application/grpc`. grpc-js-xds (`HeaderMatcher.apply`): a missing header, or any `-bin` one, fails
 * the value matcher and the inversion applies to that (so an inverted matcher takes a missing
 * header); `present_match` means presence whatever its value; no specifier never matches; range
 * needs `-?\d+`. C-core (`HeaderMatcher::Match`): `-bin` headers read as missing; presence compares
 * with `present_match`; other matchers fail on a missing header, then the inversion applies.
 */
function compileHeaderMatcher(
  matcher: JsonObject,
  rules: HeaderRules,
  path: string,
  problems: Problems,
): RequestTest {
  const name = (stringField(matcher, 'name', path) ?? '').toLowerCase();
  if (name === '') problems.add(`${path}.name`, 'a header matcher needs a name');
  const invert = boolField(matcher, 'invert_match', path) ?? false;
  const specifier = oneofMember(matcher, SPECIFIERS);
  if (rules !== 'envoy' && specifier !== undefined && !GRPC_SPECIFIERS[rules].includes(specifier)) {
    problems.add(`${path}.${specifier}`, `${rules} does not support this header matcher`);
  }
  if (rules === 'grpc-core' && specifier === undefined)
    problems.add(path, 'grpc-core requires a header match specifier');
  const value = compileValueTest(matcher, specifier, rules, path, problems);

  if (rules === 'envoy') {
    const present =
      specifier === undefined || specifier === 'present_match'
        ? (boolField(matcher, 'present_match', path) ?? true)
        : undefined;
    const missingAsEmpty = boolField(matcher, 'treat_missing_header_as_empty', path) ?? false;
    return (request) => {
      let header = envoyHeader(request, name);
      if (header === undefined && !missingAsEmpty) return invert ? present === true : present === false;
      header ??= '';
      const matched = present !== undefined ? present : value(header);
      return matched !== invert;
    };
  }
  if (rules === 'grpc-js') {
    return (request) => {
      const header = name.endsWith('-bin') ? undefined : grpcHeader(request, name);
      const matched = header !== undefined && value(header);
      return matched !== invert;
    };
  }
  const presentMatch = boolField(matcher, 'present_match', path) ?? false;
  return (request) => {
    const header = name.endsWith('-bin') ? undefined : grpcHeader(request, name);
    const matched =
      specifier === 'present_match'
        ? (header !== undefined) === presentMatch
        : header !== undefined && value(header);
    return matched !== invert;
  };
}

function compileValueTest(
  matcher: JsonObject,
  specifier: Specifier | undefined,
  rules: HeaderRules,
  path: string,
  problems: Problems,
): ValueTest {
  const text = (name: Specifier): string => stringField(matcher, name, path) ?? '';
  switch (specifier) {
    case undefined:
      // Envoy: presence; grpc-js: RejectValueMatcher; C-core: NACKed above.
      return () => rules === 'envoy';
    case 'present_match':
      return () => true;
    case 'exact_match': {
      const target = text('exact_match');
      // Envoy's HeaderMatchType::Value: an empty value matches any value.
      return (value) => (rules === 'envoy' && target === '') || value === target;
    }
    case 'prefix_match':
    case 'suffix_match':
    case 'contains_match': {
      const target = text(specifier);
      if (target === '' && rules === 'envoy') problems.add(`${path}.${specifier}`, 'must not be empty');
      if (specifier === 'prefix_match') return (value) => value.startsWith(target);
      if (specifier === 'suffix_match') return (value) => value.endsWith(target);
      return (value) => value.includes(target);
    }
    case 'safe_regex_match': {
      const regexPath = `${path}.safe_regex_match`;
      const pattern =
        stringField(objectField(matcher, 'safe_regex_match', path) ?? {}, 'regex', regexPath) ?? '';
      const regex = rules === 'grpc-js' ? re2GrpcJs(pattern) : re2FullMatch(pattern);
      if ('error' in regex) {
        problems.add(regexPath, regex.error);
        return () => false;
      }
      return (value) => regex.test(value);
    }
    case 'range_match': {
      const rangePath = `${path}.range_match`;
      const range = objectField(matcher, 'range_match', path) ?? {};
      const start = int64Field(range, 'start', rangePath) ?? 0n;
      const end = int64Field(range, 'end', rangePath) ?? 0n;
      if (rules === 'grpc-core' && end < start) problems.add(rangePath, 'end is smaller than start');
      // Envoy: an optional sign then digits; grpc-js: /^-?\d+$/.
      const integer = rules === 'grpc-js' ? /^-?\d+$/ : /^[+-]?\d+$/;
      return (value) => integer.test(value) && BigInt(value) >= start && BigInt(value) < end;
    }
    case 'string_match': {
      const stringMatch = asObject(field(matcher, 'string_match'), `${path}.string_match`);
      return compileStringMatcher(
        stringMatch,
        rules === 'grpc-js' ? 'grpc-js' : 'envoy',
        `${path}.string_match`,
        problems,
      );
    }
  }
}

/** A header as Envoy's matchers read it: pseudo-headers included, repeated values joined with `,`. */
export function envoyHeader(request: RequestView, name: string): string | undefined {
  const pseudo = request.pseudo(name);
  if (pseudo !== undefined) return pseudo;
  const values = request.values(name);
  return values.length === 0 ? undefined : values.join(',');
}

/** Metadata as a gRPC client's route matching reads it: no pseudo-headers, content-type fixed. */
function grpcHeader(request: RequestView, name: string): string | undefined {
  if (name === 'content-type') return 'application/grpc';
  if (name.startsWith(':')) return undefined;
  const values = request.values(name);
  return values.length === 0 ? undefined : values.join(',');
}

/**
 * Envoy v1's `headers: [{ name, value, regex }]` (`HeaderUtility::matchHeaders`, 1.5): no value
 * (or an empty one) means presence; otherwise the first value of the header must equal `value`,
 * or match it as an ECMAScript regex over the whole value when `regex` is true.
 */
export function compileV1HeaderMatchers(
  list: readonly unknown[],
  path: string,
  problems: Problems,
): RequestTest {
  const tests = list.map((item, index): RequestTest => {
    const itemPath = `${path}[${index}]`;
    const matcher = asObject(item, itemPath);
    const name = (stringField(matcher, 'name', itemPath) ?? '').toLowerCase();
    const value = stringField(matcher, 'value', itemPath) ?? '';
    const first = (request: RequestView): string | undefined =>
      request.pseudo(name) ?? request.values(name)[0];
    if (value === '') return (request) => first(request) !== undefined;
    if (boolField(matcher, 'regex', itemPath) !== true) return (request) => first(request) === value;
    const regex = ecmaFullMatch(value);
    if ('error' in regex) {
      problems.add(`${itemPath}.value`, regex.error);
      return () => false;
    }
    return (request) => {
      const header = first(request);
      return header !== undefined && regex.test(header);
    };
  });
  return (request) => tests.every((test) => test(request));
}
