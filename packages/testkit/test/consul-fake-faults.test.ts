import { waitFor } from '../src';
import { FakeConsul } from '../src/consul';

async function get(fake: FakeConsul, path: string, signal?: AbortSignal) {
  const response = await fetch(`${fake.url}${path}`, signal ? { signal } : {});
  return {
    status: response.status,
    text: await response.text(),
    index: response.headers.get('x-consul-index'),
    leader: response.headers.get('x-consul-knownleader'),
    type: response.headers.get('content-type'),
  };
}

describe('fake Consul: faults at the protocol level', () => {
  let fake: FakeConsul;
  beforeEach(async () => {
    fake = await FakeConsul.start();
    fake.addInstance({ service: 'web', address: '10.0.0.1', port: 80 });
  });
  afterEach(() => fake.close());

  it('injects 429 and 500 answers with Consul’s plain-text bodies, for a count of requests on a path', async () => {
    fake.faults.injectError({ status: 429 }, { path: '/v1/health/', count: 1 });
    fake.faults.injectError({ status: 500 }, { path: '/v1/catalog/services', count: 2 });
    expect(await get(fake, '/v1/health/service/web').then((a) => [a.status, a.text, a.type])).toEqual([
      429,
      'Too Many Requests',
      'text/plain; charset=utf-8',
    ]);
    expect((await get(fake, '/v1/health/service/web')).status).toBe(200);
    expect((await get(fake, '/v1/catalog/services')).text).toBe('No cluster leader');
    expect((await get(fake, '/v1/catalog/services')).status).toBe(500);
    expect((await get(fake, '/v1/catalog/services')).status).toBe(200);
  });

  it('answers with a body made from the request, for errors that quote its token', async () => {
    fake.faults.injectError(
      { status: 500, body: (request) => `rpc error: token ${request.token ?? 'none'} on ${request.path}` },
      { count: 2 },
    );
    const answer = await fetch(`${fake.url}/v1/catalog/services`, { headers: { 'X-Consul-Token': 'tok-1' } });
    expect([answer.status, await answer.text()]).toEqual([
      500,
      'rpc error: token tok-1 on /v1/catalog/services',
    ]);
    expect((await get(fake, '/v1/agent/self')).text).toBe('rpc error: token none on /v1/agent/self');
  });

  it('redirects to another origin, keeping the path and query, as a proxy in front of the agent would', async () => {
    fake.faults.redirect({ to: 'http://127.0.0.1:1' }, { path: '/v1/catalog/', count: 1 });
    const answer = await fetch(`${fake.url}/v1/catalog/services?dc=dc1`, { redirect: 'manual' });
    expect(answer.status).toBe(307);
    expect(answer.headers.get('location')).toBe('http://127.0.0.1:1/v1/catalog/services?dc=dc1');
    expect(await answer.text()).toBe(
      '<a href="http://127.0.0.1:1/v1/catalog/services?dc=dc1">Temporary Redirect</a>.\n\n',
    );
    expect((await get(fake, '/v1/catalog/services')).status).toBe(200);
  });

  it('hangs a connection: the request is read and never answered, until the client gives up', async () => {
    fake.faults.hang({ path: '/v1/catalog/services', count: 1 });
    const controller = new AbortController();
    const hung = get(fake, '/v1/catalog/services', controller.signal).then(
      () => 'answered',
      () => 'gave up',
    );
    await waitFor(() => fake.inFlight === 1, { message: 'the request to arrive' });
    // Other requests are still served meanwhile.
    expect((await get(fake, '/v1/health/service/web')).status).toBe(200);
    controller.abort();
    expect(await hung).toBe('gave up');
    await waitFor(() => fake.inFlight === 0, { message: 'the hung request to be released' });
  });

  it('answers with X-Consul-Index: 0 only when asked, and KnownLeader false when told', async () => {
    fake.faults.zeroIndex({ count: 1 });
    fake.faults.knownLeader = false;
    const zero = await get(fake, '/v1/catalog/services');
    expect([zero.index, zero.leader]).toEqual(['0', 'false']);
    const next = await get(fake, '/v1/catalog/services');
    expect(Number(next.index)).toBeGreaterThan(0);
    expect(await get(fake, '/v1/status/leader').then((a) => a.text)).toBe('""');
  });

  it('stops: connections drop and new ones are refused; starts again on the same port with its catalog', async () => {
    const first = await get(fake, '/v1/catalog/services');
    const controller = new AbortController();
    const held = get(fake, `/v1/catalog/services?index=${first.index}&wait=1m`, controller.signal).then(
      () => 'answered',
      (error: Error) => `failed: ${(error.cause as { code?: string } | undefined)?.code ?? error.message}`,
    );
    await waitFor(() => fake.heldQueries() === 1);
    const port = fake.port;
    await fake.stop();
    expect(await held).toMatch(/^failed/);
    await expect(fetch(`${fake.url}/v1/catalog/services`)).rejects.toThrow();
    await fake.start();
    expect(fake.port).toBe(port);
    const again = await get(fake, '/v1/catalog/services');
    expect([again.status, again.text]).toEqual([200, first.text]);
  });

  it('restarts with lower indexes, as after a snapshot restore', async () => {
    const before = Number((await get(fake, '/v1/health/service/web')).index);
    await fake.restart({ rewindTo: 3 });
    const after = Number((await get(fake, '/v1/health/service/web')).index);
    expect(after).toBeLessThan(before);
    expect(after).toBeGreaterThanOrEqual(1);
    const catalog = Number((await get(fake, '/v1/catalog/services')).index);
    expect(catalog).toBeLessThanOrEqual(3);
    expect(fake.datacenter().lastIndex).toBe(3);
  });

  it('counts requests in flight and connections, for tests that bound a client’s concurrency', async () => {
    fake.resetPeaks();
    const first = await get(fake, '/v1/catalog/services');
    const controllers = [1, 2, 3].map(() => new AbortController());
    const held = controllers.map((c) =>
      get(fake, `/v1/catalog/services?index=${first.index}&wait=1m`, c.signal).catch(() => undefined),
    );
    await waitFor(() => fake.heldQueries() === 3);
    expect(fake.inFlight).toBe(3);
    expect(fake.peakInFlight).toBe(3);
    expect(fake.openConnections).toBeGreaterThanOrEqual(3);
    for (const c of controllers) c.abort();
    await Promise.all(held);
    await waitFor(() => fake.inFlight === 0);
    expect(fake.requestsTo('/v1/catalog/services').every((r) => !r.token)).toBe(true);
  });
});
