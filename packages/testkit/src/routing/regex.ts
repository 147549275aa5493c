import { RE2 } from 're2-wasm';
import { SimulationError } from './errors';

/** A compiled expression, or why the client would refuse the pattern. */
export type CompiledRegex = { readonly test: (input: string) => boolean } | { readonly error: string };

/**
 * re2-wasm (the engine grpc-js-xds runs) never frees a compiled expression, and its heap is fixed
 * at 16 MiB: about 9,500 compilations, of any pattern, abort the module for the rest of the process
 * (measured with re2-wasm 1.0.2). So each distinct source is compiled once per process and kept,
 * and past MAX_PATTERNS the simulator refuses with a clear error rather than run the heap out.
 */
const compiledSources = new Map<string, RE2 | { error: string }>();
const MAX_PATTERNS = 4000;

function re2(source: string, flags: 'u' | 'gu'): RE2 | { error: string } {
  const key = `${flags}/${source}`;
  let compiled = compiledSources.get(key);
  if (!compiled) {
    if (compiledSources.size >= MAX_PATTERNS) {
      throw new SimulationError(
        '',
        `more than ${MAX_PATTERNS} distinct regular expressions in one process (re2-wasm cannot free them)`,
      );
    }
    try {
      compiled = new RE2(source, flags);
    } catch (error) {
      compiled = { error: `invalid RE2 regex ${JSON.stringify(source)}: ${(error as Error).message}` };
    }
    compiledSources.set(key, compiled);
  }
  return compiled;
}

/**
 * RE2 matching the whole input, as Envoy's safe_regex and gRPC C-core do (RE2::FullMatch). The
 * pattern is checked on its own first: wrapped in a group, `a)|(b` would become valid.
 */
export function re2FullMatch(pattern: string): CompiledRegex {
  const alone = re2(pattern, 'u');
  if ('error' in alone) return alone;
  const anchored = re2(`^(?:${pattern})$`, 'u');
  return 'error' in anchored ? anchored : { test: (input) => anchored.test(input) };
}

/**
 * RE2 the way grpc-js-xds anchors it: `^${pattern}$`, without a group, so in `a|b` the anchors bind
 * to the alternatives (`^a|b$` accepts "ax"). Faithfully reproduced.
 */
export function re2GrpcJs(pattern: string): CompiledRegex {
  const compiled = re2(`^${pattern}$`, 'u');
  return 'error' in compiled ? compiled : { test: (input) => compiled.test(input) };
}

/**
 * Envoy's RE2 substitution over every match (regex_rewrite): `\1` refers to a group; JavaScript's
 * replacement syntax (`$1`, `$&`) is escaped so it stays literal.
 */
export function re2ReplaceAll(
  pattern: string,
  substitution: string,
  input: string,
): string | { error: string } {
  const compiled = re2(pattern, 'gu');
  if ('error' in compiled) return compiled;
  const replacement = substitution.replace(/\$/g, '$$$$').replace(/\\(\d)/g, '$$$1');
  return compiled.replace(input, replacement);
}

/**
 * Envoy v1's regexes: std::regex with the ECMAScript grammar, matched against the whole input
 * (std::regex_match). JavaScript's RegExp is that grammar; the configuration under test is
 * Sextant's own output, so backtracking cost is the test's, not a client's, concern.
 */
export function ecmaFullMatch(pattern: string): CompiledRegex {
  try {
    new RegExp(pattern);
    const anchored = new RegExp(`^(?:${pattern})$`);
    return { test: (input) => anchored.test(input) };
  } catch (error) {
    return { error: `invalid ECMAScript regex ${JSON.stringify(pattern)}: ${(error as Error).message}` };
  }
}
