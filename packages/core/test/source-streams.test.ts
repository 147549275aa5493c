import {
  ConfigError,
  DocumentLimitError,
  formatFieldPath,
  parseAllPlainly,
  parseFieldPath,
  SourceDocument,
} from '../src';

describe('SourceDocument.parseAll', () => {
  it('parses every document of a stream, locating values by their line in the whole text', () => {
    const docs = SourceDocument.parseAll('a: 1\n---\n---\nb:\n  c: [x, y]\n', 'multi.yaml');
    expect(docs.map((doc) => (doc instanceof SourceDocument ? doc.value : 'error'))).toEqual([
      { a: 1 },
      null,
      { b: { c: ['x', 'y'] } },
    ]);
    const last = docs[2] as SourceDocument;
    expect(last.locate(['b', 'c', 1])).toEqual({ line: 5, column: 10 });
    expect(last.problem(['b', 'c'], 'bad')).toEqual({
      file: 'multi.yaml',
      line: 5,
      column: 6,
      path: 'b.c',
      message: 'bad',
    });
  });

  it('gives the error of a document that does not parse in its place and keeps the others', () => {
    const docs = SourceDocument.parseAll('a: 1\n---\nb: [1\n---\nc: 3\n', 'multi.yaml');
    expect(docs[0]).toBeInstanceOf(SourceDocument);
    expect(docs[1]).toBeInstanceOf(ConfigError);
    expect((docs[1] as ConfigError).problems[0]).toMatchObject({ file: 'multi.yaml', line: 4 });
    expect((docs[2] as SourceDocument).value).toEqual({ c: 3 });
    // A duplicate key is an error of its document only.
    const dup = SourceDocument.parseAll('a: 1\na: 2\n---\nb: 1\n', 'dup.yaml');
    expect(dup.map((doc) => doc instanceof ConfigError)).toEqual([true, false]);
  });

  it('holds the stream to the document limits', () => {
    expect(() => SourceDocument.parseAll(`${'['.repeat(70)}${']'.repeat(70)}`, 'deep.yaml')).toThrow(
      DocumentLimitError,
    );
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 12; i += 1)
      bomb.push(
        `${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10)
          .fill(`*${String.fromCharCode(96 + i)}`)
          .join(', ')}]`,
      );
    expect(() => SourceDocument.parseAll(`ok: 1\n---\n${bomb.join('\n')}\n`, 'bomb.yaml')).toThrow(
      DocumentLimitError,
    );
  });

  it('SourceDocument.parse still refuses a stream of several documents', () => {
    expect(() => SourceDocument.parse('a: 1\n---\nb: 2\n', 'one.yaml')).toThrow(/multiple documents/);
  });
});

describe('parseAllPlainly', () => {
  it('reads a stream of documents, or JSON, without positions', () => {
    expect(parseAllPlainly('a: 1\n---\n---\nb: 2\n')).toEqual({
      ok: true,
      values: [{ a: 1 }, null, { b: 2 }],
    });
    expect(parseAllPlainly('{"a": [1, 2]}')).toEqual({ ok: true, values: [{ a: [1, 2] }] });
    expect(parseAllPlainly('a: 1\n---\nb: [1\n')).toMatchObject({ ok: false, failure: 'syntax', line: 4 });
    expect(parseAllPlainly(`${'['.repeat(70)}${']'.repeat(70)}`)).toMatchObject({
      ok: false,
      failure: 'limit',
    });
  });
});

describe('parseFieldPath', () => {
  it('reads back every path formatFieldPath writes', () => {
    for (const path of [
      [],
      ['spec', 'http', 0, 'route', 1, 'destination', 'subset'],
      ['spec', 'http', 0, 'match', 0, 'headers', 'x-user'],
      ['labels', 'app.kubernetes.io/name'],
      ['items', 3, 'spec', 'weird "key"', 'x'],
      [0, 1, 'a'],
    ]) {
      expect(parseFieldPath(formatFieldPath(path))).toEqual(path);
    }
  });
});
