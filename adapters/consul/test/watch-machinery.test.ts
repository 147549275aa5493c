import { Backoff } from '@sextant/adapter-kit';
import { nextIndex } from '../src/blocking-index';
import { ConsulFault } from '../src/consul-fault';
import { FaultGate, type GateListener } from '../src/fault-gate';
import { RequestBudget } from '../src/request-budget';
import { RequestSlots } from '../src/request-slots';
import { waitFor } from '@sextant/testkit';

describe('the blocking index rules (platform-apis.md §1.5.6)', () => {
  it('moves forward, keeps an unchanged index, resets to 0 when it goes backwards, clamps 0 to 1', () => {
    expect(nextIndex(0n, '42')).toEqual({ next: 42n, moved: true, reset: false });
    expect(nextIndex(42n, '42')).toEqual({ next: 42n, moved: false, reset: false });
    expect(nextIndex(42n, '50')).toEqual({ next: 50n, moved: true, reset: false });
    expect(nextIndex(42n, '7')).toEqual({ next: 0n, moved: true, reset: true });
    expect(nextIndex(0n, '0')).toEqual({ next: 1n, moved: true, reset: false });
    expect(nextIndex(1n, '0')).toEqual({ next: 1n, moved: false, reset: false });
    expect(nextIndex(0n, undefined)).toEqual({ next: 1n, moved: true, reset: false });
    expect(nextIndex(5n, '18446744073709551615').next).toBe(18446744073709551615n);
  });
});

describe('RequestSlots', () => {
  it('grants up to its capacity, then queues urgent before routine, first come first served', async () => {
    const slots = new RequestSlots(2);
    const signal = new AbortController().signal;
    const order: string[] = [];
    const take = (name: string, priority: 'urgent' | 'routine') => {
      const request = slots.request(priority, signal);
      void request.granted.then((release) => {
        order.push(name);
        return release;
      });
      return request;
    };
    const [a, b] = [take('a', 'routine'), take('b', 'routine')];
    take('c', 'routine');
    const d = take('d', 'routine');
    take('e', 'urgent');
    await waitFor(() => order.length === 2);
    expect(slots.waiting).toBe(3);
    d.promote();
    (await a.granted)?.();
    (await b.granted)?.();
    await waitFor(() => order.length === 4);
    expect(order).toEqual(['a', 'b', 'e', 'd']);
  });

  it('gives nothing to an aborted waiter, and a resize lets more through', async () => {
    const slots = new RequestSlots(1);
    const first = await slots.request('routine', new AbortController().signal).granted;
    const controller = new AbortController();
    const waiting = slots.request('routine', controller.signal);
    controller.abort();
    expect(await waiting.granted).toBeUndefined();
    expect(slots.waiting).toBe(0);
    const next = slots.request('routine', new AbortController().signal);
    slots.resize(2);
    expect(typeof (await next.granted)).toBe('function');
    first?.();
  });
});

describe('FaultGate', () => {
  const fault = (kind: 'unreachable' | 'denied' = 'unreachable') => new ConsulFault(kind, `${kind} fault`);
  function gate() {
    const events: string[] = [];
    const listener: GateListener = {
      failing: (f, ms) => events.push(`failing ${f.message} ${ms}`),
      recovered: () => events.push('recovered'),
    };
    const g = new FaultGate(listener, {
      outage: new Backoff(20, 100, () => 1),
      denial: new Backoff(40, 100, () => 1),
    });
    return { g, events };
  }
  const signal = new AbortController().signal;

  it('lets everything through while healthy; after a failure, one probe per delay; its success reopens', async () => {
    const { g, events } = gate();
    const t1 = await g.enter(signal);
    const t2 = await g.enter(signal);
    expect([t1?.probe, t2?.probe]).toEqual([false, false]);
    g.failed(t1!, fault());
    // A request already out when the gate closed does not double the delay.
    g.failed(t2!, fault());
    expect(events).toEqual(['failing unreachable fault 20']);
    const waiting = [g.enter(signal), g.enter(signal)];
    const probe = await waiting[0];
    expect(probe?.probe).toBe(true);
    g.failed(probe!, fault('denied'));
    expect(events[1]).toBe('failing denied fault 40');
    const second = await waiting[1];
    expect(second?.probe).toBe(true);
    const third = g.enter(signal);
    g.succeeded(second!);
    expect(events.at(-1)).toBe('recovered');
    expect((await third)?.probe).toBe(false);
    g.dispose();
  });

  it('passes the probe’s turn on when its request is abandoned, and frees waiters on dispose', async () => {
    const { g } = gate();
    g.failed((await g.enter(signal))!, fault());
    const probe = await g.enter(signal);
    const next = g.enter(signal);
    g.abandon(probe!);
    expect((await next)?.probe).toBe(true);
    const controller = new AbortController();
    const left = g.enter(controller.signal);
    g.dispose();
    expect(await left).toBeUndefined();
  });
});

describe('RequestBudget', () => {
  const budget = (maxConcurrentRequests: number, watches: number) => {
    const b = new RequestBudget({ maxConcurrentRequests, waitMs: 300_000, maxStalenessMs: 30_000 });
    for (let i = 0; i < watches; i += 1) b.addWatch();
    return b;
  };

  it('keeps one slot per control request out, and holds full waits while watches fit', () => {
    const b = budget(100, 96);
    expect(b.slots.capacity).toBe(96);
    expect(b.oversubscribed).toBe(false);
    expect(b.healthWaitMs()).toBe(300_000);
    expect(b.stalenessBoundMs()).toBe(0);
    b.reserveFor(2);
    expect(b.slots.capacity).toBe(93);
    expect(b.oversubscribed).toBe(true);
    // A rule watch (the KV prefix) holds a request of its own too, whatever the datacenters.
    b.reserveRuleWatch();
    expect(b.slots.capacity).toBe(92);
    b.reserveFor(1);
    expect(b.slots.capacity).toBe(95);
  });

  it('shrinks the wait as the catalog grows so every service is read within maxStaleness', () => {
    const b = budget(100, 2000);
    expect(b.healthWaitMs()).toBe(1440); // 30 s × 96 / 2000
    expect(b.stalenessBoundMs()).toBe(21 * 1440);
    expect(b.stalenessBoundMs()).toBeLessThanOrEqual(30_000 + 1440);
    // Past the 1 s floor the bound stretches instead of the request rate growing.
    const huge = budget(100, 10_000);
    expect(huge.healthWaitMs()).toBe(1000);
    expect(huge.stalenessBoundMs()).toBe(105_000);
  });

  it('tells its listeners when watches start or stop rotating', () => {
    const b = budget(8, 4);
    const flips: boolean[] = [];
    b.onOversubscription(() => flips.push(b.oversubscribed));
    b.addWatch();
    b.removeWatch();
    expect(flips).toEqual([true, false]);
  });
});
