import {
  Composer,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  Parser,
  YAMLParseError,
  type CST,
  type Document,
  type Node,
} from 'yaml';
import { ConfigError, DocumentLimitError, type Problem } from '../errors';
import { DOCUMENT_LIMITS, measureDocument, tooDeep } from './document-limits';
import { formatFieldPath, type FieldPath } from './path';

/**
 * A YAML (or JSON: YAML 1.2 reads it) document that remembers where every value came from,
 * so that a problem found later, by a schema or a semantic check, can name the file, line,
 * column and field path.
 */
export class SourceDocument {
  private constructor(
    readonly file: string,
    readonly value: unknown,
    private readonly doc: Document,
    private readonly lines: LineCounter,
  ) {}

  /**
   * Parses `text`; anything that makes it unusable throws a ConfigError naming the file and,
   * where there is one, the line and column: a DocumentLimitError for a document past
   * DOCUMENT_LIMITS (nested too deeply, too many aliases, aliases expanding it too far).
   */
  static parse(text: string, file: string): SourceDocument {
    const { tokens, lines } = tokenize(text, file);
    const doc = composeOne(tokens, text.length);
    const result = SourceDocument.fromComposed(doc, text, file, lines, text.length);
    if (result instanceof ConfigError) throw result;
    return result;
  }

  /**
   * Parses a stream of documents separated by `---` (a Kubernetes manifest), each remembering
   * positions in the whole text. A document with a syntax error comes back as the ConfigError
   * naming it, in its place, so the others can still be used; a text past DOCUMENT_LIMITS (which
   * apply to the whole stream) throws a DocumentLimitError. Empty documents are kept (their value
   * is null), so indexes count every document a reader sees.
   */
  static parseAll(text: string, file: string): (SourceDocument | ConfigError)[] {
    const { tokens, lines } = tokenize(text, file);
    const results: (SourceDocument | ConfigError)[] = [];
    const composer = new Composer({ uniqueKeys: true });
    for (const doc of composer.compose(tokens, false, text.length)) {
      const [start, , end] = doc.range;
      results.push(SourceDocument.fromComposed(doc, text, file, lines, end - start));
    }
    return results;
  }

  /**
   * A composed document as a SourceDocument, or the ConfigError saying why it cannot be one
   * (throws a DocumentLimitError when its aliases expand it past the limit for `length` characters).
   */
  private static fromComposed(
    doc: Document,
    text: string,
    file: string,
    lines: LineCounter,
    length: number,
  ): SourceDocument | ConfigError {
    const fail = (message: string, offset?: number): ConfigError =>
      new ConfigError([problemAt(file, lines, message, offset)], `cannot parse ${file}`);
    const [first] = doc.errors;
    if (first) {
      // After one syntax error the parser reports every token it can no longer place:
      // the first error is the one to fix.
      const pos = lines.linePos(first.pos[0]);
      const source = text.split('\n')[pos.line - 1] ?? '';
      const hint = source.includes('${')
        ? ' (inside { } or [ ], quote a value that uses ${VAR}: "${VAR}")'
        : '';
      const more =
        doc.errors.length > 1 ? ` (${doc.errors.length - 1} further syntax error(s) follow from it)` : '';
      return fail(`${firstLine(first.message)}${hint}${more}`, first.pos[0]);
    }
    let value: unknown;
    try {
      // Aliases come out as shared references, so this is linear; measureDocument below is what
      // bounds their expansion, the same way for every parser (yaml's own count would refuse
      // documents the plain parse accepts).
      value = doc.toJS({ maxAliasCount: -1 });
    } catch (error) {
      // An alias to an anchor defined later, for one.
      return fail((error as Error).message);
    }
    const measure = measureDocument(value, length);
    if (!measure.ok) {
      throw new DocumentLimitError([problemAt(file, lines, measure.message)], `cannot parse ${file}`);
    }
    return new SourceDocument(file, value, doc, lines);
  }

  /** A problem at `path`, located at the deepest part of the path that exists in the source. */
  problem(path: FieldPath, message: string, pointAtKey = false): Problem {
    const position = this.locate(path, pointAtKey);
    return { file: this.file, ...position, path: formatFieldPath(path), message };
  }

  /**
   * 1-based line and column of the value at `path` (or of its key, for problems such as an
   * unknown field), or of its nearest existing ancestor.
   */
  locate(path: FieldPath, pointAtKey = false): { line?: number; column?: number } {
    let node: unknown = this.doc.contents;
    let offset: number | undefined = rangeStart(node);
    for (const [index, segment] of path.entries()) {
      const next = child(node, segment, pointAtKey && index === path.length - 1);
      if (next === undefined) break;
      node = next.node;
      offset = next.offset ?? offset;
    }
    if (offset === undefined) return {};
    const pos = this.lines.linePos(offset);
    return { line: pos.line, column: pos.col };
  }
}

