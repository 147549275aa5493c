import type * as Re2js from 're2js';

/**
 * re2js, required on first use: 250 KB of source that a daemon whose rules hold no regex never
 * runs, and would otherwise compile at every start-up. (Node caches the module.)
 */
function re2js(): typeof Re2js {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('re2js') as typeof Re2js;
}

/** Istio refuses longer regexes (`validateStringRegexp`); Envoy's RE2 program-size limit bites soon after. */
export const MAX_REGEX_LENGTH = 1024;

/**
 * What RE2 says is wrong with `pattern`, or undefined when it compiles. re2js is a port of Go's
 * regexp/syntax (which Istio validates with) and its RE2 dialect is what Envoy v3
 * (`safe_regex`, google_re2) and gRPC clients (RE2, re2-wasm) run.
 */
export function re2Problem(pattern: string): string | undefined {
  if (pattern.length > MAX_REGEX_LENGTH) {
    return `a regex has at most ${MAX_REGEX_LENGTH} characters (this one has ${pattern.length})`;
  }
  try {
    re2js().RE2JS.compile(pattern);
    return undefined;
  } catch (error) {
    return `not a valid RE2 regex: ${(error as Error).message}`;
  }
}

/**
 * What an ECMAScript engine (Envoy v1 matched `regex` with std::regex, ECMAScript grammar) reads
 * differently in an RE2 pattern, or undefined when both read it alike. Checked on patterns RE2
 * compiles: flags (`(?i)`), `\A` and `\z`, named groups, Unicode classes (`\pL`), `\Q…\E`
 * quoting and `\x{…}` escapes mean something else there, or nothing.
 */
export function ecmaScriptDifference(pattern: string): string | undefined {
  let inClass = false;
  for (let i = 0; i < pattern.length; i += 1) {
    const c = pattern[i];
    if (c === '\\') {
      const next = pattern[i + 1] ?? '';
      const found = ESCAPES[next];
      if (found && !(inClass && (next === 'A' || next === 'z'))) return found;
      if (next === 'x' && pattern[i + 2] === '{')
        return '`\\x{…}` is a code point in RE2 but "x" repeated in ECMAScript';
      i += 1;
    } else if (inClass) {
      if (c === ']') inClass = false;
      else if (c === '[' && pattern.startsWith('[:^', i))
        return 'negated POSIX classes ([[:^alpha:]]) are RE2 only';
    } else if (c === '[') {
      inClass = true;
      // `]` first in a class is a literal in RE2 (and in ECMAScript an empty class: different).
      if (pattern[i + 1] === ']' || (pattern[i + 1] === '^' && pattern[i + 2] === ']')) {
        return 'a "]" first in a class is a literal in RE2 but closes an empty class in ECMAScript';
      }
    } else if (c === '(' && pattern[i + 1] === '?') {
      const rest = pattern.slice(i + 2);
      if (rest.startsWith('P<') || (rest.startsWith('<') && !/^<[=!]/.test(rest))) {
        return 'named groups ((?P<name>…)) are not ECMAScript in Envoy v1';
      }
      if (/^[imsU-]/.test(rest))
        return 'flags such as (?i) are not ECMAScript: Envoy v1 refuses or misreads them';
    }
  }
  return undefined;
}

const ESCAPES: Readonly<Record<string, string>> = {
  A: '`\\A` (start of text) is RE2 only: ECMAScript reads "A"',
  z: '`\\z` (end of text) is RE2 only: ECMAScript reads "z"',
  p: 'Unicode classes (\\pL, \\p{Greek}) are RE2 only: ECMAScript reads "p"',
  P: 'Unicode classes (\\PL, \\P{Greek}) are RE2 only: ECMAScript reads "P"',
  Q: '`\\Q…\\E` quoting is RE2 only: ECMAScript reads "Q" and "E"',
};
