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

  it('keeps listening through 16 wake-ups that change nothing, so a deregistration after them arrives at once', async () => {
    const [, leaving] = [1, 2, 3].map((n) =>
      fake.addInstance({ service: 'web', address: `10.0.0.${n}`, port: 80 }),
    ) as FakeInstanceRef[];
    const a = start({ address: fake.url, wait: '5m' });
    await waitFor(() => a.sink.status === 'ready');
    await settled(2);
    // Idempotent re-registrations, each as soon as the watches hold their queries again: each
    // wakes web's watch (and the catalog's) with an identical answer. A limit per watch (3, then
    // one a second) ran out after the third: the other thirteen waited a second each, and a
    // change in that second waited with them.
    const reads = () => fake.requestsTo('/v1/health/service/web').length;
    const started = performance.now();
    for (let n = 0; n < 16; n += 1) {
      const before = reads();
      fake.touchService('web');
      await waitFor(() => reads() > before && fake.heldQueries() === 2, {
        timeoutMs: 20_000,
        message: () => `wake-up ${n + 1} read back (${fake.heldQueries()} held)`,
      });
    }
    // Milliseconds each on an idle machine; at least 13 s with the old limit.
    expect(performance.now() - started).toBeLessThan(8000);
    fake.removeInstance(leaving as FakeInstanceRef);
    await waitFor(() => a.endpoints(WEB)?.length === 2);
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
    expect(sent).toBeGreaterThan(0);
    // And once the storm ends every watch listens again, nothing lost.
    await settled(services.length + 1);
    expect(a.sink.services.size).toBe(services.length);
  });
});
