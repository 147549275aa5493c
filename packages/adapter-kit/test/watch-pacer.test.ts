import { SharedTokenBucket, WatchPacer } from '../src';
import { steppedClock } from './support/stepped-clock';

describe('WatchPacer', () => {
  const signal = new AbortController().signal;

  it('waits for a token of the shared budget, in turn with the other watches', async () => {
    const time = steppedClock();
    const budget = new SharedTokenBucket(2, 100, time.clock);
    const watches = Array.from({ length: 3 }, () => new WatchPacer(budget));
    const order: string[] = [];
    // Each watch re-reads twice as fast as it can: the budget serves them in turn.
    const loops = watches.map(async (pacer, i) => {
      for (let n = 0; n < 2; n += 1) {
        await pacer.beforeReread(signal);
        order.push(`${i}@${time.now()}`);
      }
    });
    await time.advance(400);
    await Promise.all(loops);
    expect(order).toEqual(['0@0', '1@0', '2@100', '0@200', '1@300', '2@400']);
  });

  it('puts a hinted watch before the line, even while it already waits', async () => {
    const time = steppedClock();
    const budget = new SharedTokenBucket(1, 100, time.clock);
    const hinted = new WatchPacer(budget);
    await hinted.beforeReread(signal);
    const order: string[] = [];
    const others = Array.from({ length: 3 }, () => new WatchPacer(budget));
    others.forEach((pacer, i) => void pacer.beforeReread(signal).then(() => order.push(`other-${i}`)));
    void hinted.beforeReread(signal).then(() => order.push('hinted'));
    await time.advance(0);
    hinted.hint();
    await time.advance(400);
    expect(order).toEqual(['hinted', 'other-0', 'other-1', 'other-2']);
  });
});
