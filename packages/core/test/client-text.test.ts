import { clientText, CLIENT_TEXT_MAX } from '../src';

describe('clientText', () => {
  it('leaves ordinary text as it is', () => {
    expect(clientText('sidecar~10.0.1.11~reviews-v1.default~default.svc.cluster.local')).toBe(
      'sidecar~10.0.1.11~reviews-v1.default~default.svc.cluster.local',
    );
    expect(clientText('héllo wörld ✓ 日本')).toBe('héllo wörld ✓ 日本');
  });

  it('writes line breaks, tabs and other control characters as escapes, so the text stays on one line', () => {
    expect(clientText('a\r\nb\tc')).toBe('a\\r\\nb\\tc');
    expect(clientText('\u001b[31mred\u0007\u007f\u0085')).toBe('\\u001b[31mred\\u0007\\u007f\\u0085');
    expect(clientText('x\u2028y\u2029z')).toBe('x\\u2028y\\u2029z');
    expect(clientText('abc\u202edcba\u2066')).toBe('abc\\u202edcba\\u2066');
  });

  it('cuts what is past the limit and says how much was cut', () => {
    const text = 'x'.repeat(1_000_000);
    const shown = clientText(text);
    expect(shown).toBe(`${'x'.repeat(CLIENT_TEXT_MAX)}… (${1_000_000 - CLIENT_TEXT_MAX} more characters)`);
    expect(clientText('abcdef', 3)).toBe('abc… (3 more characters)');
    expect(clientText('abc', 3)).toBe('abc');
  });

  it('never cuts a character in half', () => {
    const shown = clientText('ab😀cd', 3);
    expect(shown).toBe('ab… (4 more characters)');
    expect(shown).not.toMatch(/[\ud800-\udfff]/);
  });
});
