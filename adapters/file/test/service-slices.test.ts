import { serviceSlices } from '../src/service-slices';

/** The elements serviceSlices finds in `text`, as text; undefined when it finds the file not of the usual shape. */
function elements(text: string): string[] | undefined {
  const bytes = Buffer.from(text, 'utf8');
  return serviceSlices(bytes)?.map(([start, end]) => bytes.toString('utf8', start, end));
}

describe('serviceSlices', () => {
  it('finds each element of the services list, whatever the whitespace around the parts', () => {
    expect(elements('{"services":[{"a":1},{"b":[2,{"c":3}]}]}')).toEqual(['{"a":1}', '{"b":[2,{"c":3}]}']);
    expect(elements(' \n{ "services" :\t[\r\n {"a": 1} ,\n  {"b": 2}\n ]\n}\n')).toEqual([
      '{"a": 1}',
      '{"b": 2}',
    ]);
    expect(elements('{"services": []}')).toEqual([]);
  });

  it('is not fooled by brackets, quotes and escapes inside strings, nor by characters of several bytes', () => {
    const tricky = '{"h":"a}],{[\\"b\\\\","é ü 名":"\\u005d"}';
    expect(elements(`{"services":[${tricky},{"x":"]"}]}`)).toEqual([tricky, '{"x":"]"}']);
  });

  it('ends a string at a quote after an even run of backslashes, not an odd one', () => {
    const runs = JSON.stringify({ h: 'a\\"]b\\\\', i: '\\\\\\"}' });
    expect(runs).toBe(String.raw`{"h":"a\\\"]b\\\\","i":"\\\\\\\"}"}`);
    expect(elements(`{"services":[${runs},"\\\\"]}`)).toEqual([runs, '"\\\\"']);
  });

  it('takes elements that are not objects as they are, for JSON.parse and the checks to refuse', () => {
    expect(elements('{"services":[1, "two", null, [3]]}')).toEqual(['1', '"two"', 'null', '[3]']);
  });

  it.each([
    ['another key at the top', '{"services":[],"x":1}'],
    ['the key written another way', '{"servic\\u0065s":[]}'],
    ['a trailing comma', '{"services":[{"a":1},]}'],
    ['a missing comma', '{"services":[{"a":1} {"b":2}]}'],
    ['something after the end', '{"services":[]} x'],
    ['an element that never ends', '{"services":[{"a":"b}]}'],
    ['an unclosed list', '{"services":[{"a":1}'],
    ['YAML', 'services:\n  - {a: 1}\n'],
    ['a byte order mark', '\ufeff{"services":[]}'],
    ['a list at the top', '[{"services":[]}]'],
  ])('leaves a file with %s to be parsed whole', (_, text) => {
    expect(elements(text)).toBeUndefined();
  });
});
