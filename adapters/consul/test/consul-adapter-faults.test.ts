import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from '@sextant/core';
import { RequestRecorder, waitFor } from '@sextant/testkit';
import { FakeConsul } from '@sextant/testkit/consul';
import { recordingLogger } from './support/recording-logger';
import { countConnectionAttempts } from './support/refusing-port';
import { runAdapter, type RunningAdapter } from './support/run-adapter';

const WEB = 'web.service.dc1.consul';

describe('consul adapter: faults', () => {
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
  const ready = (a: RunningAdapter) =>
    waitFor(() => a.sink.status === 'ready', {
      message: () => `ready (now ${a.sink.status}: ${a.sink.detail})`,
    });

  it('stays syncing, saying why, while Consul is unreachable at start; then syncs', async () => {
    fake.addInstance({ service: 'web', address: '10.0.0.1', port: 80 });
    await fake.stop();
    const a = start({ address: fake.url, wait: '5s' });
    await waitFor(() => (a.sink.detail ?? '').includes('ECONNREFUSED'));
    expect(a.sink.status).toBe('syncing');
    expect(a.sink.detail).toMatch(
      new RegExp(
        `^cannot learn the agent's datacenter: GET /v1/agent/self: cannot reach Consul at ${fake.url}: ECONNREFUSED$`,
      ),
    );
    await fake.start();
    await ready(a);
    expect(a.endpoints(WEB)).toEqual(['10.0.0.1:80 healthy']);
  });

  it('keeps the last state while Consul is down, degraded; resyncs everything when it is back', async () => {
    const web = fake.addInstance({ service: 'web', address: '10.0.0.1', port: 80 });
    const a = start({ address: fake.url, wait: '5s' });
    await ready(a);
    const reports = a.sink.calls.length;
    await fake.stop();
    await waitFor(() => a.sink.status === 'degraded');
    expect(a.sink.detail).toMatch(
      /^dc1: cannot reach Consul at http:\/\/127\.0\.0\.1:\d+: ECONNRE(FUSED|SET); serving the last state read$/,
    );
    expect(a.reportsSince(reports)).toEqual([]);
    expect(a.endpoints(WEB)).toEqual(['10.0.0.1:80 healthy']);
    // Probes keep failing for the same reason: the status line stays the same (each change
    // would be a new status, and a log line in the registry).
    const probesFailed = () => a.logger.records.filter((r) => r.msg === 'Consul probe failed').length;
    await waitFor(() => probesFailed() >= 1);
    const statuses = a.sink.calls.length;
    await waitFor(() => probesFailed() >= 3);
    expect(a.sink.calls.slice(statuses)).toEqual([]);

    fake.setInstanceStatus(web, 'critical');
    const before = fake.requests.length;
    await fake.start();
    await waitFor(() => a.sink.status === 'ready' && a.endpoints(WEB)?.[0] === '10.0.0.1:80 unhealthy');
    // The resync reads every watch again from index 0.
    const fromZero = (path: string) =>
      fake.requests.slice(before).some((r) => r.path === path && r.query.index === undefined);
    await waitFor(() => fromZero('/v1/catalog/services') && fromZero('/v1/health/service/web'));
  });

  it('costs one probe per backoff interval while down, not one request per watch', async () => {
    for (let i = 0; i < 20; i += 1)
      fake.addInstance({ service: `svc-${i}`, address: `10.0.0.${i + 1}`, port: 80 });
    const a = start({ address: fake.url, wait: '5s' });
    await ready(a);
    await fake.stop();
    await waitFor(() => a.sink.status === 'degraded');
    // Backoffs of 25 ms doubling to 400 ms (the test tuning): about 7 probes in 1.2 s, where 20
    // watches retrying each on their own would make several times as many attempts.
    const attempts = await countConnectionAttempts(fake.port, 1200);
    expect(attempts).toBeGreaterThan(0);
    expect(attempts).toBeLessThanOrEqual(10);
  });

  it('on 403 "ACL not found", is degraded with Consul’s words and retries slowly; recovers with a valid token', async () => {
    fake.setToken('good-token');
    fake.addInstance({ service: 'web', address: '10.0.0.1', port: 80 });
    const a = start({ address: fake.url, wait: '5s', token: 'good-token' }, { tuning: {} });
    await ready(a);
    fake.acl.removeToken('good-token');
    fake.touchService('web');
    await waitFor(() => a.sink.status === 'degraded');
    expect(a.sink.detail).toMatch(
      /^dc1: Consul refused the request \(403: ACL not found\); serving the last state read$/,
    );
    const refusedAt = fake.requests.length;
    await new Promise((resolve) => setTimeout(resolve, 1500));
    // The first retry after a refusal waits 2.5–5 s: nothing was sent meanwhile.
    expect(fake.requests.length - refusedAt).toBeLessThanOrEqual(1);
    fake.setToken('good-token');
    await waitFor(() => a.sink.status === 'ready', { timeoutMs: 10_000 });
  });

  it('re-reads a token file after a 403, picking up a rotated token', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sextant-consul-token-'));
    try {
      writeFileSync(join(dir, 'token'), 'first-token\n');
      fake.setToken('first-token');
      fake.addInstance({ service: 'web', address: '10.0.0.1', port: 80 });
      const a = start({ address: fake.url, wait: '5s', tokenFile: 'token' }, { baseDir: dir });
      await ready(a);
      // Revoke the token and let the adapter be refused before anything changes: Consul resolves a
      // token when a query arrives, so the queries held since before the revocation are answered
      // with its rights; a change made now would reach the adapter through them, 200 and all.
      fake.acl.removeToken('first-token');
      fake.touchService('web');
      await waitFor(() => a.sink.status === 'degraded', { message: () => `degraded (now ${a.sink.status})` });
      expect(a.sink.detail).toMatch(/Consul refused the request \(403: ACL not found\)/);
      fake.setToken('second-token');
      writeFileSync(join(dir, 'token'), 'second-token\n');
      fake.addInstance({ service: 'web', address: '10.0.0.2', port: 80 });
      await waitFor(() => a.endpoints(WEB)?.length === 2 && a.sink.status === 'ready');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('on 429 and 500 answers, is degraded with the answer and recovers by itself', async () => {
    fake.addInstance({ service: 'web', address: '10.0.0.1', port: 80 });
    const a = start({ address: fake.url, wait: '5s' });
    await ready(a);
    fake.faults.injectError({ status: 429 }, { count: 2 });
    fake.faults.injectError({ status: 500 }, { count: 2 });
    fake.addInstance({ service: 'web', address: '10.0.0.2', port: 80 });
    await waitFor(() => a.sink.status === 'degraded');
    expect(a.sink.detail).toMatch(/Consul answered (429: Too Many Requests|500: No cluster leader)/);
    await waitFor(() => a.sink.status === 'ready' && a.endpoints(WEB)?.length === 2);
  });

  it('gives up on a hung connection after wait + margin, degraded, and recovers', async () => {
    fake.addInstance({ service: 'web', address: '10.0.0.1', port: 80 });
    const a = start({ address: fake.url, wait: '300ms' });
    await ready(a);
    fake.faults.hang();
    await waitFor(() => a.sink.status === 'degraded', { timeoutMs: 5000 });
    // wait 300 ms + Consul's jitter (≤ wait/16) + a 1 s margin.
    expect(a.sink.detail).toMatch(
      /no answer from Consul at http:\/\/127\.0\.0\.1:\d+ within 1\.3s \(a hung connection\?\)/,
    );
    fake.faults.clear();
    await waitFor(() => a.sink.status === 'ready', { timeoutMs: 5000 });
  });

  it('converges after a restart with lower indexes, without hanging on the old index', async () => {
    fake.addInstance({ service: 'web', address: '10.0.0.1', port: 80 });
    for (let i = 0; i < 30; i += 1) fake.touchService('web');
    const a = start({ address: fake.url, wait: '1m' });
    await ready(a);
    await fake.stop();
    await waitFor(() => a.sink.status === 'degraded');
    fake.rewindIndexes(5);
    fake.addInstance({ service: 'web', address: '10.0.0.2', port: 80 });
    await fake.start();
    // A watch that kept its old (higher) index would hang for the whole minute.
    await waitFor(() => a.endpoints(WEB)?.length === 2 && a.sink.status === 'ready', { timeoutMs: 5000 });
  });

  it('resyncs every service when the catalog index goes backwards without a disconnect', async () => {
    fake.addInstance({ service: 'web', address: '10.0.0.1', port: 80 });
    fake.addInstance({ service: 'api', address: '10.0.0.9', port: 90 });
    for (let i = 0; i < 30; i += 1) fake.touchService('web');
    const a = start({ address: fake.url, wait: '500ms' });
    await ready(a);
    fake.rewindIndexes(3);
    fake.addInstance({ service: 'web', address: '10.0.0.2', port: 80 });
    await waitFor(() => a.endpoints(WEB)?.length === 2);
    expect(a.logger.records.some((r) => r.msg === 'Consul index went backwards; reading again from 0')).toBe(
      true,
    );
  });

  it('treats X-Consul-Index 0 as 1 and does not loop tightly on it', async () => {
    fake.addInstance({ service: 'web', address: '10.0.0.1', port: 80 });
    const a = start({ address: fake.url, wait: '5s', rateLimit: { burst: 3, interval: '1s' } });
    await ready(a);
    const before = fake.requestsTo('/v1/catalog/services').length;
    fake.faults.zeroIndex({ path: '/v1/catalog/services' });
    fake.touchService('web');
    await new Promise((resolve) => setTimeout(resolve, 2000));
    // Every answer comes back at once (index 1 < the catalog's), so the rate limit paces it: ~1/s.
    const sent = fake.requestsTo('/v1/catalog/services').length - before;
    expect(sent).toBeGreaterThanOrEqual(2);
    expect(sent).toBeLessThanOrEqual(6);
    expect(a.sink.status).toBe('ready');
  });

  it('warns once when Consul answers without a known leader', async () => {
    fake.addInstance({ service: 'web', address: '10.0.0.1', port: 80 });
    fake.faults.knownLeader = false;
    const a = start({ address: fake.url, wait: '5s' });
    await ready(a);
    fake.touchService('web');
    await waitFor(() => fake.requestsTo('/v1/health/service/web').length >= 3);
    const warnings = a.logger.records.filter((r) =>
      r.msg.startsWith('Consul answers without a known leader'),
    );
    expect(warnings).toHaveLength(1);
  });

  it('explains a 403 on /v1/agent/self: agent:read, or list the datacenters', async () => {
    fake.setToken('svc-only', { agentRead: false });
    fake.addInstance({ service: 'web', address: '10.0.0.1', port: 80 });
    const a = start({ address: fake.url, wait: '5s', token: 'svc-only' });
    await waitFor(() => (a.sink.detail ?? '').includes('403'));
    expect(a.sink.status).toBe('syncing');
    expect(a.sink.detail).toMatch(
      /^cannot learn the agent's datacenter: GET \/v1\/agent\/self: Consul refused the request \(403: Permission denied: token with AccessorID '[0-9a-f-]+' lacks permission 'agent:read' on "consul-server"\) \(give the token agent:read, or list the datacenters in the "datacenters" option\)/,
    );
    const listed = start({ address: fake.url, wait: '5s', token: 'svc-only', datacenters: ['dc1'] });
    await ready(listed);
  });

  it('follows no redirect: the target never gets the token, and the redirect is a fault naming it', async () => {
    const target = await RequestRecorder.start();
    try {
      const token = 'redirected-token-5d0b';
      fake.setToken(token);
      fake.addInstance({ service: 'web', address: '10.0.0.1', port: 80 });
      const a = start({ address: fake.url, wait: '5s', token });
      await ready(a);
      // A proxy in front of the agent now sends every request elsewhere.
      fake.faults.redirect({ to: target.url });
      fake.touchService('web');
      await waitFor(() => a.sink.status === 'degraded');
      expect(a.sink.detail).toMatch(
        new RegExp(
          `^dc1: Consul answered 307 redirecting to ${target.url}/v1/(health/service/web|catalog/services); ` +
            'redirects are not followed so the token is not sent elsewhere; serving the last state read$',
        ),
      );
      // Retried with the outage backoff (50 ms doubling to 400 ms here), each time refused again.
      const before = fake.requests.length;
      await waitFor(() => fake.requests.length >= before + 3, {
        message: 'retries of the redirected requests',
      });
      expect(a.sink.status).toBe('degraded');
      expect(target.carrying(token)).toEqual([]);
      expect(target.requests).toEqual([]);
      fake.faults.clear();
      await ready(a);
    } finally {
      await target.close();
    }
  });

  it('never shows or logs a token Consul echoes, the rotated one from the token file included', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sextant-consul-echo-'));
    const registryLogger = recordingLogger();
    const registry = new Registry({ adapters: ['consul'], logger: registryLogger });
    try {
      const [first, second] = ['echoed-first-3f1c9e', 'echoed-second-77ab02'];
      writeFileSync(join(dir, 'token'), `${first}\n`);
      fake.setToken(first);
      fake.addInstance({ service: 'web', address: '10.0.0.1', port: 80 });
      const a = start(
        { address: fake.url, wait: '5s', tokenFile: 'token' },
        { baseDir: dir, forwardTo: registry.sink('consul') },
      );
      await ready(a);
      const echo = () =>
        fake.faults.injectError(
          { status: 500, body: (request) => `rpc error: bad token ${request.token ?? ''}` },
          { count: 1 },
        );
      echo();
      fake.touchService('web');
      await waitFor(() => a.sink.status === 'degraded');
      expect(a.sink.detail).toBe(
        'dc1: Consul answered 500: rpc error: bad token <redacted>; serving the last state read',
      );
      await ready(a);

      // Rotation: the first token is refused, the file holds the second, and Consul echoes that one.
      fake.acl.removeToken(first);
      fake.touchService('web');
      await waitFor(() => a.sink.status === 'degraded');
      fake.setToken(second);
      writeFileSync(join(dir, 'token'), `${second}\n`);
      await ready(a);
      echo();
      fake.touchService('web');
      await waitFor(() => a.sink.status === 'degraded' && (a.sink.detail ?? '').includes('bad token'));
      expect(a.sink.detail).toContain('rpc error: bad token <redacted>');
      await ready(a);
      await fake.stop();
      await waitFor(() => a.sink.status === 'degraded');

      const shown = JSON.stringify(registry.adapterStatuses());
      const logged = `${a.logger.text()}\n${registryLogger.text()}`;
      for (const token of [first, second]) {
        expect(shown).not.toContain(token);
        expect(logged).not.toContain(token);
        expect(JSON.stringify(a.sink.calls)).not.toContain(token);
      }
      expect(registry.adapterStatuses()[0]?.recentRejections).toEqual([]);
      expect(fake.requests.every((r) => !JSON.stringify(r.query).includes(first))).toBe(true);
    } finally {
      registry.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
