import fs from 'node:fs';
import path from 'node:path';
import { envoyV1Problems } from '@sextant/testkit/envoy-v1';
import { waitFor } from '@sextant/testkit';
import { startDaemon, tempDir, type DaemonProcess } from './daemon-process';

const CONFIG = `
listen:
  discovery: \${DISCOVERY}
  admin: \${ADMIN}
  xds: 127.0.0.1:0
debounce: { after: 50ms, max: 500ms }
log: { level: warn }
admin: { proxyRetention: 1m }
limits: { trackedClients: 100 }
adapters:
  - name: local
    type: file
    path: services.yaml
`;

const SERVICES = `
services:
  - hostname: reviews.default.svc.cluster.local
    ports: [{ name: http, port: 9080, protocol: http }]
    addresses: [10.0.0.31]
    instances:
      - { address: 10.0.1.11, port: 9080, labels: { version: v1 }, locality: { region: us-east1, zone: us-east1-b } }
      - { address: 10.0.1.12, port: 9080, labels: { version: v2 }, weight: 3 }
      - { address: 10.0.1.13, port: 9080, labels: { version: v3 }, health: unhealthy }
  - hostname: mongodb.default.svc.cluster.local
    ports: [{ name: mongo, port: 27017, protocol: tcp }]
    addresses: [10.0.0.44]
    instances:
      - { address: 10.0.3.31, port: 27017 }
`;

const NODE = 'sidecar~10.0.1.11~reviews-v1.default~default.svc.cluster.local';

async function getJson(url: string): Promise<{ status: number; body: unknown }> {
  const response = await fetch(url);
  const text = await response.text();
  return {
    status: response.status,
    body: response.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text,
  };
}

const hostsOf = async (d: DaemonProcess, key: string) =>
  (
    (await getJson(`${d.discovery}/v1/registration/${key}`)).body as { hosts: { ip_address: string }[] }
  ).hosts.map((h) => h.ip_address);

