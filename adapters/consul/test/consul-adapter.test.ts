import { waitFor } from '@sextant/testkit';
import { FakeConsul, seedFixtureWorld } from '@sextant/testkit/consul';
import { runAdapter, type RunningAdapter } from './support/run-adapter';

describe('consul adapter: sync and updates', () => {
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

  it('reports the fixture world in one replaceAll, then ready, unhealthy instances included', async () => {
    seedFixtureWorld(fake);
    const a = start({ address: fake.url, wait: '2s' });
    await waitFor(() => a.sink.status === 'ready', {
      message: () => `ready (now ${a.sink.status}: ${a.sink.detail})`,
    });
    // Nothing before the complete picture, and the complete picture at once, just before ready.
    expect(a.sink.calls.filter((c) => c.method !== 'setStatus').map((c) => c.method)).toEqual(['replaceAll']);
    expect(a.sink.calls.slice(-2).map((c) => c.method)).toEqual(['replaceAll', 'setStatus']);
    expect(new Set(a.sink.statuses())).toEqual(new Set(['syncing', 'ready']));
    expect([...a.sink.services.keys()].sort()).toEqual([
      'api.service.dc1.consul',
      'redis.service.dc1.consul',
      'web.service.dc1.consul',
    ]);
    expect(a.endpoints('web.service.dc1.consul')).toEqual([
      '10.0.1.11:8080 healthy',
      '10.0.1.12:8080 unhealthy',
    ]);
    expect(a.sink.services.get('web.service.dc1.consul')?.service.ports).toEqual([
      { name: 'http', port: 8080, protocol: 'http' },
    ]);
    // The servers' own RPC service is left out by default.
    expect(a.sink.services.has('consul.service.dc1.consul')).toBe(false);
  });

  it('is ready only once every service of the first list has answered', async () => {
    fake.addInstance({ service: 'alpha', address: '10.0.0.1', port: 80 });
    fake.addInstance({ service: 'beta', address: '10.0.0.2', port: 80 });
    fake.faults.hang({ path: '/v1/health/service/beta', count: 1 });
    const a = start({ address: fake.url, wait: '500ms' });
    await waitFor(() => fake.requestsTo('/v1/health/service/alpha').length > 0);
    await waitFor(() => fake.requestsTo('/v1/health/service/beta').length > 0);
    expect(a.sink.status).toBe('syncing');
    expect(a.sink.detail).toBe('waiting for every service of datacenter dc1 to answer once');
    expect(a.sink.calls.filter((c) => c.method !== 'setStatus')).toEqual([]);
    // The hung request times out (wait 500 ms + margin); the retry answers, and only then: ready.
    await waitFor(() => a.sink.status === 'ready', { timeoutMs: 10_000 });
    expect(a.sink.calls.filter((c) => c.method === 'replaceAll')).toHaveLength(1);
    expect(a.sink.services.size).toBe(2);
  });

  it('reports nothing for an identical body with a new index, and reports a real change', async () => {
    const web = fake.addInstance({ service: 'web', address: '10.0.0.1', port: 80, tags: ['a', 'b'] });
    const a = start({ address: fake.url, wait: '5s' });
    await waitFor(() => a.sink.status === 'ready');
    const reports = a.sink.calls.length;
    const requests = fake.requestsTo('/v1/health/service/web').length;
    fake.touchService('web');
    await waitFor(() => fake.requestsTo('/v1/health/service/web').length >= requests + 1);
    // Tags in another order: the same labels, so nothing to report either.
    fake.registerService(web.node, { id: web.id, service: 'web', port: 80, tags: ['b', 'a'] }, []);
    await waitFor(() => fake.requestsTo('/v1/health/service/web').length >= requests + 2);
    await waitFor(() => fake.heldQueries() >= 2, { message: 'the watches to block again' });
    expect(a.reportsSince(reports)).toEqual([]);

    fake.addInstance({ service: 'web', address: '10.0.0.2', port: 80, tags: ['a', 'b'] });
    await waitFor(() => a.endpoints('web.service.dc1.consul')?.length === 2);
    expect(a.reportsSince(reports).map((c) => c.method)).toEqual(['upsertService']);
  });

  it('follows a health flap: the instance turns unhealthy, then healthy again', async () => {
    const web = fake.addInstance({ service: 'web', address: '10.0.0.1', port: 80 });
    const a = start({ address: fake.url, wait: '5s' });
    await waitFor(() => a.sink.status === 'ready');
    fake.setInstanceStatus(web, 'critical');
    await waitFor(() => a.endpoints('web.service.dc1.consul')?.[0] === '10.0.0.1:80 unhealthy');
    fake.setInstanceStatus(web, 'passing');
    await waitFor(() => a.endpoints('web.service.dc1.consul')?.[0] === '10.0.0.1:80 healthy');
    fake.setNodeStatus(web.node, 'critical');
    await waitFor(() => a.endpoints('web.service.dc1.consul')?.[0] === '10.0.0.1:80 unhealthy');
  });

  it('counts warnings as unhealthy under health: passing, healthy under passing-or-warning', async () => {
    const web = fake.addInstance({ service: 'web', address: '10.0.0.1', port: 80 });
    fake.setInstanceStatus(web, 'warning');
    const strict = start({ address: fake.url, wait: '5s' });
    const lenient = start({ address: fake.url, wait: '5s', health: 'passing-or-warning' });
    await waitFor(() => strict.sink.status === 'ready' && lenient.sink.status === 'ready');
    expect(strict.endpoints('web.service.dc1.consul')).toEqual(['10.0.0.1:80 unhealthy']);
    expect(lenient.endpoints('web.service.dc1.consul')).toEqual(['10.0.0.1:80 healthy']);
  });

  it('starts and stops health watches as names come and go, and removes a deregistered service', async () => {
    const web = fake.addInstance({ service: 'web', address: '10.0.0.1', port: 80 });
    const a = start({ address: fake.url, wait: '5s' });
    await waitFor(() => a.sink.status === 'ready');
    fake.addInstance({ service: 'api', address: '10.0.0.2', port: 9090, tags: ['protocol=grpc'] });
    await waitFor(() => a.sink.services.has('api.service.dc1.consul'));
    expect(a.sink.services.get('api.service.dc1.consul')?.service.ports).toEqual([
      { name: 'grpc', port: 9090, protocol: 'grpc' },
    ]);
    fake.removeInstance(web);
    await waitFor(() => !a.sink.services.has('web.service.dc1.consul'));
    // The watch on web is gone: only the catalog's and api's queries are held. Waiting for that
    // also lets a request web's watch sent just before it stopped arrive (and be let go) first.
    await waitFor(() => fake.heldQueries() === 2, {
      message: () => `only the catalog and api watches to block (held: ${fake.heldQueries()})`,
    });
    const before = fake.requestsTo('/v1/health/service/web').length;
    fake.touchService('api');
    await waitFor(() => fake.requestsTo('/v1/health/service/api').length > 2);
    expect(fake.requestsTo('/v1/health/service/web').length).toBe(before);
  });

  it('selects services by name and tag globs', async () => {
    fake.addInstance({ service: 'web', address: '10.0.0.1', port: 80, tags: ['mesh'] });
    fake.addInstance({ service: 'web', address: '10.0.0.2', port: 80, tags: ['mesh', 'canary'] });
    fake.addInstance({ service: 'web', address: '10.0.0.3', port: 80 });
    fake.addInstance({ service: 'web-legacy', address: '10.0.0.4', port: 80, tags: ['mesh'] });
    fake.addInstance({ service: 'batch', address: '10.0.0.5', port: 80 });
    const a = start({
      address: fake.url,
      wait: '5s',
      services: { exclude: ['*-legacy', 'consul'], includeTags: ['me?h'], excludeTags: ['canary'] },
    });
    await waitFor(() => a.sink.status === 'ready');
    expect([...a.sink.services.keys()]).toEqual(['web.service.dc1.consul']);
    expect(a.endpoints('web.service.dc1.consul')).toEqual(['10.0.0.1:80 healthy']);
    // Services none of whose instances can qualify are never watched.
    expect(fake.requestsTo('/v1/health/service/batch')).toEqual([]);
    expect(fake.requestsTo('/v1/health/service/web-legacy')).toEqual([]);
  });

  it('says how many instances it skipped, and why, on its ready status', async () => {
    fake.addInstance({ service: 'web', address: '10.0.0.1', port: 80 });
    fake.addInstance({ service: 'web', address: '10.0.0.2' });
    fake.addInstance({ service: 'web', address: '10.0.0.3', port: 80, serviceAddress: 'web.example.com' });
    fake.addInstance({
      service: 'web-sidecar-proxy',
      address: '10.0.0.1',
      port: 21000,
      kind: 'connect-proxy',
    });
    const a = start({ address: fake.url, wait: '5s' });
    await waitFor(() => a.sink.status === 'ready');
    expect(a.endpoints('web.service.dc1.consul')).toEqual(['10.0.0.1:80 healthy']);
    expect(a.sink.services.has('web-sidecar-proxy.service.dc1.consul')).toBe(false);
    expect(a.sink.detail).toBe('2 instances skipped: 1 without a port, 1 with a DNS name for an address');
  });

  it('serves two datacenters under two hostnames, with their localities', async () => {
    const two = await FakeConsul.start({ datacenters: ['dc1', 'dc2'] });
    try {
      two.addInstance({ service: 'web', address: '10.0.0.1', port: 80, nodeMeta: { zone: 'us-east-1a' } });
      two.addInstance({ service: 'web', address: '10.1.0.1', port: 80, datacenter: 'dc2' });
      const a = start({ address: two.url, wait: '5s', datacenters: ['dc1', 'dc2'] });
      await waitFor(() => a.sink.status === 'ready');
      const locality = (hostname: string) => a.sink.services.get(hostname)?.instances.map((i) => i.locality);
      expect(locality('web.service.dc1.consul')).toEqual([{ region: 'dc1', zone: 'us-east-1a' }]);
      expect(locality('web.service.dc2.consul')).toEqual([{ region: 'dc2' }]);
    } finally {
      await Promise.all(running.splice(0).map((r) => r.stop()));
      await two.close();
    }
  });

  it('with datacenters ["*"], serves every datacenter and picks up one added later', async () => {
    const many = await FakeConsul.start({ datacenters: ['dc1', 'dc2'] });
    try {
      many.addInstance({ service: 'web', address: '10.0.0.1', port: 80 });
      const a = start({ address: many.url, wait: '5s', datacenters: ['*'], datacenterRefresh: '100ms' });
      await waitFor(() => a.sink.status === 'ready');
      expect([...a.sink.services.keys()]).toEqual(['web.service.dc1.consul']);
      many.addDatacenter('dc3');
      many.addInstance({ service: 'web', address: '10.3.0.1', port: 80, datacenter: 'dc3' });
      await waitFor(() => a.sink.services.has('web.service.dc3.consul'));
      expect(a.endpoints('web.service.dc3.consul')).toEqual(['10.3.0.1:80 healthy']);
    } finally {
      await Promise.all(running.splice(0).map((r) => r.stop()));
      await many.close();
    }
  });

  it('reads the agent’s own datacenter, and uses the hostname template', async () => {
    const other = await FakeConsul.start({ datacenters: ['eu-west'] });
    try {
      other.addInstance({ service: 'web', address: '10.0.0.1', port: 80 });
      const a = start({ address: other.url, wait: '5s', hostname: '{service}.{dc}.mesh.internal' });
      await waitFor(() => a.sink.status === 'ready');
      expect([...a.sink.services.keys()]).toEqual(['web.eu-west.mesh.internal']);
      expect(other.requestsTo('/v1/agent/self')).toHaveLength(1);
    } finally {
      await Promise.all(running.splice(0).map((r) => r.stop()));
      await other.close();
    }
  });
});
