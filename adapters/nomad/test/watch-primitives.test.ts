import { Backoff } from '../src/watch/backoff';
import { RequestSlots } from '../src/watch/request-slots';
import { TokenBucket } from '../src/watch/token-bucket';
import { FaultBook } from '../src/sync/fault-book';

/** A clock that moves only when the bucket sleeps, recording each sleep. */
function manualClock() {
  let now = 0;
  const sleeps: number[] = [];
  return {
    sleeps,
    advance: (ms: number) => (now += ms),
    clock: {
      now: () => now,
      sleep: async (ms: number, signal: AbortSignal) => {
        sleeps.push(ms);
        if (!signal.aborted) now += ms;
      },
    },
  };
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

  it('stops waiting when its signal aborts', async () => {
    const bucket = new TokenBucket(1, 3_600_000);
    await bucket.take(signal);
    const controller = new AbortController();
    const waiting = bucket.take(controller.signal);
    controller.abort();
    await expect(waiting).resolves.toBeUndefined();
  });
});

describe('Backoff', () => {
  it('doubles from the initial delay up to the maximum, jittered in the upper half, and starts over on reset', () => {
    const low = new Backoff(100, 1000, () => 0);
    expect([1, 2, 3, 4, 5, 6].map(() => low.next())).toEqual([50, 100, 200, 400, 500, 500]);
    const high = new Backoff(100, 1000, () => 0.999999);
    expect(Math.round(high.next())).toBe(100);
    high.reset();
    expect(Math.round(high.next())).toBe(100);
  });

  it('waits at least as long as the server asked', () => {
    expect(new Backoff(100, 1000, () => 0).next(5000)).toBe(5000);
  });
});

describe('RequestSlots', () => {
  it('grants up to its size at once, then first come first served as slots are released', async () => {
    const slots = new RequestSlots(2, 30_000);
    const signal = new AbortController().signal;
    const a = await slots.acquire(signal);
    const b = await slots.acquire(signal);
    const order: string[] = [];
    const c = slots.acquire(signal).then((release) => (order.push('c'), release));
    const d = slots.acquire(signal).then((release) => (order.push('d'), release));
    expect(slots.inUse()).toBe(2);
    b?.();
    (await c)?.();
    a?.();
    (await d)?.();
    expect(order).toEqual(['c', 'd']);
    expect(slots.inUse()).toBe(0);
  });

  it('gives up a queued request when its signal aborts, without losing a slot', async () => {
    const slots = new RequestSlots(1, 30_000);
    const held = await slots.acquire(new AbortController().signal);
    const controller = new AbortController();
    const queued = slots.acquire(controller.signal);
    controller.abort();
    expect(await queued).toBeUndefined();
    held?.();
    expect(slots.inUse()).toBe(0);
    expect(await slots.acquire(new AbortController().signal)).toBeInstanceOf(Function);
  });

  it('shortens blocking waits when more watches share the slots, so each comes round within maxStaleness', () => {
    const slots = new RequestSlots(4, 30_000);
    const leaves = Array.from({ length: 4 }, () => slots.join());
    expect(slots.waitMs(300_000)).toBe(300_000);
    const more = Array.from({ length: 36 }, () => slots.join());
    expect(slots.waitMs(300_000)).toBe(3000);
    const crowd = Array.from({ length: 2000 }, () => slots.join());
    expect(slots.waitMs(300_000)).toBe(250);
    for (const leave of [...leaves, ...more, ...crowd]) leave();
    expect(slots.waitMs(300_000)).toBe(300_000);
  });
});

describe('FaultBook', () => {
  it('summarises distinct reasons, sorted, three at most, without counts', () => {
    const faults = new FaultBook();
    expect(faults.summary()).toBeUndefined();
    expect(faults.set('a', 'cannot reach Nomad')).toBe(true);
    expect(faults.set('b', 'cannot reach Nomad')).toBe(true);
    expect(faults.set('b', 'cannot reach Nomad')).toBe(false);
    expect(faults.summary()).toBe('cannot reach Nomad');
    for (const ns of ['w', 'x', 'y', 'z']) faults.set(ns, `namespace ${ns}: Nomad answered 403`);
    expect(faults.summary()).toBe(
      'cannot reach Nomad; namespace w: Nomad answered 403; namespace x: Nomad answered 403 (and 2 more)',
    );
    expect(faults.clear('a')).toBe(true);
    expect(faults.clear('a')).toBe(false);
    expect(faults.size).toBe(5);
  });
});
