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

  it('puts a hinted watch before quiet ones, even while it already waits', async () => {
    const time = steppedClock();
    const budget = new SharedTokenBucket(1, 100, time.clock);
    const busy = new WatchPacer(budget, time.clock, { burst: 1, intervalMs: 60_000 });
    // Its one quiet wake-up and the bucket's token, spent.
    await busy.beforeReread(signal);
    const order: string[] = [];
    const quiet = Array.from({ length: 3 }, () => new WatchPacer(budget, time.clock));
    quiet.forEach((pacer, i) => void pacer.beforeReread(signal).then(() => order.push(`quiet-${i}`)));
    void busy.beforeReread(signal).then(() => order.push('hinted'));
    await time.advance(0);
    busy.hint();
    await time.advance(400);
    expect(order).toEqual(['hinted', 'quiet-0', 'quiet-1', 'quiet-2']);
  });
});
