import fs from 'node:fs';
import path from 'node:path';
import { freePort, waitFor } from '@sextant/testkit';
import { runCli, startDaemon, tempDir, type DaemonProcess } from './daemon-process';
import { startGrpcBackend, type GrpcBackend } from './grpc-backend';
import { XdsClientProcess } from './xds-client-process';

/**
 * `sextant status`, `sextant config` and `sextant bootstrap --format grpc` against the built
 * daemon, with a real grpc-js-xds client started from the bootstrap the CLI printed, reaching
 * two backends through a weighted route.
 */

const TARGET = 'echo.e2e.local:50051';
const NODE_ID = 'grpc-ops-client';

function servicesFile(ports: readonly number[]): string {
  return [
    'services:',
    '  - hostname: echo.e2e.local',
    '    ports: [{ name: grpc, port: 50051, protocol: grpc }]',
    '    instances:',
    ...ports.map(
      (port, i) => `      - { address: 127.0.0.1, port: ${port}, labels: { version: v${i + 1} } }`,
    ),
    '',
  ].join('\n');
}

const RULES = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: echo }
spec:
  hosts: [echo.e2e.local]
  http:
    - route:
        - { destination: { host: echo.e2e.local, subset: v1 }, weight: 80 }
        - { destination: { host: echo.e2e.local, subset: v2 }, weight: 20 }
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: echo }
spec:
  host: echo.e2e.local
  subsets:
    - { name: v1, labels: { version: v1 } }
    - { name: v2, labels: { version: v2 } }
