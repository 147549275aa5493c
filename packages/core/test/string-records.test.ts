import { describe, expect, it } from '@jest/globals';
import { StringRecords } from '../src';

describe('StringRecords', () => {
  it('gives the first object of a content for every later object of the same content', () => {
    const records = new StringRecords<object>();
    const first = { version: 'v1', app: 'web' };
    expect(records.share(first)).toBe(first);
    expect(records.share({ version: 'v1', app: 'web' })).toBe(first);
    expect(records.share({})).toEqual({});
    expect(records.share({})).toBe(records.share({}));
  });

  it('tells apart contents that joined into one string would look alike', () => {
    const records = new StringRecords<object>();
    const contents = [
      { a: 'bc' },
      { ab: 'c' },
      { a: 'b', c: '' },
      { a: 'b\u0000c' },
      { 'a\u0000b': 'c' },
      { a: 'bc', d: 'e' },
      { d: 'e', a: 'bc' },
    ];
    const shared = contents.map((content) => records.share(content));
    expect(new Set(shared).size).toBe(contents.length);
    contents.forEach((content, i) => expect(records.share({ ...content })).toBe(shared[i]));
  });

  it('shares nothing holding a value that is not a string', () => {
    const records = new StringRecords<object>();
    expect(records.share({ a: 'x', b: 1 })).toBeUndefined();
    expect(records.share({ a: 'x', b: null })).toBeUndefined();
    // The string prefix of such a record is no content of its own.
    const a = { a: 'x' };
    expect(records.share(a)).toBe(a);
  });

  it('keeps what make builds from the first record of a content', () => {
    const records = new StringRecords<{ copy: Record<string, string> }>();
    let made = 0;
    const make = (record: Readonly<Record<string, string>>) => ((made += 1), { copy: { ...record } });
    const one = records.share({ zone: 'z1' }, make);
    expect(one).toEqual({ copy: { zone: 'z1' } });
    expect(records.share({ zone: 'z1' }, make)).toBe(one);
    expect(made).toBe(1);
  });
});
