import { CORE_SCHEMA, load, loadAll, YAMLException, type LoadOptions } from 'js-yaml';
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
const JS_YAML_OPTIONS: LoadOptions & { maxDepth: number } = {
  schema: CORE_SCHEMA,
  maxDepth: DOCUMENT_LIMITS.maxDepth + 1,
};

/**
 * Parses YAML 1.2 (core schema), or JSON, which YAML reads, without keeping positions: ten times
 * faster than a parse that keeps them, for the large file where that matters. It holds a document
 * to the same DOCUMENT_LIMITS as SourceDocument.parse and, like it, refuses duplicate keys, in
 * JSON too (JSON.parse would let the last one win).
 */
export function parsePlainly(text: string): PlainParse {
  const json = /^\s*[{[]/.test(text) ? parseJson(text) : undefined;
  if (json) return json;
  return loadPlainly(text, (t) => load(t, JS_YAML_OPTIONS));
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
  const parsed = loadPlainly(text, (t) => loadAll(t, undefined, JS_YAML_OPTIONS));
  return parsed.ok ? { ok: true, values: parsed.value as unknown[] } : parsed;
}

function loadPlainly(text: string, read: (text: string) => unknown): PlainParse {
  let value: unknown;
  try {
    value = read(text);
  } catch (error) {
    if (!(error instanceof YAMLException)) throw error;
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
 */
function parseJson(text: string): PlainParse | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  const measure = measureDocument(value, text.length);
  if (!measure.ok) return { ok: false, failure: 'limit', message: measure.message };
  return measure.keys === countJsonKeys(text) ? { ok: true, value } : undefined;
}

/** Keys written in a JSON text: every `:` outside a string separates a key from its value. */
function countJsonKeys(text: string): number {
  let keys = 0;
  let inString = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i += 1;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) {
      inString = true;
    } else if (c === COLON) {
      keys += 1;
    }
  }
  return keys;
}

const BACKSLASH = 0x5c;
const QUOTE = 0x22;
const COLON = 0x3a;
