import { flatText } from '../src/flat-text';

describe('flatText', () => {
  it('is the same text, whatever characters JSON.stringify and keys hold', () => {
    const json = JSON.stringify({
      zone: 'zürich-1',
      emoji: '🛰',
      lone: '\ud800',
      nul: '\u0000',
      name: 'x'.repeat(5000),
    });
    expect(flatText(json)).toBe(json);
    expect(JSON.parse(flatText(json))).toEqual(JSON.parse(json));
    const key = `v1 sds ${'0123456789abcdef'} ${'reviews.default.svc.cluster.local|http|version=v1'}`;
    expect(flatText(key)).toBe(key);
  });
});
