import path from 'node:path';
import { waitFor } from '@sextant/testkit';
import { FakeConsul, type FakeInstanceRef } from '@sextant/testkit/consul';
import { runCli, startDaemon, tempDir, untilReady, type DaemonProcess } from './daemon-process';

/** The daemon as operators run it: defaults but for the listeners, a quiet log and a 30 s blocking wait. */
const config = (consul: FakeConsul, extra = '') => `
listen:
  discovery: \${DISCOVERY}
  admin: \${ADMIN}
  xds: 127.0.0.1:0
log: { level: warn }
adapters:
  - name: consul
    type: consul
    address: ${consul.url}
    wait: 30s
${extra}`;

const WEB1 = 'web.service.dc1.consul|http';

interface RegistryView {
  version: string | null;
  adapters: { status: string; detail: string | null; lastReportAgeSeconds: number | null }[];
  services: { hostname: string; instances: { address: string; locality: Record<string, string> }[] }[];
}

async function json<T>(url: string): Promise<{ status: number; body: T }> {
  const response = await fetch(url);
  return { status: response.status, body: (await response.json()) as T };
}

const sdsHosts = async (daemon: DaemonProcess, key: string): Promise<string[]> =>
  (
    await json<{ hosts: { ip_address: string; port: number }[] }>(
      `${daemon.discovery}/v1/registration/${key}`,
    )
  ).body.hosts
    .map((h) => `${h.ip_address}:${h.port}`)
    .sort();

const registry = async (daemon: DaemonProcess) =>
  (await json<RegistryView>(`${daemon.admin}/debug/registry`)).body;

