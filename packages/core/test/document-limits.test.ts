import { ConfigError, DOCUMENT_LIMITS, formatProblem, parsePlainly, SourceDocument } from '../src';
import { holdsAtMostValues } from '../src/schema/document-limits';

/** The billion laughs: each level an array holding the level below nine times; 9^levels strings in all. */
function aliasBomb(levels: number): string {
  const lines = ['l0: &l0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
  for (let i = 1; i <= levels; i += 1)
    lines.push(
      `l${i}: &l${i} [${Array(9)
        .fill(`*l${i - 1}`)
        .join(',')}]`,
    );
  return `${lines.join('\n')}\n`;
}

const nestedFlow = (depth: number): string => `a: ${'['.repeat(depth)}${']'.repeat(depth)}\n`;

/** What SourceDocument.parse says about `text`, as a user reads it. */
function refusal(text: string): string[] {
  try {
    SourceDocument.parse(text, 'doc.yaml');
  } catch (error) {
    if (error instanceof ConfigError) return error.problems.map(formatProblem);
    throw error;
  }
  throw new Error('expected the document to be refused');
}

const plainRefusal = (text: string): string => {
  const result = parsePlainly(text);
  return result.ok ? 'accepted' : result.message;
};

describe('document limits: SourceDocument.parse (positions kept)', () => {
  it('refuses an alias bomb at once, as a ConfigError', () => {
    const text = aliasBomb(9);
    expect(refusal(text)).toEqual([
      `doc.yaml: aliases expand the document to more than ${2 * text.length + 1000} values, the limit for ${text.length} characters: write the repeated parts out instead`,
    ]);
  });

  it('accepts aliases that repeat parts of a document', () => {
    const text = [
      'common: &common { team: payments, tier: "1" }',
      ...Array.from({ length: 100 }, (_, i) => `s${i}: { labels: *common }`),
    ].join('\n');
    const value = SourceDocument.parse(text, 'doc.yaml').value as Record<string, { labels: object }>;
    expect(value.s99?.labels).toEqual({ team: 'payments', tier: '1' });
  });

  it(`refuses more than ${DOCUMENT_LIMITS.maxAliases} aliases, pointing at the first one too many`, () => {
    const aliases = (n: number) => `x: &x 1\ny: [${Array(n).fill('*x').join(', ')}]\n`;
    expect(() => SourceDocument.parse(aliases(1000), 'doc.yaml')).not.toThrow();
    expect(refusal(aliases(1001))).toEqual([
      `doc.yaml:2:${5 + 1000 * 4}: the document has more than 1000 aliases (*name)`,
    ]);
  });

  it('refuses collections nested more than 64 levels deep, however deep, before parsing recursively', () => {
    expect(() => SourceDocument.parse(nestedFlow(63), 'doc.yaml')).not.toThrow();
    expect(refusal(nestedFlow(64))).toEqual([
      'doc.yaml:1:67: the document is nested more than 64 levels deep',
    ]);
    expect(refusal(nestedFlow(20_000))).toEqual([
      'doc.yaml:1:67: the document is nested more than 64 levels deep',
    ]);
    expect(refusal(`a:\n  ${'- '.repeat(20_000)}x\n`)).toEqual([
      'doc.yaml:2:129: the document is nested more than 64 levels deep',
    ]);
    expect(refusal(`{"a":${'{"b":'.repeat(20_000)}1${'}'.repeat(20_000)}}`)).toEqual([
      'doc.yaml:1:321: the document is nested more than 64 levels deep',
    ]);
  });

  it('refuses a document that contains itself and an alias to nothing, as ConfigErrors', () => {
    expect(refusal('a: &a [*a]\n')).toEqual(['doc.yaml: the document is nested more than 64 levels deep']);
    expect(refusal('a: *nowhere\n')).toEqual([
      'doc.yaml: Unresolved alias (the anchor must be set before the alias): nowhere',
    ]);
  });
});

describe('document limits: parsePlainly (no positions)', () => {
  it('reads YAML and JSON', () => {
    expect(parsePlainly('a: [1, b]\n')).toEqual({ ok: true, value: { a: [1, 'b'] } });
    expect(parsePlainly('{"a": [1, "b"]}')).toEqual({ ok: true, value: { a: [1, 'b'] } });
  });

  it('refuses duplicate keys in JSON as in YAML, saying where', () => {
    expect(parsePlainly('{"a": 1, "b": {"c": 2, "c": 3}}')).toEqual({
      ok: false,
      failure: 'syntax',
      message: 'duplicated mapping key',
      line: 1,
      column: 24,
    });
    // Runs of backslashes before a quote: an even run ends the string, an odd one escapes it.
    expect(parsePlainly(String.raw`{"k\\": ":\\\":", "k": {"[": "\\\\"}}`)).toEqual({
      ok: true,
      value: { 'k\\': ':\\":', k: { '[': '\\\\' } },
    });
    expect(parsePlainly(String.raw`{"a\"": 1, "a\"": 2}`)).toMatchObject({
      ok: false,
      message: 'duplicated mapping key',
    });
    expect(parsePlainly('{"a:": "x\\":", "b": {"c": "\\\\"}}')).toEqual({
      ok: true,
      value: { 'a:': 'x":', b: { c: '\\' } },
    });
  });

  it('holds a document to the same limits as the located parse', () => {
    expect(plainRefusal(aliasBomb(9))).toMatch(/^aliases expand the document to more than \d+ values/);
    expect(parsePlainly(nestedFlow(63)).ok).toBe(true);
    expect(plainRefusal(nestedFlow(64))).toBe('the document is nested more than 64 levels deep');
    expect(plainRefusal(`a:\n  ${'- '.repeat(100_000)}x\n`)).toBe(
      'the document is nested more than 64 levels deep',
    );
    expect(plainRefusal(`{"a":${'['.repeat(1_000_000)}${']'.repeat(1_000_000)}}`)).toBe(
      'the document is nested more than 64 levels deep',
    );
    // JSON's depth counts the brackets outside strings, the top-level object as 1.
    const nestedJson = (depth: number) => `{"a":${'['.repeat(depth - 1)}"[{"${']'.repeat(depth - 1)}}`;
    expect(parsePlainly(nestedJson(64)).ok).toBe(true);
    expect(plainRefusal(nestedJson(65))).toBe('the document is nested more than 64 levels deep');
  });
});

describe('holdsAtMostValues', () => {
  // The document itself, then each element of an array and each value of an object.
  const document = { a: 1, b: [1, 2, { c: 'x', d: null }], e: {} };
  const VALUES = 1 + 3 + 3 + 2;

  it('counts the document, every element and every property value', () => {
    expect(holdsAtMostValues(document, VALUES)).toBe(true);
    expect(holdsAtMostValues(document, VALUES - 1)).toBe(false);
    expect(holdsAtMostValues('text', 1)).toBe(true);
    expect(holdsAtMostValues([], 1)).toBe(true);
    expect(holdsAtMostValues([[], []], 2)).toBe(false);
  });

  it('counts a value reached twice (a YAML alias) as often as it is reached', () => {
    const shared = [1, 2, 3];
    expect(holdsAtMostValues({ x: shared, y: shared }, 1 + 2 + 6)).toBe(true);
    expect(holdsAtMostValues({ x: shared, y: shared }, 1 + 2 + 5)).toBe(false);
  });

  it('stops at the limit rather than walking the rest', () => {
    const huge = Array.from({ length: 1000 }, () => ({ k: 1 }));
    let read = 0;
    const counted = new Proxy({ k: 1 }, { get: (target, key) => ((read += 1), Reflect.get(target, key)) });
    expect(holdsAtMostValues([...huge, counted], 10)).toBe(false);
    expect(read).toBe(0);
  });
});
