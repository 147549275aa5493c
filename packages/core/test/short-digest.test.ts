import { createHash } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { contentVersion, shortDigest } from '../src';

describe('shortDigest', () => {
  it('is the first 16 hex digits of SHA-256, of text and of bytes alike', () => {
    const whole = createHash('sha256').update('web.test 80').digest('hex');
    expect(shortDigest('web.test 80')).toBe(whole.slice(0, 16));
    expect(shortDigest(Buffer.from('web.test 80'))).toBe(whole.slice(0, 16));
    // UTF-8, as createHash reads strings.
    expect(shortDigest('zone-ü')).toBe(createHash('sha256').update('zone-ü').digest('hex').slice(0, 16));
  });

  it('gives content versions the values they had (replicas of older builds agree)', () => {
    const value = { b: [1, 'two'], a: { c: null } };
    const canonical = '{"a":{"c":null},"b":[1,"two"]}';
    expect(contentVersion(value)).toBe(createHash('sha256').update(canonical).digest('hex').slice(0, 16));
  });
});
