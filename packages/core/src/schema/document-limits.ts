/**
 * What any YAML or JSON document an operator hands sextant (the daemon config, a services file)
 * may hold, whichever parser reads it. They keep parsing, validating and showing a document
 * bounded in time, memory and stack, however it was written.
 */
export const DOCUMENT_LIMITS = {
  /** Collections nested deeper than this are refused (a services file needs 6 levels, a config about 8). */
  maxDepth: 64,
  /**
   * Aliases (`*name`) in one YAML document. The yaml package resolves each by scanning the
   * document's anchors and aliases, so their number costs quadratic time.
   */
  maxAliases: 1000,
  /**
   * Values a document may hold with its aliases expanded, per character of the document, plus
   * `extraValues`. Written out, a document holds fewer values than characters, so this leaves room
   * for aliases that repeat its parts, and none for one that doubles itself level after level.
   */
  valuesPerCharacter: 2,
  extraValues: 1000,
} as const;

/** The number of values a document of `length` characters may hold, aliases expanded. */
export function maxDocumentValues(length: number): number {
  return DOCUMENT_LIMITS.valuesPerCharacter * length + DOCUMENT_LIMITS.extraValues;
}

export type DocumentMeasure =
  | { readonly ok: true; /** Keys of every object, counted once per occurrence. */ readonly keys: number }
  | { readonly ok: false; readonly message: string };

/**
 * Walks a parsed document (without recursion, counting every alias as a copy of what it points
 * at) and stops as soon as it is nested too deeply or holds too many values. A value shared by
 * aliases, or even one that contains itself, costs at most the budget.
 */
export function measureDocument(value: unknown, length: number): DocumentMeasure {
  const maxValues = maxDocumentValues(length);
  let values = 1;
  let keys = 0;
  const pending: [unknown, number][] = [[value, 1]];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const [item, depth] = next;
    if (typeof item !== 'object' || item === null) continue;
    if (depth > DOCUMENT_LIMITS.maxDepth) return { ok: false, message: tooDeep() };
    const children: readonly unknown[] = Array.isArray(item) ? item : Object.values(item);
    if (!Array.isArray(item)) keys += children.length;
    values += children.length;
    if (values > maxValues) {
      return {
        ok: false,
        message:
          `aliases expand the document to more than ${maxValues} values, the limit for ` +
          `${length} characters: write the repeated parts out instead`,
      };
    }
    for (const child of children) {
      if (typeof child === 'object' && child !== null) pending.push([child, depth + 1]);
    }
  }
  return { ok: true, keys };
}

/** The message for a document nested deeper than the limit, whichever stage finds it. */
export function tooDeep(): string {
  return `the document is nested more than ${DOCUMENT_LIMITS.maxDepth} levels deep`;
}

/** Whether `value` holds at most `limit` values (aliases counted as copies); costs at most `limit` steps. */
export function holdsAtMostValues(value: unknown, limit: number): boolean {
  let values = 1;
  const pending: unknown[] = [value];
  // Every services file read is checked this way, service by service: no array per object.
  for (let item = pending.pop(); item !== undefined; item = pending.pop()) {
    if (Array.isArray(item)) {
      values += item.length;
      if (values > limit) return false;
      for (const child of item as unknown[])
        if (typeof child === 'object' && child !== null) pending.push(child);
    } else if (typeof item === 'object' && item !== null) {
      // for-in reads the object's own keys (values of documents have no enumerable inherited ones)
      // without building an array of them.
      for (const key in item) {
        if ((values += 1) > limit) return false;
        const child = (item as Record<string, unknown>)[key];
        if (typeof child === 'object' && child !== null) pending.push(child);
      }
    }
  }
  return true;
}
