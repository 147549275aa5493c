import { Backoff } from '../src';

const delays = (backoff: Backoff, count: number) => Array.from({ length: count }, () => backoff.next());

describe('Backoff', () => {
  it('doubles its window up to the maximum, each delay in the upper half of the window', () => {
    expect(delays(new Backoff(100, 1000, () => 0), 6)).toEqual([50, 100, 200, 400, 500, 500]);
    expect(delays(new Backoff(100, 1000, () => 1), 6)).toEqual([100, 200, 400, 800, 1000, 1000]);
    expect(delays(new Backoff(100, 1000, () => 0.5), 5)).toEqual([75, 150, 300, 600, 750]);
  });

  it('returns whole milliseconds', () => {
    expect(delays(new Backoff(3, 1000, () => 0.999999), 3)).toEqual([3, 6, 12]);
    expect(delays(new Backoff(1, 1000, () => 0.3), 4).every(Number.isInteger)).toBe(true);
  });

  it('waits at least as long as the platform asked (Retry-After), and no less than its own delay', () => {
    expect(new Backoff(100, 1000, () => 0).next(5000)).toBe(5000);
    const backoff = new Backoff(100, 1000, () => 1);
    expect([backoff.next(10), backoff.next(10)]).toEqual([100, 200]);
  });

  it('stays at the maximum however long the failure lasts', () => {
    const backoff = new Backoff(1, 60_000, () => 1);
    expect(delays(backoff, 5000).at(-1)).toBe(60_000);
    // A window 2³⁰ × initial wide is the widest it gets, even below an absurd maximum.
    expect(delays(new Backoff(1, Number.MAX_SAFE_INTEGER, () => 1), 100).at(-1)).toBe(2 ** 30);
    expect(delays(new Backoff(0, 1000, () => 1), 100).at(-1)).toBe(0);
  });
});

// The cases the adapters' own tests held before they shared this class.
describe('Backoff, as the adapters use it', () => {
  it('Consul: doubles up to the cap, jittered within [d/2, d], and starts over on reset', () => {
    const low = new Backoff(100, 1000, () => 0);
    expect([1, 2, 3, 4, 5].map(() => low.next())).toEqual([50, 100, 200, 400, 500]);
    low.reset();
    expect(low.next()).toBe(50);
    const high = new Backoff(100, 1000, () => 1);
    expect([1, 2, 3].map(() => high.next())).toEqual([100, 200, 400]);
  });

  it('Nomad: doubles from the initial delay up to the maximum, and starts over on reset', () => {
    const low = new Backoff(100, 1000, () => 0);
    expect([1, 2, 3, 4, 5, 6].map(() => low.next())).toEqual([50, 100, 200, 400, 500, 500]);
    const high = new Backoff(100, 1000, () => 0.999999);
    expect(Math.round(high.next())).toBe(100);
    high.reset();
    expect(Math.round(high.next())).toBe(100);
  });

  it('Kubernetes: starts over after a reset', () => {
    const backoff = new Backoff(100, 1000, () => 1);
    backoff.next();
    backoff.next();
    backoff.reset();
    expect(backoff.next()).toBe(100);
  });
});
