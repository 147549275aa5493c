import { formatDuration, parseDuration } from '../src';

describe('durations', () => {
  it.each([
    ['100ms', 100],
    ['1s', 1000],
    ['5m', 300_000],
    ['1m30s', 90_000],
    ['1.5h', 5_400_000],
    ['2h3m4s5ms', 7_384_005],
  ])('parses %s', (text, ms) => expect(parseDuration(text)).toBe(ms));

  it.each(['', '100', '1 s', '5 minutes', '-1s', 's', '1d'])('rejects %j', (text) =>
    expect(parseDuration(text)).toBeUndefined(),
  );

  it('formats whole units compactly', () => {
    expect(formatDuration(100)).toBe('100ms');
    expect(formatDuration(1000)).toBe('1s');
    expect(formatDuration(1500)).toBe('1500ms');
    expect(formatDuration(300_000)).toBe('5m');
  });
});