function child(
  node: unknown,
  segment: string | number,
  pointAtKey: boolean,
): { node: unknown; offset?: number } | undefined {
  if (isSeq(node) && typeof segment === 'number') {
    const item = node.items[segment];
    return item === undefined ? undefined : { node: item, offset: rangeStart(item) };
  }
  if (isMap(node)) {
    for (const pair of node.items) {
      if (!isPair(pair)) continue;
      const key = isScalar(pair.key) ? pair.key.value : pair.key;
      if (String(key) === String(segment)) {
        // Point at the value; a key with no value (`field:`) points at the key.
        const offset = pointAtKey ? rangeStart(pair.key) : (rangeStart(pair.value) ?? rangeStart(pair.key));
        return { node: pair.value, offset };
      }
    }
  }
  return undefined;
}

function rangeStart(node: unknown): number | undefined {
  const range = (node as Node | null | undefined)?.range;
  return range ? range[0] : undefined;
}

/** A problem at an offset of the text, located by line and column. */
function problemAt(file: string, lines: LineCounter, message: string, offset?: number): Problem {
  const pos = offset === undefined ? undefined : lines.linePos(offset);
  return { file, ...(pos && { line: pos.line, column: pos.col }), path: '', message };
}

/**
 * The parser's tokens for `text`, after the checks that must come before anything recurses: the
 * composer recurses per level, and near the end of the stack V8 can abort the whole process
 * (compiling a regular expression there fails as "out of memory"), so the depth is checked on
 * the tokens. Throws a DocumentLimitError past the limits.
 */
function tokenize(text: string, file: string): { tokens: CST.Token[]; lines: LineCounter } {
  const lines = new LineCounter();
  const pastLimit = (message: string, offset?: number): never => {
    throw new DocumentLimitError([problemAt(file, lines, message, offset)], `cannot parse ${file}`);
  };
  const tokens = [...new Parser(lines.addNewLine).parse(text)];
  const shape = measureTokens(tokens);
  if (shape.tooDeepAt !== undefined) pastLimit(tooDeep(), shape.tooDeepAt);
  if (shape.aliases > DOCUMENT_LIMITS.maxAliases) {
    pastLimit(
      `the document has more than ${DOCUMENT_LIMITS.maxAliases} aliases (*name)`,
      shape.firstAliasPast,
    );
  }
  return { tokens, lines };
}

function firstLine(message: string): string {
  return message.split('\n')[0] ?? message;
}

/** Composes the parser's tokens into one document, as yaml's parseDocument does. */
function composeOne(tokens: readonly CST.Token[], length: number): Document {
  const composer = new Composer({ uniqueKeys: true });
  let doc: Document | undefined;
  for (const next of composer.compose(tokens, true, length)) {
    if (!doc) {
      doc = next;
    } else {
      doc.errors.push(
        new YAMLParseError(
          [next.range[0], next.range[1]],
          'MULTIPLE_DOCS',
          'Source contains multiple documents; please use YAML.parseAllDocuments()',
        ),
      );
      break;
    }
  }
  // compose(…, forceDoc = true) yields a document even for empty text.
  return doc as Document;
}

/**
 * The nesting depth and aliases of a token tree, walked without recursion: the offset of the
 * first collection nested past the limit, and how many aliases there are (with the offset of the
 * first one past the limit).
 */
function measureTokens(tokens: readonly CST.Token[]): {
  tooDeepAt?: number;
  aliases: number;
  firstAliasPast?: number;
} {
  let aliases = 0;
  let firstAliasPast: number | undefined;
  // A stack, filled in reverse so that tokens come off it in document order.
  const pending: [CST.Token, number][] = tokens.map((token): [CST.Token, number] => [token, 0]).reverse();
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const [token, depth] = next;
    switch (token.type) {
      case 'document':
        if (token.value) pending.push([token.value, depth]);
        break;
      case 'alias':
        aliases += 1;
        if (aliases === DOCUMENT_LIMITS.maxAliases + 1) firstAliasPast = token.offset;
        break;
      case 'block-map':
      case 'block-seq':
      case 'flow-collection':
        if (depth + 1 > DOCUMENT_LIMITS.maxDepth) return { tooDeepAt: token.offset, aliases };
        for (const item of [...(token.items as CST.CollectionItem[])].reverse()) {
          if (item.value) pending.push([item.value, depth + 1]);
          if (item.key) pending.push([item.key, depth + 1]);
        }
        break;
      default:
        break;
    }
  }
  return { aliases, ...(firstAliasPast !== undefined && { firstAliasPast }) };
}
