import { RequestSlots, Standing } from '../src/watch/request-slots';
import { FaultBook } from '../src/sync/fault-book';

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

  it('serves a hinted watch before the rotation, even once it waits in line', async () => {
    const slots = new RequestSlots(1, 30_000);
    const signal = new AbortController().signal;
    const held = await slots.acquire(signal);
    const order: string[] = [];
    const wait = (name: string, standing?: Standing) =>
      slots.acquire(signal, standing).then((release) => {
        order.push(name);
        release?.();
      });
    const changed = new Standing();
    const waits = [wait('a'), wait('b', new Standing()), wait('changed', changed), wait('c')];
    changed.hint();
    held?.();
    await Promise.all(waits);
    expect(order).toEqual(['changed', 'a', 'b', 'c']);
    // Served: the hint is spent once the read is done.
    changed.served();
    expect(changed.urgent).toBe(false);
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
