import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FakeConsul } from '@sextant/testkit/consul';
import { ConsulApi, type ConsulConnection } from '../src/consul-api';
import type { ConsulFault } from '../src/consul-fault';

const pem = (name: string) => readFileSync(join(__dirname, 'fixtures/tls', name));

describe('ConsulApi: the consul client on a bounded keep-alive pool', () => {
  let fake: FakeConsul;
  let apis: ConsulApi[] = [];
  const signal = new AbortController().signal;
  const api = (connection: Partial<ConsulConnection> = {}) => {
    const created = new ConsulApi({
      address: new URL(fake.url),
      maxSockets: 4,
      token: () => undefined,
      ...connection,
    });
    apis.push(created);
    return created;
  };
  const read = { datacenter: 'dc1', index: 0n, waitMs: 1000, signal };
  afterEach(async () => {
    for (const a of apis) a.close();
    apis = [];
    await fake.close();
  });

  it('reads bodies and the X-Consul-Index and KnownLeader headers through the client', async () => {
    fake = await FakeConsul.start();
    fake.addInstance({ service: 'web', address: '10.0.0.1', port: 80 });
    fake.faults.knownLeader = false;
    const answer = await api().healthService('web', read);
    expect(answer.body).toHaveLength(1);
    expect(answer.index).toBe(String(fake.datacenter().healthServiceIndex('web')));
    expect(answer.knownLeader).toBe(false);
    expect(
      await api()
        .catalogServices(read)
        .then((a) => Object.keys(a.body)),
    ).toEqual(['consul', 'web']);
    expect(await api().agentDatacenter(signal)).toBe('dc1');
    expect(await api().datacenters(signal)).toEqual(['dc1']);
  });

  it('sends the blocking index and wait, the token in a header, and reuses its sockets', async () => {
    fake = await FakeConsul.start();
    fake.setToken('t0k3n');
    fake.addInstance({ service: 'web', address: '10.0.0.1', port: 80 });
    const client = api({ token: () => 't0k3n' });
    for (let i = 0; i < 20; i += 1) await client.healthService('web', { ...read, index: 1n, waitMs: 250 });
    const sent = fake.requestsTo('/v1/health/service/web');
    expect(sent.at(-1)?.query).toEqual({ dc: 'dc1', index: '1', wait: '250ms' });
    expect(sent.every((r) => r.token)).toBe(true);
    expect(fake.acceptedConnections).toBe(1);
  });

  it('turns failures into faults of the right kind, with Consul’s plain-text message', async () => {
    fake = await FakeConsul.start();
    const fail = (promise: Promise<unknown>) =>
      promise.then(
        () => undefined,
        (error: ConsulFault) => [error.kind, error.status, error.message],
      );
    fake.setToken('right');
    expect(await fail(api({ token: () => 'wrong' }).catalogServices(read))).toEqual([
      'denied',
      403,
      'GET /v1/catalog/services: Consul refused the request (403: ACL not found)',
    ]);
    fake.faults.injectError({ status: 429 }, { count: 1 });
    expect(await fail(api({ token: () => 'right' }).catalogServices(read))).toEqual([
      'throttled',
      429,
      'GET /v1/catalog/services: Consul answered 429: Too Many Requests',
    ]);
    expect(
      await fail(api({ token: () => 'right' }).catalogServices({ ...read, datacenter: 'mars' })),
    ).toEqual(['server', 500, 'GET /v1/catalog/services: Consul answered 500: No path to datacenter']);
    fake.faults.hang({ count: 1 });
    expect(await fail(api({ token: () => 'right' }).catalogServices({ ...read, waitMs: 100 }))).toEqual([
      'timeout',
      undefined,
      `GET /v1/catalog/services: no answer from Consul at ${fake.url} within 1.1s (a hung connection?)`,
    ]);
    await fake.stop();
    expect(await fail(api().catalogServices(read))).toEqual([
      'unreachable',
      undefined,
      `GET /v1/catalog/services: cannot reach Consul at ${fake.url}: ECONNREFUSED`,
    ]);
  });

  it('aborts a held query when its signal aborts', async () => {
    fake = await FakeConsul.start();
    const index = fake.datacenter().catalogIndex();
    const controller = new AbortController();
    const held = api().catalogServices({
      ...read,
      index: BigInt(index),
      waitMs: 60_000,
      signal: controller.signal,
    });
    const outcome = held.then(
      () => 'answered',
      () => 'aborted',
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
    controller.abort();
    expect(await outcome).toBe('aborted');
  });

  describe('over TLS', () => {
    const tls = { key: pem('server-key.pem'), cert: pem('server.pem') };

    it('verifies the agent against the CA, with a server name', async () => {
      fake = await FakeConsul.start({ tls });
      fake.addInstance({ service: 'web', address: '10.0.0.1', port: 80 });
      const secure = api({ tls: { ca: pem('ca.pem'), serverName: 'server.dc1.consul' } });
      expect(await secure.healthService('web', read).then((a) => a.body.length)).toBe(1);
      const untrusting = api();
      await expect(untrusting.healthService('web', read)).rejects.toMatchObject({
        kind: 'unreachable',
        message: expect.stringMatching(
          /cannot reach Consul at https:\/\/127\.0\.0\.1:\d+: UNABLE_TO_VERIFY_LEAF_SIGNATURE/,
        ),
      });
    });

    it('presents a client certificate to an agent that verifies incoming connections', async () => {
      fake = await FakeConsul.start({ tls: { ...tls, ca: pem('ca.pem') } });
      const withCert = api({
        tls: { ca: pem('ca.pem'), cert: pem('client.pem'), key: pem('client-key.pem') },
      });
      expect(await withCert.agentDatacenter(signal)).toBe('dc1');
      const without = api({ tls: { ca: pem('ca.pem') } });
      await expect(without.agentDatacenter(signal)).rejects.toMatchObject({ kind: 'unreachable' });
    });
  });
});
