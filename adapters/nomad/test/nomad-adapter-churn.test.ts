import { setTimeout as delay } from 'node:timers/promises';
import { waitFor } from '@sextant/testkit';
import { FakeNomad, type RegistrationInput } from '@sextant/testkit/nomad';
import type { NomadAdapterOptions } from '../src';
import { endpoints, runAdapter, type RunningAdapter } from './support/run-adapter';

const WEB = 'web.default.nomad';

describe('nomad adapter: convergence under churn', () => {
  let nomad: FakeNomad;
  const running: RunningAdapter[] = [];
  let storming = false;
  beforeEach(async () => {
    nomad = await FakeNomad.start();
  });
  afterEach(async () => {
    storming = false;
    await Promise.all(running.splice(0).map((a) => a.stop()));
    await nomad.close();
  });

  function start(options: NomadAdapterOptions = {}): RunningAdapter {
    const adapter = runAdapter({ address: nomad.url, ...options });
    running.push(adapter);
    return adapter;
  }

  /** Every watch (the list and one per service) has re-armed its blocking query. */
  const settled = (watches: number) =>
    waitFor(() => nomad.parkedQueries() === watches, {
      message: () => `${watches} parked queries (now ${nomad.parkedQueries()})`,
    });

  const registration = (service: string, n: number): RegistrationInput => ({
    ServiceName: service,
    Address: `10.0.${n}.1`,
    Port: 8080,
    AllocID: `${service}-${n}`,
    Tags: ['a', 'b', 'c'],
  });

  /** Registers `web` with three allocations; returns the ID of the one that will leave. */
  function registerWeb(): string {
    const rows = nomad.register(...[1, 2, 3].map((n) => registration('web', n)));
    return rows[1]?.ID as string;
  }

  /** Re-registers every service unchanged (tags reordered), every `everyMs`, until the test ends. */
  async function storm(services: readonly string[], everyMs: number): Promise<void> {
    storming = true;
    while (storming) {
      for (const service of services) nomad.touch(service);
      await delay(everyMs);
    }
  }

  const webReads = () => nomad.requests.filter((r) => r.path === '/v1/service/web').length;

  it('keeps listening through 16 wake-ups that change nothing, so a deregistration after them arrives at once', async () => {
    const leaving = registerWeb();
    const a = start();
    await a.waitForStatus('ready');
    await settled(2);
    // Re-registrations that change nothing but the order of tags, each as soon as the watches
    // hold their queries again: each wakes web's watch and the list's (the index is table-wide).
    // A limit per watch (5, then one a second) ran out after the fifth: the other eleven waited
    // a second each, and a change in that second waited with them.
    const started = performance.now();
    for (let n = 0; n < 16; n += 1) {
      const reads = webReads();
      nomad.touch('web');
      await waitFor(() => webReads() > reads && nomad.parkedQueries() === 2, {
        timeoutMs: 20_000,
        message: () => `wake-up ${n + 1} read back (${nomad.parkedQueries()} parked)`,
      });
    }
    // Milliseconds each on an idle machine; at least 11 s with the old limit.
    expect(performance.now() - started).toBeLessThan(8000);
    nomad.deregister(leaving);
    await waitFor(() => endpoints(a.sink, WEB)?.length === 2);
  });

  it('keeps the requests of a wake-up storm within rateLimit: burst + one per interval, all watches together', async () => {
    const services = Array.from({ length: 10 }, (_, i) => `svc-${i}`);
    for (const [i, service] of services.entries()) nomad.register(registration(service, i));
    const a = start({ rateLimit: { burst: 5, interval: '100ms' } });
    await a.waitForStatus('ready');
    await settled(services.length + 1);
    // Wait out the burst the first sync may have used.
    await delay(600);
    const reads = () => nomad.requests.filter((r) => r.path !== '/v1/event/stream').length;
    const before = reads();
    const started = performance.now();
    // Every service re-registered unchanged every 10 ms: 1,000 wake-ups a second offered.
    void storm(services, 10);
    await delay(1500);
    storming = false;
    const elapsed = performance.now() - started;
    const sent = reads() - before;
    // A token per request after an early answer; one request may be on its way at the end (the
    // event stream is one more, held open). Each watch limited on its own sent about 200 here.
    expect(sent).toBeLessThanOrEqual(5 + Math.ceil(elapsed / 100) + 1);
    expect(sent).toBeGreaterThan(0);
    // Once the storm is over every watch listens again, and nothing changed.
    await settled(services.length + 1);
    expect(a.sink.services.size).toBe(services.length);
  });

  it('reads first the service the event stream says really changed, ahead of a storm of wake-ups', async () => {
    const others = Array.from({ length: 20 }, (_, i) => `svc-${i}`);
    for (const [i, service] of others.entries()) nomad.register(registration(service, i + 10));
    const leaving = registerWeb();
    // A small budget, so that the storm below keeps a line of watches waiting for tokens.
    const a = start({ rateLimit: { burst: 1, interval: '250ms' } });
    await a.waitForStatus('ready');
    await settled(others.length + 2);
    await waitFor(() => nomad.openStreams() === 1);
    void storm([...others, 'web'], 20);
    // Web's watch was just served a token; the next wake-up puts it at the back of the line,
    // behind every other watch: 20 × 250 ms, were it not for the stream.
    const reads = webReads();
    await waitFor(() => webReads() > reads, { timeoutMs: 15_000 });
    await delay(50);
    const deregistered = performance.now();
    nomad.deregister(leaving);
    await waitFor(() => endpoints(a.sink, WEB)?.length === 2, { timeoutMs: 15_000, intervalMs: 5 });
    // One token (250 ms) and a read, where waiting its turn takes at least 20 × 250 ms.
    expect(performance.now() - deregistered).toBeLessThan(3000);
  });

  describe('without the event stream', () => {
    it('follows changes with blocking queries alone when Nomad refuses the stream, and says so once', async () => {
      nomad.failNext({ path: '/v1/event/stream', status: 403, times: Infinity });
      const leaving = registerWeb();
      const a = start();
      await a.waitForStatus('ready');
      await waitFor(() => nomad.requests.filter((r) => r.path === '/v1/event/stream').length >= 3, {
        message: 'the stream to be retried',
      });
      nomad.deregister(leaving);
      await waitFor(() => endpoints(a.sink, WEB)?.length === 2);
      const said = a.logger.entries.filter((e) => e.msg.startsWith('the Nomad event stream is unavailable'));
      expect(said.map((e) => e.fields.reason)).toEqual(['Nomad answered 403 "Permission denied"']);
      expect(a.sink.statuses()).not.toContain('degraded');
    });

    it('converges when the stream silently loses its events (blocking queries are the record)', async () => {
      const leaving = registerWeb();
      const a = start();
      await a.waitForStatus('ready');
      await waitFor(() => nomad.openStreams() === 1);
      nomad.setEventDelivery(false);
      for (let n = 0; n < 16; n += 1) {
        nomad.touch('web');
        await delay(5);
      }
      nomad.deregister(leaving);
      await waitFor(() => endpoints(a.sink, WEB)?.length === 2);
    });

    it('with eventStream: false, opens no stream and keeps every request slot for the watches', async () => {
      registerWeb();
      const a = start({ eventStream: false, maxConcurrentRequests: 4 });
      await a.waitForStatus('ready');
      await settled(2);
      expect(nomad.requests.some((r) => r.path === '/v1/event/stream')).toBe(false);
    });
  });

  it('reconnects a dropped stream where it left off, from the index after the last event', async () => {
    registerWeb();
    const a = start();
    await a.waitForStatus('ready');
    await waitFor(() => nomad.openStreams() === 1);
    const [row] = nomad.register(registration('api', 7));
    const written = row?.ModifyIndex as number;
    // The adapter has the event once the api service's watch starts (the list named it).
    await waitFor(() => a.sink.services.has('api.default.nomad'));
    await delay(200);
    nomad.closeStreams();
    await waitFor(() => nomad.requests.filter((r) => r.path === '/v1/event/stream').length === 2);
    const resumed = nomad.requests.filter((r) => r.path === '/v1/event/stream')[1];
    expect(resumed?.query.index).toBe(String(written + 1));
  });
});
