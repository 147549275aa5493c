import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import { ConfigError, type Problem } from '../errors';
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

  /** Parses `text`; a syntax error throws a ConfigError naming the file, line and column. */
  static parse(text: string, file: string): SourceDocument {
    const lines = new LineCounter();
    const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false });
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
      const message = `${firstLine(first.message)}${hint}${more}`;
      throw new ConfigError(
        [{ file, line: pos.line, column: pos.col, path: '', message }],
        `cannot parse ${file}`,
      );
    }
    return new SourceDocument(file, doc.toJS({ maxAliasCount: 1000 }) as unknown, doc, lines);
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

function firstLine(message: string): string {
  return message.split('\n')[0] ?? message;
}
