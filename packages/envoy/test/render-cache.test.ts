import { RenderCache } from '../src';

describe('render cache', () => {
  it('computes a value once per key and serves it until evicted', () => {
    const cache = new RenderCache(10_000);
    let computed = 0;
    const get = (key: string) =>
      cache.get(
        key,
        () => ({ key, n: (computed += 1) }),
        () => 100,
      );
    const first = get('a');
    expect(get('a')).toBe(first);
    expect(computed).toBe(1);
    expect(cache.stats()).toMatchObject({ entries: 1, hits: 1, misses: 1, evictions: 0 });
  });

  it('stays within its budget, evicting the least recently used first', () => {
    const cache = new RenderCache(2_000);
    const put = (key: string) =>
      cache.get(
        key,
        () => key,
        () => 300,
      );
    for (const key of ['a', 'b', 'c', 'd']) put(key);
    put('a'); // a is now the most recently used
    for (const key of ['e', 'f']) put(key);
    expect(cache.stats().bytes).toBeLessThanOrEqual(2_000);
    expect(cache.peek('a')).toBe('a');
    expect(cache.peek('b')).toBeUndefined();
    expect(cache.peek('f')).toBe('f');
    expect(cache.stats().evictions).toBeGreaterThan(0);
  });

  it('keeps an entry asked for between every insertion, however many others come and go', () => {
    const cache = new RenderCache(10 * 400);
    const put = (key: string) =>
      cache.get(
        key,
        () => key,
        () => 300,
      );
    put('hot');
    for (let i = 0; i < 1000; i += 1) {
      put(`cold-${i}`);
      expect(cache.peek('hot')).toBe('hot');
      put('hot');
    }
    expect(cache.stats().evictions).toBeGreaterThan(900);
    expect(cache.stats().bytes).toBeLessThanOrEqual(10 * 400);
  });

  it('holds bounded memory however many distinct keys are asked for', () => {
    const cache = new RenderCache(64 * 1024);
    for (let i = 0; i < 100_000; i += 1)
      cache.get(
        `key-${i}`,
        () => 'x'.repeat(100),
        (v) => v.length * 2,
      );
    expect(cache.stats().bytes).toBeLessThanOrEqual(64 * 1024);
    expect(cache.stats().entries).toBeLessThan(300);
  });

  it('returns a value larger than the whole budget without keeping it', () => {
    const cache = new RenderCache(1_000);
    const big = cache.get(
      'big',
      () => 'y',
      () => 5_000,
    );
    expect(big).toBe('y');
    expect(cache.peek('big')).toBeUndefined();
    expect(cache.stats().bytes).toBe(0);
  });

  it('refuses a budget that is not positive', () => {
    expect(() => new RenderCache(0)).toThrow(RangeError);
  });
});
