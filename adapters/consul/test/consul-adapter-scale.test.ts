import { waitFor } from '@sextant/testkit';
import { FakeConsul, type FakeInstanceRef } from '@sextant/testkit/consul';
import { countConnectionAttempts } from './support/refusing-port';
import { runAdapter, type RunningAdapter } from './support/run-adapter';

/** 20 services, one instance each: more than the 4 health slots that 8 requests leave (8 − 1 − 3 per datacenter). */
const SERVICES = 20;

describe('consul adapter: many services, few sockets', () => {
  let fake: FakeConsul;
  let refs: FakeInstanceRef[];
  let running: RunningAdapter[] = [];
  beforeEach(async () => {
    fake = await FakeConsul.start();
    refs = Array.from({ length: SERVICES }, (_, i) =>
      fake.addInstance({ service: `svc-${i}`, address: `10.0.0.${i + 1}`, port: 8080 }),
    );
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
  const healthRequests = () => fake.requests.filter((r) => r.path.startsWith('/v1/health/service/'));

  it('never has more requests or connections open than maxConcurrentRequests, and still syncs everything', async () => {
    fake.resetPeaks();
    const a = start({ address: fake.url, wait: '5m', maxConcurrentRequests: 8, maxStaleness: '500ms' });
    await waitFor(() => a.sink.status === 'ready', { timeoutMs: 10_000 });
    expect(a.sink.services.size).toBe(SERVICES);
    // Let the rotation run a few rounds, then look at the peaks.
    const seen = healthRequests().length;
    await waitFor(() => healthRequests().length >= seen + 2 * SERVICES, { timeoutMs: 15_000 });
    expect(fake.peakInFlight).toBeLessThanOrEqual(8);
    expect(fake.peakConnections).toBeLessThanOrEqual(8);
    // Rotating watches ask for short waits: maxStaleness × slots / watches, never below min(1 s, maxStaleness).
    const waits = new Set(
      healthRequests()
        .slice(seen)
        .flatMap((r) => (r.query.wait ? [r.query.wait] : [])),
    );
    expect([...waits]).toEqual(['500ms']);
  });

  it('sees a registration on a rotating service within the staleness bound', async () => {
    const a = start({ address: fake.url, wait: '5m', maxConcurrentRequests: 8, maxStaleness: '500ms' });
    await waitFor(() => a.sink.status === 'ready', { timeoutMs: 10_000 });
    fake.addInstance({ service: 'svc-7', address: '10.0.1.7', port: 8080 });
    // 20 watches over 4 slots at 500 ms each: every service is read again within 2.5 s.
    await waitFor(() => a.endpoints('svc-7.service.dc1.consul')?.length === 2, { timeoutMs: 6000 });
  });

  it('moves a service whose health changed to the front of the line (the accelerator)', async () => {
    const a = start({ address: fake.url, wait: '5m', maxConcurrentRequests: 8, maxStaleness: '10s' });
    await waitFor(() => a.sink.status === 'ready', { timeoutMs: 10_000 });
    await waitFor(() => fake.requestsTo('/v1/health/state/').length >= 2, {
      message: 'the accelerator to watch',
    });
    const before = healthRequests().length;
    fake.setInstanceStatus(refs[13] as FakeInstanceRef, 'critical');
    await waitFor(() => a.endpoints('svc-13.service.dc1.consul')?.[0] === '10.0.0.14:8080 unhealthy', {
      timeoutMs: 5000,
    });
    // Without the hint svc-13 would wait its turn behind up to 19 others (a 10 s round);
    // with it, only the requests already being dispatched go first.
    const order = healthRequests()
      .slice(before)
      .map((r) => r.path);
    expect(order.indexOf('/v1/health/service/svc-13')).toBeLessThanOrEqual(4);
  });

  it('sends one probe per backoff while Consul is down, not one request per queued watch', async () => {
    const a = start({ address: fake.url, wait: '5m', maxConcurrentRequests: 8, maxStaleness: '500ms' });
    await waitFor(() => a.sink.status === 'ready', { timeoutMs: 10_000 });
    await fake.stop();
    await waitFor(() => a.sink.status === 'degraded');
    const attempts = await countConnectionAttempts(fake.port, 1200);
    expect(attempts).toBeGreaterThan(0);
    expect(attempts).toBeLessThanOrEqual(10);
    await fake.start();
    await waitFor(() => a.sink.status === 'ready', { timeoutMs: 5000 });
  });

  it('holds one blocking query per service, and no accelerator, when slots suffice', async () => {
    const a = start({ address: fake.url, wait: '5m' });
    await waitFor(() => a.sink.status === 'ready');
    await waitFor(() => fake.heldQueries() === SERVICES + 1, { message: 'every watch to block' });
    expect(fake.requestsTo('/v1/health/state/')).toEqual([]);
    expect(new Set(healthRequests().flatMap((r) => (r.query.wait ? [r.query.wait] : [])))).toEqual(
      new Set(['300000ms']),
    );
  });
});
