import { TokenBucket, type Clock } from '../src';

/** A clock that moves only when told, or when the bucket sleeps (if `sleepsAdvance`); it records each sleep. */
function manualClock(sleepsAdvance = true) {
  let now = 0;
  const sleeps: number[] = [];
  const clock: Clock = {
    now: () => now,
    sleep: async (ms, signal) => {
      sleeps.push(ms);
      if (sleepsAdvance && !signal.aborted) now += ms;
    },
  };
  return { clock, sleeps, advance: (ms: number) => (now += ms), set: (ms: number) => (now = ms) };
}

describe('TokenBucket', () => {
  const signal = new AbortController().signal;

  it('lets a burst through at once, then one request per interval', async () => {
    const time = manualClock();
    const bucket = new TokenBucket(2, 1000, time.clock);
    await bucket.take(signal);
    await bucket.take(signal);
    expect(time.sleeps).toEqual([]);
    await bucket.take(signal);
    await bucket.take(signal);
    expect(time.sleeps).toEqual([1000, 1000]);
    time.advance(400);
    await bucket.take(signal);
    expect(time.sleeps).toEqual([1000, 1000, 600]);
  });

  it('queues callers that find it empty one interval apart, each reserving its own token', async () => {
    const time = manualClock(false);
    const bucket = new TokenBucket(3, 1000, time.clock);
    await Promise.all([bucket.take(signal), bucket.take(signal), bucket.take(signal)]);
    expect(time.sleeps).toEqual([]);
    await Promise.all([bucket.take(signal), bucket.take(signal)]);
    expect(time.sleeps).toEqual([1000, 2000]);
    time.set(10_000);
    await bucket.take(signal);
    expect(time.sleeps).toEqual([1000, 2000]);
  });

  it('refills while idle, but never beyond the burst', async () => {
    const time = manualClock();
    const bucket = new TokenBucket(3, 100, time.clock);
    for (let i = 0; i < 3; i += 1) await bucket.take(signal);
    time.advance(10_000);
    for (let i = 0; i < 3; i += 1) await bucket.take(signal);
    expect(time.sleeps).toEqual([]);
    await bucket.take(signal);
    expect(time.sleeps).toEqual([100]);
  });

  it('does not limit with an interval of 0', async () => {
    const time = manualClock(false);
    const bucket = new TokenBucket(1, 0, time.clock);
    for (let i = 0; i < 10; i += 1) await bucket.take(signal);
    expect(time.sleeps).toEqual([]);
  });

  it('stops waiting when its signal aborts (on the real clock)', async () => {
    const bucket = new TokenBucket(1, 3_600_000);
    await bucket.take(signal);
    const controller = new AbortController();
    const waiting = bucket.take(controller.signal);
    controller.abort();
    await expect(waiting).resolves.toBeUndefined();
  });
});