describe('the daemon with a consul adapter, against a fake Consul', () => {
  let consul: FakeConsul;
  let daemon: DaemonProcess;
  let web1: FakeInstanceRef;

  beforeAll(async () => {
    consul = await FakeConsul.start({ datacenters: ['dc1', 'dc2'] });
    web1 = consul.addInstance({
      service: 'web',
      address: '10.0.1.11',
      port: 8080,
      nodeMeta: { zone: 'dc1-a' },
    });
    consul.addInstance({ service: 'web', address: '10.2.1.11', port: 8080, datacenter: 'dc2' });
    daemon = await startDaemon(tempDir(), config(consul, '    datacenters: [dc1, dc2]\n'));
    await untilReady(daemon, 10_000);
  });

  afterAll(async () => {
    if (daemon && daemon.child.exitCode === null) await daemon.terminate();
    await consul?.close();
  });

  it('serves both datacenters under their own hostnames and localities', async () => {
    expect(await sdsHosts(daemon, WEB1)).toEqual(['10.0.1.11:8080']);
    expect(await sdsHosts(daemon, 'web.service.dc2.consul|http')).toEqual(['10.2.1.11:8080']);
    const services = (await registry(daemon)).services;
    const locality = (hostname: string) =>
      services.find((s) => s.hostname === hostname)?.instances[0]?.locality;
    expect(locality('web.service.dc1.consul')).toEqual({ region: 'dc1', zone: 'dc1-a' });
    expect(locality('web.service.dc2.consul')).toEqual({ region: 'dc2' });
  });

  it('serves a registration on v1 SDS within 1 s', async () => {
    consul.addInstance({ service: 'web', address: '10.0.1.12', port: 8080 });
    const started = Date.now();
    await waitFor(async () => (await sdsHosts(daemon, WEB1)).includes('10.0.1.12:8080'), {
      timeoutMs: 1000,
      intervalMs: 20,
      message: 'the new instance on SDS within 1 s',
    });
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('takes an instance out while its check fails, and back when it passes', async () => {
    consul.setInstanceStatus(web1, 'critical');
    await waitFor(async () => !(await sdsHosts(daemon, WEB1)).includes('10.0.1.11:8080'), {
      timeoutMs: 2000,
      message: 'the failing instance to leave SDS',
    });
    consul.setInstanceStatus(web1, 'passing');
    await waitFor(async () => (await sdsHosts(daemon, WEB1)).includes('10.0.1.11:8080'), {
      timeoutMs: 3000,
      message: 'the instance to return to SDS',
    });
  });

  it('publishes no new snapshot for a wake-up whose body is identical', async () => {
    const before = (await registry(daemon)).version;
    const requests = consul.requestsTo('/v1/health/service/web').length;
    consul.touchService('web');
    // The adapter read the new index (and blocked again) …
    await waitFor(() => consul.requestsTo('/v1/health/service/web').length >= requests + 1);
    await waitFor(() => consul.heldQueries('dc1') >= 2, { message: 'the watches to block again' });
    // … and past the debounce window the served version is the one before.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await registry(daemon)).version).toBe(before);
  });

  it('keeps serving the last state, degraded, while Consul is down; the age of the data grows', async () => {
    const hosts = await sdsHosts(daemon, WEB1);
    await consul.stop();
    await waitFor(async () => (await registry(daemon)).adapters[0]?.status === 'degraded', {
      timeoutMs: 3000,
      message: 'the adapter to turn degraded',
    });
    const first = (await registry(daemon)).adapters[0];
    expect(first?.detail).toMatch(/cannot reach Consul at http:\/\/127\.0\.0\.1:\d+/);
    expect(await sdsHosts(daemon, WEB1)).toEqual(hosts);
    expect((await fetch(`${daemon.admin}/readyz`)).status).toBe(200);
    await waitFor(
      async () =>
        ((await registry(daemon)).adapters[0]?.lastReportAgeSeconds ?? 0) >=
        (first?.lastReportAgeSeconds ?? 0) + 1,
      { timeoutMs: 3000, message: 'the age of the last report to grow' },
    );
  });

  it('converges when Consul comes back with lower indexes (a snapshot restore)', async () => {
    consul.addInstance({ service: 'web', address: '10.0.1.13', port: 8080 });
    await consul.restart({ rewindTo: 5 });
    await waitFor(async () => (await sdsHosts(daemon, WEB1)).includes('10.0.1.13:8080'), {
      timeoutMs: 5000,
      message: 'the change made while down to show',
    });
    await waitFor(async () => (await registry(daemon)).adapters[0]?.status === 'ready');
  });

  it('drops a deregistered instance, and a service whose last instance left', async () => {
    consul.removeInstance(web1);
    await waitFor(async () => !(await sdsHosts(daemon, WEB1)).includes('10.0.1.11:8080'), {
      timeoutMs: 2000,
    });
    const api = consul.addInstance({
      service: 'api',
      address: '10.0.2.21',
      port: 9090,
      tags: ['protocol=grpc'],
    });
    await waitFor(async () => (await sdsHosts(daemon, 'api.service.dc1.consul|grpc')).length === 1, {
      timeoutMs: 2000,
    });
    consul.removeInstance(api);
    await waitFor(
      async () => !(await registry(daemon)).services.some((s) => s.hostname === 'api.service.dc1.consul'),
      { timeoutMs: 2000, message: 'api to leave the mesh' },
    );
  });

  it('exits 0 promptly on SIGTERM, blocking queries and all', async () => {
    const { code, ms } = await daemon.terminate();
    expect(code).toBe(0);
    expect(ms).toBeLessThan(5000);
  });
});

describe('the daemon with Consul unreachable at start', () => {
  it('runs, unready, with the consul adapter syncing and saying why; ready once Consul is up', async () => {
    const consul = await FakeConsul.start();
    consul.addInstance({ service: 'web', address: '10.0.1.11', port: 8080 });
    await consul.stop();
    const daemon = await startDaemon(tempDir(), config(consul));
    try {
      await waitFor(async () => {
        const ready = await json<{ ready: boolean; waitingFor: { status: string; detail: string }[] }>(
          `${daemon.admin}/readyz`,
        );
        return ready.status === 503 && (ready.body.waitingFor[0]?.detail ?? '').includes('ECONNREFUSED');
      });
      const ready = await json<{ waitingFor: { name: string; status: string; detail: string }[] }>(
        `${daemon.admin}/readyz`,
      );
      expect(ready.body.waitingFor).toEqual([
        {
          name: 'consul',
          status: 'syncing',
          detail: expect.stringMatching(
            /^cannot learn the agent's datacenter: GET \/v1\/agent\/self: cannot reach Consul/,
          ),
        },
      ]);
      await consul.start();
      await waitFor(async () => (await fetch(`${daemon.admin}/readyz`)).ok, { timeoutMs: 10_000 });
      expect(await sdsHosts(daemon, WEB1)).toEqual(['10.0.1.11:8080']);
    } finally {
      await daemon.terminate();
      await consul.close();
    }
  });
});

describe('examples/consul-vm', () => {
  it('is a config `sextant validate` accepts', async () => {
    const config = path.resolve(__dirname, '../../../examples/consul-vm/sextant.yaml');
    const { code, stdout, stderr } = await runCli(['validate', '--config', config]);
    expect([code, stderr]).toEqual([0, '']);
    expect(stdout).toContain('1 adapter(s): consul (consul)');
  });
});
