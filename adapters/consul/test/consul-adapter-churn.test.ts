import { setTimeout as delay } from 'node:timers/promises';
import { waitFor } from '@sextant/testkit';
import { FakeConsul, type FakeInstanceRef } from '@sextant/testkit/consul';
import { runAdapter, type RunningAdapter } from './support/run-adapter';

const WEB = 'web.service.dc1.consul';

describe('consul adapter: convergence under churn', () => {
  let fake: FakeConsul;
  let running: RunningAdapter[] = [];
  beforeEach(async () => {
    fake = await FakeConsul.start();
  });
  afterEach(async () => {
    await Promise.all(running.map((a) => a.stop()));
    running = [];
    await fake.close();
  });
  const start = (...args: Parameters<typeof runAdapter>) => {
    const adapter = runAdapter(...args);
    running.push(adapter);
    return adapter;
  };
  /** Every watch (the catalog's and one per service) holds its blocking query. */
  const settled = (watches: number) =>
    waitFor(() => fake.heldQueries() === watches, {
      message: () => `${watches} held queries (now ${fake.heldQueries()})`,
    });

  it('after 16 wake-ups that change nothing, a deregistration still reaches the sink at once', async () => {
    const [, leaving] = [1, 2, 3].map((n) =>
      fake.addInstance({ service: 'web', address: `10.0.0.${n}`, port: 80 }),
    ) as FakeInstanceRef[];
    const a = start({ address: fake.url, wait: '5m' });
    await waitFor(() => a.sink.status === 'ready');
    await settled(2);
    // Idempotent re-registrations, 5 ms apart: each wakes web's watch (and the catalog's) with
    // an identical answer. A limit per watch (3, then one a second) ran out after the third and
    // left the watch unable to listen for up to a second.
    for (let n = 0; n < 16; n += 1) {
      fake.touchService('web');
      await delay(5);
    }
    const deregistered = performance.now();
    fake.removeInstance(leaving as FakeInstanceRef);
    await waitFor(() => a.endpoints(WEB)?.length === 2, { timeoutMs: 5000, intervalMs: 2 });
    // Typically a few milliseconds; the old per-watch limit took 0.8–1 s here.
    expect(performance.now() - deregistered).toBeLessThan(500);
  });

  it('keeps the requests of a wake-up storm within rateLimit: burst + one per interval, all watches together', async () => {
    const services = Array.from({ length: 10 }, (_, i) => `svc-${i}`);
    for (const [i, service] of services.entries()) {
      fake.addInstance({ service, address: `10.0.1.${i + 1}`, port: 80 });
    }
    const a = start({ address: fake.url, wait: '5m', rateLimit: { burst: 5, interval: '100ms' } });
    await waitFor(() => a.sink.status === 'ready');
    await settled(services.length + 1);
    // Wait out the burst the first sync may have used.
    await delay(600);
    const before = fake.requests.length;
    const started = performance.now();
    // Every service re-registered unchanged every 10 ms: 1,000 wake-ups a second offered.
    while (performance.now() - started < 1500) {
      for (const service of services) fake.touchService(service);
      await delay(10);
    }
    const elapsed = performance.now() - started;
    const sent = fake.requests.length - before;
    // A token per request after an early answer; one request per watch may be on its way at the
    // end. Each watch limited on its own (3, then one a second) sent over 30 here.
    expect(sent).toBeLessThanOrEqual(5 + Math.ceil(elapsed / 100) + 1);
    expect(sent).toBeGreaterThanOrEqual(5);
    // And once the storm ends every watch listens again, nothing lost.
    await settled(services.length + 1);
    expect(a.sink.services.size).toBe(services.length);
  });
});
