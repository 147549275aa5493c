import { waitFor } from '../src';
import { effectiveWaitMs, FakeConsul, parseGoDuration } from '../src/consul';

async function get(fake: FakeConsul, path: string) {
  const started = performance.now();
  const response = await fetch(`${fake.url}${path}`);
  const json = (await response.json()) as unknown;
  return {
    json,
    index: Number(response.headers.get('x-consul-index')),
    ms: performance.now() - started,
  };
}

describe('fake Consul: blocking queries (platform-apis.md §1.5)', () => {
  let fake: FakeConsul;
  beforeEach(async () => {
    fake = await FakeConsul.start();
  });
  afterEach(() => fake.close());

  it('answers at once without an index, and at once when the index already moved past the one sent', async () => {
    fake.addInstance({ service: 'web', address: '10.0.0.1', port: 80 });
    const first = await get(fake, '/v1/health/service/web?wait=10s');
    expect(first.index).toBeGreaterThan(0);
    fake.addInstance({ service: 'web', address: '10.0.0.2', port: 80 });
    const next = await get(fake, `/v1/health/service/web?index=${first.index}&wait=10s`);
    expect(next.index).toBeGreaterThan(first.index);
    expect((next.json as unknown[]).length).toBe(2);
    expect(next.ms).toBeLessThan(5000);
    expect(fake.heldQueries()).toBe(0);
  });

  it('holds a query until a write moves its index, then answers with the new body', async () => {
    const ref = fake.addInstance({ service: 'web', address: '10.0.0.1', port: 80 });
    const first = await get(fake, '/v1/health/service/web');
    const held = get(fake, `/v1/health/service/web?index=${first.index}&wait=1m`);
    await waitFor(() => fake.heldQueries() === 1, { message: 'the query to be held' });
    fake.setInstanceStatus(ref, 'critical');
    const answer = await held;
    expect(answer.index).toBeGreaterThan(first.index);
    expect((answer.json as { Checks: { Status: string }[] }[])[0]?.Checks.map((c) => c.Status)).toEqual([
      'passing',
      'critical',
    ]);
  });

  it('does not wake a health watch for a write to another service', async () => {
    fake.addInstance({ service: 'web', address: '10.0.0.1', port: 80 });
    const first = await get(fake, '/v1/health/service/web');
    const held = get(fake, `/v1/health/service/web?index=${first.index}&wait=300ms`);
    await waitFor(() => fake.heldQueries() === 1);
    fake.addInstance({ service: 'api', address: '10.0.0.9', port: 90 });
    const answer = await held;
    // Timed out: same index, same body.
    expect(answer.index).toBe(first.index);
    expect(answer.json).toEqual(first.json);
    expect(answer.ms).toBeGreaterThanOrEqual(290);
  });

  it('wakes a catalog watch for an idempotent re-registration with a new index and the same body', async () => {
    fake.addInstance({ service: 'web', address: '10.0.0.1', port: 80 });
    const first = await get(fake, '/v1/catalog/services');
    const held = get(fake, `/v1/catalog/services?index=${first.index}&wait=1m`);
    await waitFor(() => fake.heldQueries() === 1);
    fake.touchService('web');
    const answer = await held;
    expect(answer.index).toBeGreaterThan(first.index);
    expect(answer.json).toEqual(first.json);
  });

  it('answers a watch on a vanished service with [] and the extinction index, which later extinctions move', async () => {
    const web = fake.addInstance({ service: 'web', address: '10.0.0.1', port: 80 });
    const api = fake.addInstance({ service: 'api', address: '10.0.0.2', port: 90 });
    const before = await get(fake, '/v1/health/service/web');
    const extinction = fake.removeInstance(web);
    const gone = await get(fake, `/v1/health/service/web?index=${before.index}&wait=1m`);
    expect([gone.json, gone.index]).toEqual([[], extinction]);
    // The watch on the missing service now wakes when an unrelated service dies too.
    const held = get(fake, `/v1/health/service/web?index=${gone.index}&wait=1m`);
    await waitFor(() => fake.heldQueries() === 1);
    const apiExtinction = fake.removeInstance(api);
    expect(await held.then((a) => [a.json, a.index])).toEqual([[], apiExtinction]);
  });

  it('holds a client whose index is above the server’s for the whole wait, then answers the lower index', async () => {
    fake.addInstance({ service: 'web', address: '10.0.0.1', port: 80 });
    const current = await get(fake, '/v1/catalog/services');
    const answer = await get(fake, `/v1/catalog/services?index=${current.index + 1000}&wait=200ms`);
    expect(answer.ms).toBeGreaterThanOrEqual(195);
    expect(answer.index).toBe(current.index);
  });

  it('jitters the wait by up to wait/16, defaults it to 5m and caps it at 10m', () => {
    expect(effectiveWaitMs(1600, () => 0)).toBe(1600);
    expect(effectiveWaitMs(1600, () => 1)).toBe(1700);
    expect(effectiveWaitMs(undefined, () => 0)).toBe(300_000);
    expect(effectiveWaitMs(3_600_000, () => 0)).toBe(600_000);
  });

  it('parses waits in Go duration syntax', () => {
    expect(parseGoDuration('100ms')).toBe(100);
    expect(parseGoDuration('1m30s')).toBe(90_000);
    expect(parseGoDuration('1.5s')).toBe(1500);
    expect(parseGoDuration('500us')).toBe(0.5);
    expect(parseGoDuration('5x')).toBeUndefined();
    expect(parseGoDuration('10')).toBeUndefined();
  });

  it('releases a held query’s timer as soon as its client goes away', async () => {
    fake.addInstance({ service: 'web', address: '10.0.0.1', port: 80 });
    const first = await get(fake, '/v1/health/service/web');
    const controller = new AbortController();
    const held = fetch(`${fake.url}/v1/health/service/web?index=${first.index}&wait=10m`, {
      signal: controller.signal,
    }).catch((error: unknown) => error);
    await waitFor(() => fake.heldQueries() === 1);
    controller.abort();
    await held;
    await waitFor(() => fake.heldQueries() === 0 && fake.inFlight === 0, {
      message: 'the held query to be released',
    });
  });
});
