import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '@sextant/testkit';
import {
  FakeNomad,
  FIXTURE_INDEX,
  fixtureRegistrations,
  testCertificates,
  TEST_SERVER_NAME,
  type FakeNomadOptions,
} from '@sextant/testkit/nomad';
import type { NomadAdapterOptions } from '../src';
import { endpoints, runAdapter, type RunningAdapter } from './support/run-adapter';

describe('nomad adapter against a fake Nomad', () => {
  let nomad: FakeNomad;
  const running: RunningAdapter[] = [];
  afterEach(async () => {
    await Promise.all(running.splice(0).map((a) => a.stop()));
    await nomad.close();
  });

  async function startNomad(options: FakeNomadOptions = {}): Promise<FakeNomad> {
    nomad = await FakeNomad.start(options);
    return nomad;
  }

  function start(options: NomadAdapterOptions = {}, env: Record<string, string> = {}): RunningAdapter {
    const adapter = runAdapter({ address: nomad.url, ...options }, { env });
    running.push(adapter);
    return adapter;
  }

  /** Every watch (list + one per service) has re-armed its blocking query. */
  const settled = (watches: number) =>
    waitFor(() => nomad.parkedQueries() === watches, {
      message: () => `${watches} parked queries (now ${nomad.parkedQueries()})`,
    });

  const web = (address: string, port = 8080, extra: object = {}) => ({
    ServiceName: 'web',
    Address: address,
    Port: port,
    AllocID: `web-${address}-${port}`,
    ...extra,
  });

  describe('first sync', () => {
    it('reports the fixture world at once, then ready', async () => {
      await startNomad();
      nomad.restore(FIXTURE_INDEX, fixtureRegistrations);
      const a = start();
      await a.waitForStatus('ready');
      expect(a.sink.calls.map((c) => c.method)).toEqual(['replaceAll', 'setStatus']);
      expect(a.reports()).toEqual(['replaceAll api.default.nomad redis.payments.nomad web.default.nomad']);
      expect(endpoints(a.sink, 'web.default.nomad')).toEqual(['10.0.1.11:8080', '10.0.1.12:8080']);
      const [first] = a.sink.services.get('web.default.nomad')?.instances ?? [];
      expect(first).toEqual({
        address: '10.0.1.11',
        port: 8080,
        portName: 'http',
        labels: {
          'tag.http': 'true',
          'tag.v1': 'true',
          'nomad.AllocID': '3d4f8a1c-6b2e-9c0d-4e1f-a2b3c4d5e6f7',
          'nomad.JobID': 'web',
          'nomad.NodeID': '0b7c5f2e-1a3d-4e6f-8a9b-c0d1e2f3a4b5',
        },
        locality: { zone: 'dc1' },
        health: 'healthy',
      });
      expect(a.sink.services.get('redis.payments.nomad')?.service).toEqual({
        hostname: 'redis.payments.nomad',
        ports: [{ name: 'http', port: 80, protocol: 'http' }],
      });
    });

    it('asks for namespace=* once, then each service in its namespace, blocking from the index it got; then follows the event stream', async () => {
      await startNomad();
      nomad.restore(FIXTURE_INDEX, fixtureRegistrations);
      const a = start({ wait: '2m' });
      await a.waitForStatus('ready');
      await settled(4);
      await waitFor(() => nomad.openStreams() === 1);
      const requests = nomad.requests.map((r) => `${r.path} ${new URLSearchParams(r.query).toString()}`);
      expect(requests.sort()).toEqual(
        [
          '/v1/services namespace=*',
          '/v1/services namespace=*&index=5107&wait=2m',
          '/v1/service/web namespace=default',
          '/v1/service/web namespace=default&index=5107&wait=2m',
          '/v1/service/api namespace=default',
          '/v1/service/api namespace=default&index=5107&wait=2m',
          '/v1/service/redis namespace=payments',
          '/v1/service/redis namespace=payments&index=5107&wait=2m',
          '/v1/event/stream topic=Service&namespace=*',
        ].sort(),
      );
    });

    it('sends the token, the region and ?stale with every request, and maps the region into localities', async () => {
      await startNomad({ acl: { tokens: { s3cret: { read: '*' } } }, region: 'eu' });
      nomad.register(web('10.0.0.1'));
      const a = start({ stale: true }, { NOMAD_TOKEN: 's3cret', NOMAD_REGION: 'eu' });
      await a.waitForStatus('ready');
      expect(
        nomad.requests.every((r) => r.token === 's3cret' && r.query.region === 'eu' && 'stale' in r.query),
      ).toBe(true);
      expect(a.sink.services.get('web.default.nomad')?.instances[0]?.locality).toEqual({
        region: 'eu',
        zone: 'dc1',
      });
      expect(JSON.stringify(a.logger.entries)).not.toContain('s3cret');
    });

    it('reports an empty Nomad as an empty, ready partition', async () => {
      await startNomad();
      const a = start();
      await a.waitForStatus('ready');
      expect(a.reports()).toEqual(['replaceAll ']);
    });
  });

  describe('changes', () => {
    it('reports a changed service alone, and a service whose last registration went as removed', async () => {
      await startNomad();
      nomad.register(web('10.0.0.1'), { ServiceName: 'api', Address: '10.0.0.9', Port: 9090 });
      const a = start();
      await a.waitForStatus('ready');
      await settled(3);
      const before = a.sink.calls.length;

      nomad.register(web('10.0.0.2'));
      await waitFor(() => endpoints(a.sink, 'web.default.nomad')?.length === 2);
      expect(a.reports(before)).toEqual(['upsertService web.default.nomad']);

      nomad.deregisterService('web');
      await waitFor(() => !a.sink.services.has('web.default.nomad'));
      expect(a.reports(before)).toEqual([
        'upsertService web.default.nomad',
        'removeService web.default.nomad',
      ]);
      // The list dropped the name: its watch is gone too.
      await settled(2);
    });

    it('reports nothing for wake-ups that change nothing: shuffled lists and tags, re-registrations, index bumps', async () => {
      await startNomad();
      nomad.register(
        web('10.0.0.1', 8080, { Tags: ['b', 'a', 'c'] }),
        web('10.0.0.2', 8080, { Tags: ['c', 'a'] }),
      );
      const a = start({ rateLimit: { burst: 100, interval: '10ms' } });
      await a.waitForStatus('ready');
      await settled(2);
      const before = a.sink.calls.length;
      const listReads = () => nomad.requests.filter((r) => r.path === '/v1/services').length;
      const serviceReads = () => nomad.requests.filter((r) => r.path === '/v1/service/web').length;
      for (let round = 0; round < 5; round += 1) {
        const [lists, services] = [listReads(), serviceReads()];
        nomad.touch('web');
        nomad.bumpIndex();
        // Both watches woke, read the identical state again, and re-armed.
        await waitFor(() => listReads() > lists && serviceReads() > services);
        await settled(2);
      }
      expect(a.reports(before)).toEqual([]);
      // Only confirmations of the state: no data reported.
      expect(a.sink.calls.slice(before).every((c) => c.method === 'setStatus' && c.status === 'ready')).toBe(
        true,
      );
    });

    it('reads a continuously changing service at most once per rate-limit interval, and converges', async () => {
      await startNomad();
      nomad.register(web('10.0.0.1'));
      const a = start({ rateLimit: { burst: 2, interval: '200ms' } });
      await a.waitForStatus('ready');
      await settled(2);
      const reads = () => nomad.requests.filter((r) => r.path === '/v1/service/web').length;
      const before = reads();
      const started = performance.now();
      for (let n = 2; n <= 60; n += 1) {
        nomad.register(web(`10.0.1.${n}`));
        await new Promise((resolve) => setTimeout(resolve, 15));
      }
      const elapsed = performance.now() - started;
      await waitFor(() => endpoints(a.sink, 'web.default.nomad')?.length === 60);
      // Two at once, then one per 200 ms (and the read still in flight when the churn ended).
      expect(reads() - before).toBeLessThanOrEqual(2 + Math.ceil(elapsed / 200) + 1);
    });

    it('starts and stops watches as namespaces come and go', async () => {
      await startNomad();
      nomad.register(web('10.0.0.1'));
      const a = start();
      await a.waitForStatus('ready');
      nomad.register({ ServiceName: 'redis', Namespace: 'payments', Address: '10.0.3.1', Port: 6379 });
      await waitFor(() => endpoints(a.sink, 'redis.payments.nomad')?.[0] === '10.0.3.1:6379');
      await settled(3);
      nomad.deregisterService('redis', 'payments');
      await waitFor(() => !a.sink.services.has('redis.payments.nomad'));
      await settled(2);
      expect(endpoints(a.sink, 'web.default.nomad')).toEqual(['10.0.0.1:8080']);
    });

    it('collapses registrations at the same address and port (ghosts, restarts) into one instance', async () => {
      await startNomad();
      nomad.register(web('10.0.0.1', 8080, { AllocID: 'old' }), web('10.0.0.1', 8080, { AllocID: 'new' }));
      const a = start();
      await a.waitForStatus('ready');
      expect(endpoints(a.sink, 'web.default.nomad')).toEqual(['10.0.0.1:8080']);
    });

    it('starts over when the index goes backwards, and keeps following changes', async () => {
      await startNomad();
      for (const n of [1, 2, 3]) nomad.register(web(`10.0.0.${n}`));
      const a = start({ wait: '200ms' });
      await a.waitForStatus('ready');
      await settled(2);
      const restoredAt = nomad.index - 2;
      nomad.restore(restoredAt, nomad.allRegistrations().slice(0, 1));
      await waitFor(() => endpoints(a.sink, 'web.default.nomad')?.length === 1, {
        message: () => `the restored state (now ${endpoints(a.sink, 'web.default.nomad')})`,
      });
      // The adapter read again from 0, then blocks from the lower index.
      await waitFor(() =>
        nomad.requests.some((r) => r.path === '/v1/service/web' && r.query.index === String(restoredAt)),
      );
      nomad.register(web('10.0.0.4'));
      await waitFor(() => endpoints(a.sink, 'web.default.nomad')?.includes('10.0.0.4:8080') === true);
      expect(a.sink.status).toBe('ready');
    });
  });

  describe('faults', () => {
    it('is syncing with the reason while Nomad is unreachable at start, then ready', async () => {
      await startNomad();
      nomad.register(web('10.0.0.1'));
      await nomad.shutDown();
      const a = start();
      await a.waitForStatus(
        'syncing',
        /^cannot reach Nomad at http:\/\/127\.0\.0\.1:\d+: connect ECONNREFUSED/,
      );
      expect(a.reports()).toEqual([]);
      await nomad.startUp();
      await a.waitForStatus('ready');
      expect(endpoints(a.sink, 'web.default.nomad')).toEqual(['10.0.0.1:8080']);
    });

    it('degrades with Nomad’s plain-text error, keeps the state, and resyncs when Nomad recovers', async () => {
      await startNomad();
      nomad.register(web('10.0.0.1'));
      const a = start();
      await a.waitForStatus('ready');
      await settled(2);
      nomad.failNext({ status: 500, body: 'No cluster leader', times: Infinity });
      nomad.dropConnections();
      // Each watch says so when its request fails: the list's and the service's reasons, side by side.
      await a.waitForStatus(
        'degraded',
        /^listing services: Nomad answered 500 "No cluster leader"; namespace default: Nomad answered 500 "No cluster leader"$/,
      );
      expect(endpoints(a.sink, 'web.default.nomad')).toEqual(['10.0.0.1:8080']);
      nomad.register(web('10.0.0.2'));
      nomad.clearFaults();
      await a.waitForStatus('ready');
      await waitFor(() => endpoints(a.sink, 'web.default.nomad')?.length === 2);
    });

    it('says why when Nomad answers something unusable', async () => {
      await startNomad();
      nomad.register(web('10.0.0.1'));
      nomad.failNext({
        path: '/v1/services',
        status: 200,
        body: 'not json',
        headers: { 'X-Nomad-Index': '9' },
      });
      const a = start();
      await a.waitForStatus('ready');
      expect(
        a.sink.calls.some(
          (c) =>
            c.method === 'setStatus' &&
            c.status === 'syncing' &&
            /is not JSON \("not json"\)/.test(c.detail ?? ''),
        ),
      ).toBe(true);
    });

    it('on a 403 for one namespace: degraded with Nomad’s message, the others still served and updated', async () => {
      await startNomad({ acl: { tokens: { ops: { read: ['default', 'payments'] } } } });
      nomad.register(web('10.0.0.1'), {
        ServiceName: 'redis',
        Namespace: 'payments',
        Address: '10.0.3.1',
        Port: 6379,
      });
      const a = start({ namespaces: ['default', 'payments'], token: 'ops' });
      await a.waitForStatus('ready');
      await settled(4);

      // Rights are checked when a query starts (as Nomad does): the held ones are cut so they ask again.
      nomad.acl.setToken('ops', { read: ['default'] });
      nomad.dropConnections();
      await a.waitForStatus('degraded', /^namespace payments: Nomad answered 403 "Permission denied"$/);
      nomad.register({ ServiceName: 'redis', Namespace: 'payments', Address: '10.0.3.2', Port: 6379 });
      expect(endpoints(a.sink, 'redis.payments.nomad')).toEqual(['10.0.3.1:6379']);

      nomad.register(web('10.0.0.2'));
      await waitFor(() => endpoints(a.sink, 'web.default.nomad')?.length === 2);
      expect(a.sink.status).toBe('degraded');

      nomad.acl.setToken('ops', { read: ['default', 'payments'] });
      await a.waitForStatus('ready');
      await waitFor(() => endpoints(a.sink, 'redis.payments.nomad')?.length === 2);
    });

    it('stays syncing, never ready, while a configured namespace is refused at start', async () => {
      await startNomad({ acl: { tokens: { ops: { read: ['default'] } } } });
      nomad.register(web('10.0.0.1'));
      const a = start({ namespaces: ['default', 'payments'], token: 'ops' });
      await a.waitForStatus('syncing', /^namespace payments: Nomad answered 403 "Permission denied"$/);
      expect(a.reports()).toEqual([]);
      nomad.acl.setToken('ops', { read: '*' });
      await a.waitForStatus('ready');
    });

    it('re-reads a rotated token file when Nomad refuses the old token, without degrading', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'sextant-nomad-token-'));
      writeFileSync(join(dir, 'token'), 'first\n');
      await startNomad({ acl: { tokens: { first: { read: '*' } } } });
      nomad.register(web('10.0.0.1'));
      const a = start({ tokenFile: join(dir, 'token') });
      await a.waitForStatus('ready');
      await settled(2);

      nomad.acl.setToken('second', { read: '*' });
      nomad.acl.revokeToken('first');
      writeFileSync(join(dir, 'token'), 'second\n');
      // The held queries were admitted with the old token: this change still reaches the adapter
      // through them; their next requests are refused, the file is read again, and they re-arm.
      nomad.register(web('10.0.0.2'));
      await waitFor(() => endpoints(a.sink, 'web.default.nomad')?.length === 2);
      await waitFor(() => nomad.requests.filter((r) => r.token === 'second').length >= 2);
      await settled(2);
      nomad.register(web('10.0.0.3'));
      await waitFor(() => endpoints(a.sink, 'web.default.nomad')?.length === 3);
      expect(a.sink.statuses()).not.toContain('degraded');
    });
  });

  describe('TLS', () => {
    const serverTls = {
      key: testCertificates.serverKey,
      cert: testCertificates.serverCert,
      ca: testCertificates.ca,
      requireClientCert: true,
    };

    it('talks to a Nomad that requires client certificates, with the files the options name', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'sextant-nomad-tls-'));
      writeFileSync(join(dir, 'ca.pem'), testCertificates.ca);
      writeFileSync(join(dir, 'cli.pem'), testCertificates.clientCert);
      writeFileSync(join(dir, 'cli-key.pem'), testCertificates.clientKey);
      await startNomad({ tls: serverTls });
      nomad.register(web('10.0.0.1'));
      const a = start({
        tls: {
          ca: join(dir, 'ca.pem'),
          cert: join(dir, 'cli.pem'),
          key: join(dir, 'cli-key.pem'),
          serverName: TEST_SERVER_NAME,
        },
      });
      await a.waitForStatus('ready');
      expect(endpoints(a.sink, 'web.default.nomad')).toEqual(['10.0.0.1:8080']);
    });

    it('says which certificate file it cannot read, and starts once it can', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'sextant-nomad-tls-'));
      await startNomad({ tls: { ...serverTls, requireClientCert: false } });
      const a = start({}, { NOMAD_CACERT: join(dir, 'ca.pem'), NOMAD_TLS_SERVER_NAME: TEST_SERVER_NAME });
      await a.waitForStatus('syncing', /^cannot read tls\.ca .*ca\.pem: ENOENT/);
      writeFileSync(join(dir, 'ca.pem'), testCertificates.ca);
      await a.waitForStatus('ready');
    });
  });

  describe('scale and pages', () => {
    it('follows X-Nomad-NextToken through every page', async () => {
      await startNomad();
      nomad.register(...[1, 2, 3, 4, 5].map((n) => web(`10.0.0.${n}`)));
      const a = start({ perPage: 2 });
      await a.waitForStatus('ready');
      expect(endpoints(a.sink, 'web.default.nomad')).toHaveLength(5);
      const pages = nomad.requests.filter(
        (r) => r.path === '/v1/service/web' && r.query.next_token !== undefined,
      );
      expect(pages.length).toBeGreaterThanOrEqual(2);
      expect(pages.every((r) => r.query.per_page === '2' && r.query.index === undefined)).toBe(true);
    });

    it('keeps to maxConcurrentRequests, taking turns so every service is still followed', async () => {
      await startNomad();
      const names = Array.from({ length: 12 }, (_, i) => `svc${i}`);
      nomad.register(
        ...names.map((name, i) => ({ ServiceName: name, Address: `10.0.1.${i + 1}`, Port: 80 })),
      );
      let most = 0;
      const watching = setInterval(() => (most = Math.max(most, nomad.parkedQueries())), 5);
      try {
        const a = start({ maxConcurrentRequests: 4, maxStaleness: '1s' });
        await a.waitForStatus('ready');
        expect(a.sink.services.size).toBe(12);
        nomad.register({ ServiceName: 'svc7', Address: '10.0.9.9', Port: 80 });
        await waitFor(() => endpoints(a.sink, 'svc7.default.nomad')?.length === 2, { timeoutMs: 8000 });
        expect(most).toBeLessThanOrEqual(4);
      } finally {
        clearInterval(watching);
      }
    });

    it('watches only the selected services and serves only the selected registrations', async () => {
      await startNomad();
      nomad.register(
        web('10.0.0.1', 8080, { Tags: ['mesh'] }),
        web('10.0.0.2', 8080, { Tags: ['mesh', 'canary'] }),
        web('10.0.0.3', 8080, { Tags: ['legacy'] }),
        { ServiceName: 'batch-worker', Address: '10.0.0.4', Port: 1, Tags: ['mesh'] },
        { ServiceName: 'api', Address: '10.0.0.5', Port: 2, Tags: ['internal'] },
      );
      const a = start({ services: { exclude: ['batch-*'], includeTags: ['mesh'], excludeTags: ['canary'] } });
      await a.waitForStatus('ready');
      expect([...a.sink.services.keys()]).toEqual(['web.default.nomad']);
      expect(endpoints(a.sink, 'web.default.nomad')).toEqual(['10.0.0.1:8080']);
      const read = new Set(
        nomad.requests.filter((r) => r.path.startsWith('/v1/service/')).map((r) => r.path),
      );
      expect([...read]).toEqual(['/v1/service/web']);
    });
  });
});