`;

// Each CLI run is a process of its own: seconds each when CI runs every suite at once on 2 cores.
jest.setTimeout(180_000);

describe('sextant status, config and bootstrap against a running daemon', () => {
  let daemon: DaemonProcess;
  let client: XdsClientProcess | undefined;
  let xdsPort: number;
  let dir: string;
  const backends: GrpcBackend[] = [];

  beforeAll(async () => {
    backends.push(await startGrpcBackend('a'), await startGrpcBackend('b'));
    dir = tempDir();
    fs.writeFileSync(path.join(dir, 'services.yaml'), servicesFile(backends.map((b) => b.port)));
    fs.writeFileSync(path.join(dir, 'rules.yaml'), RULES);
    xdsPort = await freePort();
    daemon = await startDaemon(
      dir,
      [
        'listen:',
        '  discovery: ${DISCOVERY}',
        '  admin: ${ADMIN}',
        `  xds: 127.0.0.1:${xdsPort}`,
        'debounce: { after: 50ms, max: 300ms }',
        'log: { level: warn }',
        'rules: [rules.yaml]',
        'adapters:',
        '  - { name: local, type: file, path: services.yaml }',
        '',
      ].join('\n'),
    );
    await waitFor(async () => (await fetch(`${daemon.admin}/readyz`)).ok, {
      timeoutMs: 20_000,
      message: 'never ready',
    });
  });

  afterAll(async () => {
    await client?.close();
    if (daemon && daemon.child.exitCode === null) await daemon.terminate();
    await Promise.all(backends.map((b) => b.stop()));
  });

  it('bootstrap --format grpc -o FILE gives a bootstrap the real gRPC xDS client reaches the backends with', async () => {
    const file = path.join(dir, 'grpc-bootstrap.json');
    const printed = await runCli([
      'bootstrap',
      '--format',
      'grpc',
      '--node',
      NODE_ID,
      '--xds',
      `127.0.0.1:${xdsPort}`,
      '--locality',
      'eu-west1/eu-west1-b',
      '-o',
      file,
    ]);
    expect([printed.code, printed.stderr, printed.stdout]).toEqual([0, '', '']);
    client = XdsClientProcess.withBootstrapEnv({ GRPC_XDS_BOOTSTRAP: file });
    const seen = new Set<string>();
    await waitFor(
      async () => {
        const result = await client!.call(TARGET, { deadlineMs: 2000 });
        if (result.ok) seen.add(result.response);
        return seen.size === 2;
      },
      { timeoutMs: 30_000, message: () => `RPCs reached only ${[...seen].join(', ') || 'nothing'}` },
    );
    expect([...seen].sort()).toEqual(['a', 'b']);
  });

  it('status shows the client, its kind and every type SYNCED, as a table and as JSON', async () => {
    expect(client).toBeDefined();
    let table = '';
    await waitFor(
      async () => {
        const status = await runCli(['status', '--admin', daemon.admin]);
        table = status.stdout;
        // gRPC clients get their routes inline in the listener: they never ask for RDS.
        return status.code === 0 && new RegExp(`${NODE_ID} .*SYNCED +SYNCED +NOT SENT +SYNCED `).test(table);
      },
      { timeoutMs: 20_000, message: () => `status never showed ${NODE_ID} in sync:\n${table}` },
    );
    const [header, ...rows] = table.trimEnd().split('\n');
    expect(header?.split(/\s{2,}/)).toEqual([
      'NAME',
      'KIND',
      'ADDRESS',
      'CDS',
      'LDS',
      'RDS',
      'EDS',
      'STATUS',
      'AGE',
    ]);
    const row = rows.find((line) => line.startsWith(NODE_ID))?.split(/\s{2,}/);
    expect(row?.slice(0, 2)).toEqual([NODE_ID, 'grpc']);
    expect(row?.[2]).toMatch(/^(127\.0\.0\.1|::ffff:127\.0\.0\.1|\[?::1\]?):\d+$/);
    expect(row?.[7]).toBe('connected');
    expect(row?.[8]).toMatch(/^\d+(s|m\d+s)$/);

    const json = await runCli(['status', '--admin', daemon.admin, '-o', 'json']);
    expect(json.code).toBe(0);
    const { proxies } = JSON.parse(json.stdout) as {
      proxies: { name: string; kind: string; types: object }[];
    };
    expect(proxies.find((p) => p.name === NODE_ID)).toMatchObject({
      kind: 'grpc',
      types: { cds: 'SYNCED', lds: 'SYNCED', rds: 'NOT SENT', eds: 'SYNCED' },
    });
  });

  it('status finds the admin listener through --config', async () => {
    const status = await runCli(['status', '--config', path.join(dir, 'sextant.yaml')], {
      ...process.env,
      DISCOVERY: new URL(daemon.discovery).host,
      ADMIN: new URL(daemon.admin).host,
    });
    expect([status.code, status.stderr]).toEqual([0, '']);
    expect(status.stdout).toContain(NODE_ID);
  });

  it('config shows the weighted route, clusters with endpoint counts, and endpoints with locality', async () => {
    const routes = await runCli(['config', NODE_ID, '--type', 'routes', '--admin', daemon.admin]);
    expect([routes.code, routes.stderr]).toEqual([0, '']);
    expect(routes.stdout.split('\n')[0]?.split(/\s{2,}/)).toEqual([
      'ROUTE CONFIG',
      'VIRTUAL HOST',
      'MATCH',
      'DESTINATION',
    ]);
    expect(routes.stdout).toContain(
      'outbound|50051|v1|echo.e2e.local 80%, outbound|50051|v2|echo.e2e.local 20%',
    );

    const clusters = await runCli(['config', NODE_ID, '--type', 'clusters', '--admin', daemon.admin]);
    const lines = clusters.stdout.split('\n').map((line) => line.split(/\s{2,}/));
    expect(lines[0]).toEqual(['NAME', 'TYPE', 'LB', 'ENDPOINTS']);
    expect(lines).toContainEqual(['outbound|50051||echo.e2e.local', 'EDS', 'ROUND_ROBIN', '2']);
    expect(lines).toContainEqual(['outbound|50051|v1|echo.e2e.local', 'EDS', 'ROUND_ROBIN', '1']);

    const endpoints = await runCli(['config', NODE_ID, '--type', 'endpoints', '--admin', daemon.admin]);
    expect(endpoints.stdout).toContain(`127.0.0.1:${backends[1]?.port}`);

    const all = await runCli(['config', NODE_ID, '--admin', daemon.admin]);
    for (const section of ['CLUSTERS', 'LISTENERS', 'ROUTES', 'ENDPOINTS']) {
      expect(all.stdout).toMatch(new RegExp(`^${section}$`, 'm'));
    }
  });

  it('config -o json and -o yaml give the resources as Sextant encodes them', async () => {
    const json = await runCli([
      'config',
      NODE_ID,
      '--type',
      'listeners',
      '-o',
      'json',
      '--admin',
      daemon.admin,
    ]);
    expect(json.code).toBe(0);
    const parsed = JSON.parse(json.stdout) as { proxy: string; listeners: { '@type': string }[] };
    expect(parsed.proxy).toBe(NODE_ID);
    expect(parsed.listeners.length).toBeGreaterThan(0);
    expect(parsed.listeners[0]?.['@type']).toBe('type.googleapis.com/envoy.config.listener.v3.Listener');
    const yaml = await runCli(['config', NODE_ID, '-o', 'yaml', '--admin', daemon.admin]);
    expect(yaml.code).toBe(0);
    expect(yaml.stdout).toMatch(/^clusters:$/m);
    expect(yaml.stdout).toContain('"@type": type.googleapis.com/envoy.config.cluster.v3.Cluster');
  });

  it('says which admin URL did not answer, and that a proxy id is malformed, with exit 1', async () => {
    const port = await freePort();
    const down = await runCli(['status', '--admin', `127.0.0.1:${port}`]);
    expect(down.code).toBe(1);
    expect(down.stderr).toContain(`sextant status: http://127.0.0.1:${port}/debug/proxies: ECONNREFUSED`);
    const bad = await runCli(['config', 'sidecar~not-an-ip~x~y', '--admin', daemon.admin]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(
      /^sextant config: http:.*\/debug\/config\/sidecar~not-an-ip~x~y: HTTP 404: .*"not-an-ip" is not an IP address\n$/,
    );
  });
});
