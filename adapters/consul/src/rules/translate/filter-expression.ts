import { tagLabel } from '../../instance-labels';

/**
 * The part of Consul's filter language (hashicorp/go-bexpr) a resolver subset's `Filter` can use
 * in Sextant: conditions on an instance's own metadata and tags, joined with `and`, which become a
 * label selector over the labels instance-labels.ts gives instances:
 *
 * - `Service.Meta.<k> == "<v>"` (or `Service.Meta["<k>"] == "<v>"`) → label `<k>` = `<v>`;
 * - `"<t>" in Service.Tags` (or `Service.Tags contains "<t>"`) → label `tag.<t>` = `true`, or for a
 *   tag `<k>=<v>` → label `<k>` = `<v>`;
 * - `<a> and <b>`, and parentheses around any of these.
 *
 * Values may be "double-quoted", `back-quoted` or bare words, as in bexpr. Anything else (`or`,
 * `not`, `!=`, `matches`, `Node.*`, `Service.ID`…) is refused: a selector cannot express it.
 */
export type FilterReading =
  { readonly labels: Readonly<Record<string, string>> } | { readonly problem: string };

/** Longest expression read: a filter is one line of config, not a program. */
const MAX_LENGTH = 4096;

type Token =
  | { readonly kind: 'value'; readonly text: string; readonly quoted: boolean }
  | { readonly kind: 'op'; readonly text: '==' | '(' | ')' | '[' | ']' | 'other' };

export function readFilterExpression(expression: string): FilterReading {
  if (expression.length > MAX_LENGTH) return { problem: `longer than ${MAX_LENGTH} characters` };
  const tokens = tokenize(expression);
  if ('problem' in tokens) return tokens;
  if (tokens.length === 0) return { labels: {} };
  const parser = new Parser(tokens);
  const conditions = parser.expression();
  if ('problem' in conditions) return conditions;
  if (!parser.done) return { problem: `unsupported at "${parser.rest()}"` };
  const labels: Record<string, string> = {};
  for (const [key, value] of conditions) {
    if (key in labels && labels[key] !== value) {
      return { problem: `it asks label ${key} to be both "${labels[key]}" and "${value}", which nothing is` };
    }
    labels[key] = value;
  }
  return { labels };
}

function tokenize(text: string): Token[] | { problem: string } {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i] as string;
    if (/\s/.test(c)) {
      i += 1;
    } else if (c === '"' || c === '`') {
      let value = '';
      let j = i + 1;
      for (; j < text.length && text[j] !== c; j += 1) {
        if (c === '"' && text[j] === '\\' && j + 1 < text.length) j += 1;
        value += text[j];
      }
      if (j >= text.length) return { problem: 'a quoted value is not closed' };
      tokens.push({ kind: 'value', text: value, quoted: true });
      i = j + 1;
    } else if (text.startsWith('==', i)) {
      tokens.push({ kind: 'op', text: '==' });
      i += 2;
    } else if (c === '(' || c === ')' || c === '[' || c === ']') {
      tokens.push({ kind: 'op', text: c });
      i += 1;
    } else {
      const word = /^[A-Za-z0-9_.\-/:]+/.exec(text.slice(i))?.[0];
      if (!word) {
        tokens.push({ kind: 'op', text: 'other' });
        return tokens;
      }
      tokens.push({ kind: 'value', text: word, quoted: false });
      i += word.length;
    }
  }
  return tokens;
}

class Parser {
  private at = 0;
  constructor(private readonly tokens: readonly Token[]) {}

  get done(): boolean {
    return this.at >= this.tokens.length;
  }

  rest(): string {
    return this.tokens
      .slice(this.at)
      .map((t) => (t.kind === 'value' && t.quoted ? `"${t.text}"` : t.text))
      .join(' ');
  }

  /** term ('and' term)* */
  expression(): [string, string][] | { problem: string } {
    const first = this.term();
    if ('problem' in first) return first;
    const all = [...first];
    while (this.isWord('and')) {
      this.at += 1;
      const next = this.term();
      if ('problem' in next) return next;
      all.push(...next);
    }
    return all;
  }

  private term(): [string, string][] | { problem: string } {
    if (this.isOp('(')) {
      this.at += 1;
      const inner = this.expression();
      if ('problem' in inner) return inner;
      if (!this.isOp(')')) return { problem: `a parenthesis is not closed at "${this.rest()}"` };
      this.at += 1;
      return inner;
    }
    const start = this.at;
    const selector = this.selector();
    if (selector?.kind === 'meta' && this.isOp('==')) {
      this.at += 1;
      const value = this.value();
      if (value !== undefined) return [[selector.key, value]];
    } else if (selector?.kind === 'tags' && this.isWord('contains')) {
      this.at += 1;
      const value = this.value();
      if (value !== undefined) return [tagLabel(value)];
    } else if (selector === undefined) {
      this.at = start;
      const value = this.value();
      if (value !== undefined && this.isWord('in')) {
        this.at += 1;
        if (this.selector()?.kind === 'tags') return [tagLabel(value)];
      }
    }
    this.at = start;
    return { problem: `unsupported at "${this.rest()}"` };
  }

  /** `Service.Meta.k`, `Service.Meta["k"]`, `Service.Tags`; undefined (position kept) for anything else. */
  private selector(): { kind: 'meta'; key: string } | { kind: 'tags' } | undefined {
    const token = this.tokens[this.at];
    if (token?.kind !== 'value' || token.quoted) return undefined;
    if (token.text === 'Service.Tags') {
      this.at += 1;
      return { kind: 'tags' };
    }
    if (token.text.startsWith('Service.Meta.') && token.text.length > 'Service.Meta.'.length) {
      this.at += 1;
      return { kind: 'meta', key: token.text.slice('Service.Meta.'.length) };
    }
    const key = this.tokens[this.at + 2];
    if (
      token.text === 'Service.Meta' &&
      this.tokens[this.at + 1]?.text === '[' &&
      key?.kind === 'value' &&
      key.quoted &&
      this.tokens[this.at + 3]?.text === ']'
    ) {
      this.at += 4;
      return { kind: 'meta', key: key.text };
    }
    return undefined;
  }

  private value(): string | undefined {
    const token = this.tokens[this.at];
    if (token?.kind !== 'value') return undefined;
    if (!token.quoted && ['and', 'or', 'not', 'in', 'contains', 'matches'].includes(token.text))
      return undefined;
    this.at += 1;
    return token.text;
  }

  private isWord(word: string): boolean {
    const token = this.tokens[this.at];
    return token?.kind === 'value' && !token.quoted && token.text === word;
  }

  private isOp(op: string): boolean {
    const token = this.tokens[this.at];
    return token?.kind === 'op' && token.text === op;
  }
}
