import { byteSize, parseByteSize } from '../src';

describe('byte sizes', () => {
  it.each([
    ['1048576', 1_048_576],
    ['512B', 512],
    ['64KiB', 65_536],
    ['128MiB', 134_217_728],
    ['1.5GiB', 1_610_612_736],
    ['64MB', 64_000_000],
    ['2 GB', 2_000_000_000],
  ])('parses %s', (text, bytes) => expect(parseByteSize(text)).toBe(bytes));

  it.each(['', 'MiB', '-1MiB', '1TiB', '1 mebibyte', '1e9', '99999999999999999GiB'])('rejects %j', (text) =>
    expect(parseByteSize(text)).toBeUndefined(),
  );

  it('throws for a value that is not a size, naming it', () => {
    expect(() => byteSize('lots')).toThrow('not a size: "lots"');
  });
});