describe('the sextant daemon, end to end', () => {
  let daemon: DaemonProcess;
  let services: string;

  beforeAll(async () => {
    const dir = tempDir();
    services = path.join(dir, 'services.yaml');
    fs.writeFileSync(services, SERVICES);
    daemon = await startDaemon(dir, CONFIG);
    await waitFor(async () => (await fetch(`${daemon.admin}/readyz`)).ok, {
      timeoutMs: 10_000,
      message: 'never ready',
    });
  });

  afterAll(async () => {
    if (daemon.child.exitCode === null) await daemon.terminate();
  });

  it('serves schema-valid v1 SDS, CDS, RDS and LDS that match the services file', async () => {
    const sds = await getJson(`${daemon.discovery}/v1/registration/reviews.default.svc.cluster.local|http`);
    const cds = await getJson(`${daemon.discovery}/v1/clusters/istio-proxy/${NODE}`);
    const rds = await getJson(`${daemon.discovery}/v1/routes/9080/istio-proxy/${NODE}`);
    const lds = await getJson(`${daemon.discovery}/v1/listeners/istio-proxy/${NODE}`);
    for (const [api, response] of [
      ['sds', sds],
      ['cds', cds],
      ['rds', rds],
      ['lds', lds],
    ] as const) {
      expect(response.status).toBe(200);
      expect(envoyV1Problems(api, response.body)).toEqual([]);
    }
    expect(sds.body).toEqual({
      hosts: [
        { ip_address: '10.0.1.11', port: 9080, tags: { az: 'us-east1-b', load_balancing_weight: 1 } },
        { ip_address: '10.0.1.12', port: 9080, tags: { load_balancing_weight: 3 } },
      ],
    });
    expect((cds.body as { clusters: { name: string }[] }).clusters.map((c) => c.name)).toEqual([
      'in.9080',
      'out.mongodb.default.svc.cluster.local|mongo',
      'out.reviews.default.svc.cluster.local|http',
    ]);
    const vhosts = (rds.body as { virtual_hosts: { domains: string[]; routes: { cluster: string }[] }[] })
      .virtual_hosts;
    expect(vhosts).toHaveLength(1);
    expect(vhosts[0]?.domains).toEqual(expect.arrayContaining(['reviews', 'reviews:9080', '10.0.0.31:9080']));
    expect(vhosts[0]?.routes[0]?.cluster).toBe('out.reviews.default.svc.cluster.local|http');
    expect((lds.body as { listeners: { name: string }[] }).listeners.map((l) => l.name)).toEqual([
      'virtual',
      'http_10.0.1.11_9080',
      'http_0.0.0.0_9080',
      'tcp_10.0.0.44_27017',
    ]);
  });

  it('shows an in-place edit within 1 s', async () => {
    fs.writeFileSync(services, SERVICES.replace('10.0.1.12', '10.0.1.22'));
    const started = Date.now();
    await waitFor(
      async () => (await hostsOf(daemon, 'reviews.default.svc.cluster.local|http')).includes('10.0.1.22'),
      {
        timeoutMs: 1000,
        intervalMs: 20,
        message: 'in-place edit not served within 1 s',
      },
    );
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('shows a file replaced by rename (as editors save) within 1 s', async () => {
    const temporary = `${services}.swp`;
    fs.writeFileSync(temporary, SERVICES.replace('10.0.1.12', '10.0.1.42'));
    fs.renameSync(temporary, services);
    await waitFor(
      async () => (await hostsOf(daemon, 'reviews.default.svc.cluster.local|http')).includes('10.0.1.42'),
      {
        timeoutMs: 1000,
        intervalMs: 20,
        message: 'renamed file not served within 1 s',
      },
    );
  });

  it('says which build runs (with the git commit it was built from) and lists its v1 pollers', async () => {
    const version = (await getJson(`${daemon.admin}/debug/version`)).body as Record<string, unknown>;
    const { version: cliVersion } = JSON.parse(
      fs.readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8'),
    ) as { version: string };
    expect(version).toMatchObject({ version: cliVersion, commit: expect.stringMatching(/^[0-9a-f]{40}$/) });
    await fetch(`${daemon.discovery}/v1/listeners/reviews/${NODE}`);
    const { clients } = (await getJson(`${daemon.admin}/debug/proxies?node=${NODE}`)).body as {
      clients: Record<string, unknown>[];
    };
    expect(clients).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          kind: 'rest-v1',
          status: 'polling',
          cluster: 'reviews',
          types: expect.objectContaining({ lds: expect.anything() }),
        }),
      ]),
    );
  });

  it('keeps serving the last good state when the file breaks, and says why on /debug/registry', async () => {
    const cdsBefore = await (await fetch(`${daemon.discovery}/v1/clusters/istio-proxy/${NODE}`)).text();
    const hostsBefore = await hostsOf(daemon, 'reviews.default.svc.cluster.local|http');
    fs.writeFileSync(
      services,
      SERVICES.replace('10.0.1.11', '10.0.1.x').replace('mongodb.default', 'mongodb2.default'),
    );
    await waitFor(
      async () => {
        const view = (await getJson(`${daemon.admin}/debug/registry`)).body as {
          adapters: { status: string }[];
        };
        return view.adapters[0]?.status === 'degraded';
      },
      { timeoutMs: 2000, message: 'broken file not reported' },
    );
    const view = (await getJson(`${daemon.admin}/debug/registry`)).body as { adapters: { detail: string }[] };
    expect(view.adapters[0]?.detail).toMatch(
      /services\.yaml:7:20: services\[0\]\.instances\[0\]\.address: not an IP address/,
    );
    expect(await hostsOf(daemon, 'reviews.default.svc.cluster.local|http')).toEqual(hostsBefore);
    expect(await (await fetch(`${daemon.discovery}/v1/clusters/istio-proxy/${NODE}`)).text()).toBe(cdsBefore);
    expect((await fetch(`${daemon.admin}/readyz`)).status).toBe(200);

    fs.writeFileSync(services, SERVICES.replace('10.0.1.12', '10.0.1.52'));
    await waitFor(
      async () => (await hostsOf(daemon, 'reviews.default.svc.cluster.local|http')).includes('10.0.1.52'),
      {
        timeoutMs: 2000,
        message: 'recovery not served',
      },
    );
  });

  it('exits 0 within 5 s of SIGTERM', async () => {
    const { code, ms } = await daemon.terminate();
    expect(code).toBe(0);
    expect(ms).toBeLessThan(5000);
  });
});
