import { Backoff } from '../src/backoff';

describe('backoff', () => {
  it('doubles its window up to the maximum, each delay in the upper half of the window', () => {
    const lowest = new Backoff({ initialMs: 100, maxMs: 1000 }, () => 0);
    expect(Array.from({ length: 6 }, () => lowest.next())).toEqual([50, 100, 200, 400, 500, 500]);
    const highest = new Backoff({ initialMs: 100, maxMs: 1000 }, () => 1);
    expect(Array.from({ length: 6 }, () => highest.next())).toEqual([100, 200, 400, 800, 1000, 1000]);
  });

  it('starts over after a reset', () => {
    const backoff = new Backoff({ initialMs: 100, maxMs: 1000 }, () => 1);
    backoff.next();
    backoff.next();
    backoff.reset();
    expect(backoff.next()).toBe(100);
  });
});
