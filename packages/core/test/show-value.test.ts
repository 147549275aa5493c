import { compileValidator, formatFieldPath, formatProblem, showValue } from '../src';

/** What YAML aliases make: 2^levels leaves, each level one array holding the level below twice. */
function doubling(levels: number): unknown {
  let value: unknown = ['lol'];
  for (let i = 0; i < levels; i += 1) value = [value, value];
  return value;
}

function nested(depth: number): unknown {
  let value: unknown = [];
  for (let i = 0; i < depth; i += 1) value = [value];
  return value;
}

describe('showValue', () => {
  it('shows small values as JSON', () => {
    for (const value of ['10.0.0.x', 42, true, null, [1, 'a', null], { a: { b: [1, 2] }, c: 'd' }]) {
      expect(showValue(value)).toBe(JSON.stringify(value));
    }
    expect(showValue(undefined)).toBe('undefined');
  });

  it('cuts at 60 characters, or at the length asked for', () => {
    expect(showValue('x'.repeat(100))).toBe(`"${'x'.repeat(56)}...`);
    expect(
      showValue(
        Array.from({ length: 100 }, (_, i) => i),
        10,
      ),
    ).toBe('[0,1,2,...');
    expect(showValue({ key: 'x'.repeat(1_000_000) })).toHaveLength(60);
  });

  it('shows a value aliases made exponential, one that contains itself, and a deep one, cut as it goes', () => {
    // JSON.stringify would build gigabytes for the first, throw for the second and overflow the stack on the third.
    expect(showValue(doubling(40))).toBe(`${'['.repeat(41)}"lol"],["lol"]],...`);
    const selfish: unknown[] = [];
    selfish.push(selfish);
    expect(showValue(selfish)).toBe(`${'['.repeat(57)}...`);
    expect(showValue(nested(1_000_000))).toBe(`${'['.repeat(57)}...`);
  });
});

describe('schema problems show the offending value cut, whatever its size', () => {
  const validate = compileValidator<unknown>({
    type: 'object',
    properties: { address: { type: 'string' }, port: { enum: [80] } },
  });
  const problems = (value: unknown): string[] => {
    const result = validate(value);
    return result.valid ? [] : result.problems.map(formatProblem);
  };

  it('an alias bomb where a string belongs', () => {
    expect(problems({ address: doubling(26) })).toEqual([
      `address: expected string, got array (${'['.repeat(27)}"lol"],["lol"]],[["lol"],["lol...)`,
      'the document holds more than 100000 values, so it is checked only up to its first problem',
    ]);
  });

  it('a value that contains itself, and one nested a million levels deep', () => {
    const selfish: Record<string, unknown> = {};
    selfish.self = selfish;
    expect(problems({ port: selfish })).toEqual([
      `port: expected one of 80, got ${'{"self":'.repeat(7)}{...`,
      'the document holds more than 100000 values, so it is checked only up to its first problem',
    ]);
    expect(problems({ address: nested(1_000_000) })).toEqual([
      `address: expected string, got array (${'['.repeat(57)}...)`,
      'the document holds more than 100000 values, so it is checked only up to its first problem',
    ]);
  });
});

describe('field paths', () => {
  it('cut a key that is too long to show', () => {
    const key = 'k'.repeat(1_000_000);
    expect(formatFieldPath(['labels', key])).toBe(`labels["${'k'.repeat(196)}...]`);
    expect(formatFieldPath(['labels', 'app.kubernetes.io/name'])).toBe('labels["app.kubernetes.io/name"]');
  });
});

describe('schema problems of a large document', () => {
  const validate = compileValidator<unknown>({
    type: 'object',
    properties: { items: { type: 'array', items: { type: 'string' } } },
  });

  it('are all reported up to 100,000 values', () => {
    const result = validate({ items: [1, 'a', 2] });
    expect(result.valid ? [] : result.problems.map(formatProblem)).toEqual([
      'items[0]: expected string, got number (1)',
      'items[2]: expected string, got number (2)',
    ]);
  });

  it('stop at the first past that, instead of describing millions', () => {
    const result = validate({ items: Array<number>(300_000).fill(1) });
    expect(result.valid ? [] : result.problems.map(formatProblem)).toEqual([
      'items[0]: expected string, got number (1)',
      'the document holds more than 100000 values, so it is checked only up to its first problem',
    ]);
    expect(validate({ items: Array<string>(300_000).fill('a') }).valid).toBe(true);
  });
});
