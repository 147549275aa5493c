import { SharedTokenBucket, WatchPacer } from '../src';
import { steppedClock } from './support/stepped-clock';

describe('WatchPacer', () => {
  const signal = new AbortController().signal;

  it('puts a quiet watch before watches woken more often than 3 in a row, then once a second', async () => {
    const time = steppedClock();
    const budget = new SharedTokenBucket(1, 100, time.clock);
    const hot = new WatchPacer(budget, time.clock);
    const quiet = new WatchPacer(budget, time.clock);
    // The hot watch re-reads as fast as the budget lets it: past its allowance, and the bucket empty.
    await hot.beforeReread(signal);
    for (let i = 0; i < 3; i += 1) {
      const reread = hot.beforeReread(signal);
      await time.advance(100);
      await reread;
    }
    const order: string[] = [];
    void hot.beforeReread(signal).then(() => order.push('hot'));
    void quiet.beforeReread(signal).then(() => order.push('quiet'));
    await time.advance(200);
    expect(order).toEqual(['quiet', 'hot']);
  });

  it('moves a hinted watch to the front, even while it waits', async () => {
    const time = steppedClock();
    const budget = new SharedTokenBucket(1, 100, time.clock);
    const hot = new WatchPacer(budget, time.clock, { burst: 1, intervalMs: 60_000 });
    const others = Array.from(
      { length: 3 },
      () => new WatchPacer(budget, time.clock, { burst: 1, intervalMs: 60_000 }),
    );
    await hot.beforeReread(signal);
    for (const other of others) await Promise.race([other.beforeReread(signal), time.advance(100)]);
    const order: string[] = [];
    others.forEach((other, i) => void other.beforeReread(signal).then(() => order.push(`other-${i}`)));
    void hot.beforeReread(signal).then(() => order.push('hinted'));
    await time.advance(0);
    hot.hint();
    await time.advance(400);
    expect(order[0]).toBe('hinted');
    expect(order).toHaveLength(4);
  });
});
