import type * as JsYaml from 'js-yaml';
import { DOCUMENT_LIMITS, measureDocument, tooDeep } from './document-limits';

/** A document parsed without positions, or why it could not be (with the position the parser gave). */
export type PlainParse =
  | { readonly ok: true; readonly value: unknown }
  | {
      readonly ok: false;
      /** `limit`: past DOCUMENT_LIMITS, which any parser would refuse too; `syntax`: not YAML or JSON. */
      readonly failure: 'limit' | 'syntax';
      readonly message: string;
      readonly line?: number;
      readonly column?: number;
    };

// js-yaml's own depth limit keeps its recursion off the end of the stack (its typings predate the
// option). It counts every node, scalars too, as a level: collections maxDepth deep hold scalars one deeper.
function jsYamlOptions(jsYaml: typeof JsYaml): JsYaml.LoadOptions & { maxDepth: number } {
  return { schema: jsYaml.CORE_SCHEMA, maxDepth: DOCUMENT_LIMITS.maxDepth + 1 };
}

/**
 * js-yaml, required on first use: a daemon whose files are all JSON (the large ones usually are)
 * does not compile it at start-up. (Node caches the module.)
 */
function jsYaml(): typeof JsYaml {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('js-yaml') as typeof JsYaml;
}

/**
 * Parses YAML 1.2 (core schema), or JSON, which YAML reads, without keeping positions: ten times
 * faster than a parse that keeps them, for the large file where that matters. It holds a document
 * to the same DOCUMENT_LIMITS as SourceDocument.parse and, like it, refuses duplicate keys, in
 * JSON too (JSON.parse would let the last one win).
 */
export function parsePlainly(text: string): PlainParse {
  const json = /^\s*[{[]/.test(text) ? parseJson(text) : undefined;
  if (json) return json;
  return loadPlainly(text, (t, yaml) => yaml.load(t, jsYamlOptions(yaml)));
}

/** A stream of documents parsed without positions, or why it could not be. */
export type PlainParseAll =
  { readonly ok: true; readonly values: readonly unknown[] } | Extract<PlainParse, { readonly ok: false }>;

/**
 * Like parsePlainly, for a stream of documents separated by `---`: their values in order (null
 * for an empty one). The limits apply to the stream as a whole (measured as one list of the
 * documents, so aliases in many small documents cannot each spend the whole text's budget).
 */
export function parseAllPlainly(text: string): PlainParseAll {
  const json = /^\s*[{[]/.test(text) ? parseJson(text) : undefined;
  if (json) return json.ok ? { ok: true, values: [json.value] } : json;
  const parsed = loadPlainly(text, (t, yaml) => yaml.loadAll(t, undefined, jsYamlOptions(yaml)));
  return parsed.ok ? { ok: true, values: parsed.value as unknown[] } : parsed;
}

function loadPlainly(text: string, read: (text: string, yaml: typeof JsYaml) => unknown): PlainParse {
  const yaml = jsYaml();
  let value: unknown;
  try {
    value = read(text, yaml);
  } catch (error) {
    if (!(error instanceof yaml.YAMLException)) throw error;
    const position = { line: error.mark.line + 1, column: error.mark.column + 1 };
    return error.reason.startsWith('nesting exceeded maxDepth')
      ? { ok: false, failure: 'limit', message: tooDeep(), ...position }
      : { ok: false, failure: 'syntax', message: error.reason, ...position };
  }
  const measure = measureDocument(value, text.length);
  return measure.ok ? { ok: true, value } : { ok: false, failure: 'limit', message: measure.message };
}

/**
 * JSON.parse, when it reads the text and finds every key once; otherwise undefined, and the text
 * is read as YAML, which says where the syntax error or the duplicate key is.
 *
 * JSON has no aliases, so it holds fewer values than characters and only its depth needs a limit.
 * One pass over the text finds both its depth and how many keys it writes; a walk of the parsed
 * value (recursive: its depth is known to be bounded by then) counts the keys JSON.parse kept, which
 * are fewer when a key repeats. Both cost a fraction of what measureDocument's general walk costs
 * on a large file.
 */
function parseJson(text: string): PlainParse | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  const written = scanJson(text);
  if (written.depth > DOCUMENT_LIMITS.maxDepth) return { ok: false, failure: 'limit', message: tooDeep() };
  return countKeys(value) === written.keys ? { ok: true, value } : undefined;
}

/**
 * The keys a JSON text writes (every `:` outside a string separates a key from its value) and how
 * deeply it nests arrays and objects.
 */
function scanJson(text: string): { keys: number; depth: number } {
  let keys = 0;
  let depth = 0;
  let deepest = 0;
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      i = endOfString(text, i) - 1;
    } else if (c === COLON) {
      keys += 1;
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      depth += 1;
      if (depth > deepest) deepest = depth;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      depth -= 1;
    }
  }
  return { keys, depth: deepest };
}

/**
 * The index just past the string starting at `start` (a quote) of a valid JSON text. Strings are
 * most of a document's characters: the next quote is found by the native search, and ends the
 * string unless an odd number of backslashes escapes it.
 */
function endOfString(text: string, start: number): number {
  for (let from = start + 1; ;) {
    const quote = text.indexOf('"', from);
    if (quote < 0) return text.length;
    let backslashes = 0;
    while (text.charCodeAt(quote - 1 - backslashes) === BACKSLASH) backslashes += 1;
    if (backslashes % 2 === 0) return quote + 1;
    from = quote + 1;
  }
}

/** Keys of every object in a parsed JSON value (nested at most DOCUMENT_LIMITS.maxDepth deep). */
function countKeys(value: unknown): number {
  if (typeof value !== 'object' || value === null) return 0;
  let keys = 0;
  if (Array.isArray(value)) {
    for (const item of value) if (typeof item === 'object' && item !== null) keys += countKeys(item);
    return keys;
  }
  const record = value as Record<string, unknown>;
  for (const key in record) {
    keys += 1;
    const child = record[key];
    if (typeof child === 'object' && child !== null) keys += countKeys(child);
  }
  return keys;
}

const BACKSLASH = 0x5c;
const QUOTE = 0x22;
const COLON = 0x3a;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
