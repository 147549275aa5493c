import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor } from '@sextant/testkit';
import { k8sEndpointSlice, k8sPod, k8sService } from '@sextant/testkit/kubernetes';
import { loadFixtureWorld } from './support/fixture-world';
import { AdapterWorld, FAST_TIMING } from './support/run-adapter';

const WEB = 'web.default.svc.cluster.local';
const API = 'api.default.svc.cluster.local';

describe('kubernetes adapter: the API server’s failure modes', () => {
  let world: AdapterWorld;
  beforeEach(async () => {
    world = await AdapterWorld.start();
  });
  afterEach(() => world.close());

  const watching = () => waitFor(() => world.fake.openWatches() === 4, { message: 'four open watches' });
  const lists = (resource?: string) => world.fake.requestsFor(resource, 'list').length;

  it('relists after a 410 ERROR event and deletes what vanished while it was disconnected', async () => {
    loadFixtureWorld(world.fake);
    const a = world.run();
    await a.ready();
    await watching();
    const listsBefore = lists();

    world.fake.outage();
    await waitFor(() => a.sink.status === 'degraded');
    expect(a.sink.detail).toMatch(/the API server is unavailable/);
    // While it cannot see: the api service and its slice go, and the history is compacted.
    world.fake.remove('Service', 'default', 'api');
    world.fake.remove('EndpointSlice', 'default', 'api-p9m4d');
    world.fake.compact();
    world.fake.restore();

    // The outage's 503s asked for a second between retries: allow a few.
    await waitFor(() => !a.sink.services.has(API), {
      timeoutMs: 15_000,
      message: 'the missed delete to be seen',
    });
    await a.ready();
    expect(a.sink.calls.filter((c) => c.method === 'removeService')).toEqual([
      { method: 'removeService', hostname: API },
    ]);
    expect(a.endpoints(WEB)).toHaveLength(3);
    // Every watch was told its resourceVersion was too old, and each collection was listed again,
    // once: counted once all four watch again (each collection's watch follows its list, and the
    // api service can be gone before the last collection is listed).
    await watching();
    expect(lists()).toBe(listsBefore + 4);
  });

  it('treats a 410 status on a watch like the ERROR event: relist, and synthesise the delete', async () => {
    loadFixtureWorld(world.fake);
    const a = world.run();
    await a.ready();
    await watching();
    world.fake.inject({ status: 410, resource: 'endpointslices', verb: 'watch', times: 1 });
    world.fake.resetWatches();
    world.fake.remove('EndpointSlice', 'default', 'web-7k2xq');
    await waitFor(() => a.endpoints(WEB)?.length === 0, { message: 'web to lose the deleted slice' });
    expect(lists('endpointslices')).toBe(2);
    expect(lists('services')).toBe(1);
  });

  it('relists after a 410 at once the first time, and with backoff when every watch gets one', async () => {
    world.fake.put(k8sService({ name: 'web', ports: [{ name: 'http', port: 80 }] }));
    world.fake.inject({ status: 410, resource: 'services', verb: 'watch', asWatchEvent: true });
    const a = world.run();
    await a.ready();
    const started = Date.now();
    await waitFor(() => lists('services') >= 6, { timeoutMs: 10_000 });
    // Relists 2 to 6 wait 20 + 40 + 80 + 160 ms at least; a storm would do them in milliseconds.
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(lists('endpointslices')).toBe(1);
  });

  it('resumes a watch that ended with zero events from the last resourceVersion, a bookmark’s included', async () => {
    world.fake.put(k8sService({ name: 'web', ports: [{ name: 'http', port: 80 }] }));
    const a = world.run();
    await a.ready();
    await watching();
    // The collection of services is quiet; other kinds move the global resourceVersion on.
    world.fake.put(k8sPod({ name: 'unrelated' }));
    world.fake.bookmark();
    const bookmarkRv = world.fake.resourceVersion;
    // The stream ends after the bookmark, on the same connection: the client reads both, in order.
    world.fake.endWatches();
    await waitFor(() => world.fake.requestsFor('services', 'watch').length === 2);
    expect(world.fake.requestsFor('services', 'watch')[1]?.query.resourceVersion).toBe(bookmarkRv);
    expect(lists()).toBe(4);
    expect(a.sink.statuses()).toEqual(['ready']);
  });

  it('backs off from a server that ends every watch at once, instead of spinning', async () => {
    await world.close();
    world = await AdapterWorld.start({ watchTimeoutMs: 1 });
    world.fake.put(k8sService({ name: 'web', ports: [{ name: 'http', port: 80 }] }));
    const a = world.run();
    await a.ready();
    const before = world.fake.requestsFor(undefined, 'watch').length;
    const started = Date.now();
    await waitFor(() => world.fake.requestsFor(undefined, 'watch').length >= before + 24, {
      timeoutMs: 10_000,
    });
    // Four collections, six watches each: at least 20 + 40 + 80 + 160 + 200 ms of backoff apart (the
    // lower half of each doubling window is never used), where a spin takes a few milliseconds.
    expect(Date.now() - started).toBeGreaterThanOrEqual(500);
    expect(lists()).toBe(4);
    expect(a.sink.status).toBe('ready');
  });

  it('starts a list over when its continue token expires between chunks', async () => {
    for (let i = 0; i < 5; i += 1)
      world.fake.put(k8sService({ name: `svc-${i}`, ports: [{ name: 'http', port: 80 }] }));
    let expireOnce = true;
    world.fake.onRequest((request) => {
      if (
        expireOnce &&
        request.resource === 'services' &&
        request.verb === 'list' &&
        request.query.continue === undefined
      ) {
        expireOnce = false;
        world.fake.expireContinueTokens();
      }
    });
    const a = world.run({ kubeconfig: world.kubeconfig() }, { timing: { ...FAST_TIMING, pageSize: 2 } });
    await a.ready();
    expect(
      world.fake
        .requestsFor('services', 'list')
        .map((r) => [r.query.continue === undefined ? 'first' : 'continue', r.status]),
    ).toEqual([
      ['first', 200],
      ['continue', 410],
      ['first', 200],
      ['continue', 200],
      ['continue', 200],
    ]);
    expect(a.sink.services.size).toBe(5);
  });

  it('re-reads a rotated token after a 401, without going degraded', async () => {
    const tokenFile = join(world.dir, 'token');
    writeFileSync(tokenFile, 'token-1');
    world.fake.setTokens(['token-1']);
    world.fake.put(k8sService({ name: 'web', ports: [{ name: 'http', port: 80 }] }));
    const a = world.run({ kubeconfig: world.kubeconfig({ tokenFile }) });
    await a.ready();
    await watching();

    writeFileSync(tokenFile, 'token-2');
    world.fake.setTokens(['token-2']);
    world.fake.endWatches();
    await waitFor(() => world.fake.requests.some((r) => r.token === 'token-2' && r.status === 200));
    world.fake.put(k8sService({ name: 'api', ports: [{ name: 'grpc', port: 9090 }] }));
    await waitFor(() => a.sink.services.has(API));
    expect(world.fake.requests.filter((r) => r.status === 401).map((r) => r.token)).toContain('token-1');
    expect(a.sink.statuses()).not.toContain('degraded');
  });

  it('reports a 403 on one resource as degraded with the API’s message, keeping the last state', async () => {
    loadFixtureWorld(world.fake);
    const a = world.run();
    await a.ready();
    await watching();
    const before = a.endpoints(WEB);
    const forbidden = world.fake.forbid('endpointslices');
    world.fake.endWatches();
    await waitFor(() => a.sink.status === 'degraded');
    expect(a.sink.detail).toBe(
      'endpointslices: endpointslices.discovery.k8s.io is forbidden: User "system:serviceaccount:sextant:sextant" ' +
        'cannot watch resource "endpointslices" in API group "discovery.k8s.io" at the cluster scope',
    );
    expect(a.endpoints(WEB)).toEqual(before);
    forbidden.remove();
    await a.ready();
    expect(
      a.logger.records.filter((r) => r.level === 'warn' && r.fields.resource === 'endpointslices'),
    ).toHaveLength(1);
  });

  it('stays syncing, with the reason, while a resource is forbidden before the first sync', async () => {
    world.fake.put(k8sService({ name: 'web', ports: [{ name: 'http', port: 80 }] }));
    const forbidden = world.fake.forbid('pods');
    const a = world.run();
    await waitFor(() => (a.sink.detail ?? '') !== '');
    expect(a.sink.status).toBe('syncing');
    expect(a.sink.detail).toMatch(
      /^pods: pods is forbidden: User ".*" cannot list resource "pods" in API group "" at the cluster scope$/,
    );
    expect(a.sink.calls.filter((c) => c.method !== 'setStatus')).toEqual([]);
    forbidden.remove();
    await a.ready();
    expect(a.sink.services.has(WEB)).toBe(true);
  });

  it('waits as long as a 429’s Retry-After asks', async () => {
    world.fake.inject({ status: 429, retryAfterSeconds: 1, resource: 'services', verb: 'list', times: 1 });
    const a = world.run();
    await a.ready();
    const [throttled, retried] = world.fake.requestsFor('services', 'list');
    expect(throttled?.status).toBe(429);
    expect((retried?.at ?? 0) - (throttled?.at ?? 0)).toBeGreaterThanOrEqual(995);

    // A watch is throttled the same way: the header of its failed response is read too.
    await watching();
    const before = world.fake.requestsFor('services', 'watch').length;
    world.fake.inject({ status: 429, retryAfterSeconds: 1, resource: 'services', verb: 'watch', times: 1 });
    world.fake.endWatches();
    await waitFor(() => world.fake.requestsFor('services', 'watch').length >= before + 2);
    const [throttledWatch, nextWatch] = world.fake.requestsFor('services', 'watch').slice(before);
    expect(throttledWatch?.status).toBe(429);
    expect((nextWatch?.at ?? 0) - (throttledWatch?.at ?? 0)).toBeGreaterThanOrEqual(995);
  });

  it('retries an outage at a bounded rate, and shows what changed once the server is back', async () => {
    loadFixtureWorld(world.fake);
    const a = world.run();
    await a.ready();
    await watching();
    world.fake.outage();
    const before = world.fake.requests.length;
    const started = Date.now();
    await waitFor(() => world.fake.requests.length >= before + 12, { timeoutMs: 10_000 });
    // Four collections, three attempts each; the outage's 503s say Retry-After: 1, so a second apart.
    expect(Date.now() - started).toBeGreaterThanOrEqual(1500);
    expect(a.sink.status).toBe('degraded');
    expect(a.sink.services.size).toBe(2);

    world.fake.put(k8sService({ name: 'new', ports: [{ name: 'http', port: 80 }] }));
    world.fake.restore();
    await waitFor(() => a.sink.services.has('new.default.svc.cluster.local'), { timeoutMs: 15_000 });
    await a.ready();
  });

  it('gives up on a watch gone silent past its timeout, and watches again', async () => {
    world.fake.put(k8sService({ name: 'web', ports: [{ name: 'http', port: 80 }] }));
    const a = world.run(
      { kubeconfig: world.kubeconfig() },
      { timing: { ...FAST_TIMING, watchTimeoutSeconds: 1, stallGraceMs: 200 } },
    );
    await a.ready();
    await watching();
    world.fake.stallWatches();
    world.fake.put(k8sService({ name: 'api', ports: [{ name: 'grpc', port: 9090 }] }));
    await waitFor(() => a.sink.services.has(API), { timeoutMs: 5000 });
    expect(a.logger.records.some((r) => r.msg.startsWith('watch went silent'))).toBe(true);
  });

  it('relists every resyncPeriod, confirming ready', async () => {
    world.fake.put(k8sService({ name: 'web', ports: [{ name: 'http', port: 80 }] }));
    const a = world.run({ kubeconfig: world.kubeconfig() }, { timing: { ...FAST_TIMING, resyncMs: 300 } });
    await a.ready();
    await waitFor(() => lists('services') >= 3, { timeoutMs: 10_000 });
    expect(a.sink.statuses().filter((s) => s === 'ready').length).toBeGreaterThanOrEqual(2);
    expect(a.sink.statuses()).not.toContain('degraded');
  });

  it('treats any other ERROR event as a failure: degraded, then watching again', async () => {
    world.fake.put(k8sService({ name: 'web', ports: [{ name: 'http', port: 80 }] }));
    world.fake.put(
      k8sEndpointSlice({
        name: 'web-1',
        service: 'web',
        endpoints: [{ address: '10.0.0.1' }],
        ports: [{ name: 'http', port: 80 }],
      }),
    );
    const a = world.run();
    await a.ready();
    await watching();
    world.fake.inject({
      status: 500,
      resource: 'services',
      verb: 'watch',
      asWatchEvent: true,
      message: 'etcd is sad',
      times: 1,
    });
    world.fake.endWatches();
    await waitFor(() => a.sink.statuses().includes('degraded'));
    expect(a.sink.calls.find((c) => c.method === 'setStatus' && c.status === 'degraded')).toEqual({
      method: 'setStatus',
      status: 'degraded',
      detail: 'services: etcd is sad',
    });
    await a.ready();
  });
});
