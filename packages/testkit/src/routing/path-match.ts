import { ecmaFullMatch, re2FullMatch, re2GrpcJs, type CompiledRegex } from './regex';
import type { RequestView } from './request';

/** Whose path matching to reproduce. */
export type PathRules = 'envoy' | 'envoy-v1' | 'grpc-js' | 'grpc-core';

export type PathSpecifier =
  | { readonly kind: 'prefix'; readonly value: string }
  | { readonly kind: 'path'; readonly value: string }
  | { readonly kind: 'regex'; readonly value: string }
  | { readonly kind: 'separated-prefix'; readonly value: string };

export interface PathMatcher {
  matches(request: RequestView): boolean;
  /** How many leading characters of `:path` the match covers: what a `prefix_rewrite` replaces. */
  matchedLength(request: RequestView): number;
}

/**
 * A route's path condition as each client evaluates it.
 *
 * - Envoy v3 (`PathMatcher::match`): prefix, exact path and safe_regex all look at the path without
 *   query and fragment; `case_sensitive: false` applies to prefix and path, never to a regex (RE2
 *   full match); `path_separated_prefix` must end at a `/` or the end of the path.
 * - Envoy v1 (1.5): `prefix` looks at the whole `:path`, query included; `path` at the part before
 *   `?`; `regex` (ECMAScript, whole match) at the part before `?`.
 * - grpc-js-xds 1.14.1 (`route.ts`, `matcher.ts`): the method path `/svc/Method`; with
 *   `case_sensitive: false`, prefix and exact compare lower-cased (older releases turned such an
 *   exact path into a prefix; 1.14.1 does not); safe_regex ignores case_sensitive and is anchored
 *   as `^…$` without a group.
 * - gRPC C-core: prefix and exact honour case_sensitive; safe_regex is an RE2 full match.
 *
 * Returns the error a client would refuse the route for instead, for a regex that does not compile.
 */
export function compilePathMatcher(
  spec: PathSpecifier,
  caseSensitive: boolean,
  rules: PathRules,
): PathMatcher | { error: string } {
  const fold = rules === 'grpc-js' ? (s: string) => s.toLowerCase() : asciiLower;
  const same = (a: string, b: string): boolean => (caseSensitive ? a === b : fold(a) === fold(b));
  const startsWith = (s: string, prefix: string): boolean =>
    caseSensitive ? s.startsWith(prefix) : fold(s).startsWith(fold(prefix));
  // The part of :path each client compares; Envoy v1's `path` and `regex` also stop at `?`.
  const target = (request: RequestView): string => (rules === 'envoy' ? request.pathOnly : request.path);
  const beforeQuery = (request: RequestView): string => {
    const query = request.path.indexOf('?');
    return query < 0 ? request.path : request.path.slice(0, query);
  };
  switch (spec.kind) {
    case 'prefix':
      return {
        matches: (request) => startsWith(target(request), spec.value),
        matchedLength: () => spec.value.length,
      };
    case 'separated-prefix':
      return {
        matches: (request) => {
          const path = request.pathOnly;
          const n = spec.value.length;
          return startsWith(path, spec.value) && (path.length === n || path[n] === '/');
        },
        matchedLength: () => spec.value.length,
      };
    case 'path': {
      const exactTarget = rules === 'envoy-v1' ? beforeQuery : target;
      return {
        matches: (request) => same(exactTarget(request), spec.value),
        matchedLength: (request) => exactTarget(request).length,
      };
    }
    case 'regex': {
      const regex: CompiledRegex =
        rules === 'envoy-v1'
          ? ecmaFullMatch(spec.value)
          : rules === 'grpc-js'
            ? re2GrpcJs(spec.value)
            : re2FullMatch(spec.value);
      if ('error' in regex) return regex;
      const regexTarget = rules === 'envoy-v1' ? beforeQuery : target;
      return {
        matches: (request) => regex.test(regexTarget(request)),
        matchedLength: (request) => regexTarget(request).length,
      };
    }
  }
}

/** Lower-cases ASCII letters only, as absl::AsciiStrToLower and strncasecmp do. */
export function asciiLower(text: string): string {
  return text.replace(/[A-Z]+/g, (letters) => letters.toLowerCase());
}
