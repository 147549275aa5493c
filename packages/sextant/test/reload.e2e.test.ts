import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { envoyProtos } from '@sextant/envoy';
import { freePort, waitFor } from '@sextant/testkit';
import { RawGrpcStream } from '@sextant/testkit/grpc';
import { runCli, startDaemon, tempDir, type DaemonProcess } from './daemon-process';

const ADS = '/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources';
const CLUSTER = 'type.googleapis.com/envoy.config.cluster.v3.Cluster';

interface Settings {
  readonly adapters: readonly string[];
  readonly discovery?: string;
  readonly admin?: string;
  readonly xds?: string;
  readonly logLevel?: string;
  readonly debounce?: string;
  readonly extra?: string;
}

/** sextant.yaml with file adapters, one services file each (`<name>.yaml`). */
function config(s: Settings): string {
  return `
listen:
  discovery: ${s.discovery ?? '${DISCOVERY}'}
  admin: ${s.admin ?? '${ADMIN}'}
  xds: ${s.xds ?? '127.0.0.1:0'}
debounce: ${s.debounce ?? '{ after: 50ms, max: 500ms }'}
log: { level: ${s.logLevel ?? 'warn'} }
adapters:
${s.adapters.map((name) => `  - { name: ${name}, type: file, path: ${name}.yaml }`).join('\n')}
${s.extra ?? ''}`;
}

/** A services file with one service, `<name>.example`, on one instance. */
function writeServices(dir: string, name: string, address: string): void {
  fs.writeFileSync(
    path.join(dir, `${name}.yaml`),
    `services:
  - hostname: ${name}.example
    ports: [{ name: http, port: 80, protocol: http }]
    instances: [{ address: ${address}, port: 8080 }]
`,
  );
}

async function json<T>(url: string, init?: RequestInit): Promise<{ status: number; body: T }> {
  const response = await fetch(url, init);
  return { status: response.status, body: (await response.json()) as T };
}

interface RegistryView {
  version: string | null;
  adapters: { name: string; status: string; lastReportAt: string | null }[];
  services: { hostname: string; version: string }[];
}

interface LastReload {
  at: string;
  trigger: string;
  result: 'success' | 'failure';
  errors?: string[];
  changes?: Record<string, unknown>;
}

interface EffectiveConfig {
  file: string;
  config: Record<string, unknown> & { adapters: Record<string, unknown>[] };
  lastReload: LastReload | null;
}

const registry = async (admin: string) => (await json<RegistryView>(`${admin}/debug/registry`)).body;
const effective = async (admin: string) =>
  (await json<EffectiveConfig>(`${admin}/debug/effective-config`)).body;

async function sdsHosts(discovery: string, name: string): Promise<string[]> {
  const response = await fetch(`${discovery}/v1/registration/${name}.example|http`);
  if (!response.ok) return [];
  return ((await response.json()) as { hosts: { ip_address: string }[] }).hosts.map((h) => h.ip_address);
}

async function reloads(admin: string, result: 'success' | 'failure'): Promise<number> {
  const text = await (await fetch(`${admin}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`sextant_config_reloads_total{result="${result}"}`));
  return Number(line?.split(' ')[1] ?? NaN);
}

/** Sends SIGHUP and resolves with the reload it caused, as /debug/effective-config shows it. */
async function hangUp(d: DaemonProcess, admin = d.admin): Promise<LastReload> {
  const before = (await effective(admin)).lastReload?.at;
  d.child.kill('SIGHUP');
  let last: LastReload | null = null;
  await waitFor(
    async () => {
      last = (await effective(admin)).lastReload;
      return last !== null && last.at !== before;
    },
    { timeoutMs: 15_000, message: () => `no reload after SIGHUP:\n${d.output()}` },
  );
  return last as unknown as LastReload;
}

const ready = (d: DaemonProcess) =>
  waitFor(async () => (await fetch(`${d.admin}/readyz`)).ok, { timeoutMs: 15_000, message: 'never ready' });

describe('reloading sextant.yaml in a running daemon', () => {
  let daemon: DaemonProcess | undefined;
  let dir: string;
  let configFile: string;

  beforeEach(() => {
    dir = tempDir();
    configFile = path.join(dir, 'sextant.yaml');
  });

  afterEach(async () => {
    await daemon?.terminate();
    daemon = undefined;
  });

  it('adds and removes adapters on SIGHUP while the one kept keeps its state, and an open ADS stream gets the change', async () => {
    for (const [name, address] of [
      ['kept', '10.0.0.1'],
      ['leaving', '10.0.0.2'],
      ['joining', '10.0.0.3'],
    ] as const)
      writeServices(dir, name, address);
    const xds = `127.0.0.1:${await freePort()}`;
    const d = (daemon = await startDaemon(dir, config({ adapters: ['kept', 'leaving'], xds })));
    await ready(d);
    expect(await sdsHosts(d.discovery, 'leaving')).toEqual(['10.0.0.2']);
    const before = await registry(d.admin);
    const keptBefore = before.adapters.find((a) => a.name === 'kept');
    const keptVersion = before.services.find((s) => s.hostname === 'kept.example')?.version;
    expect(keptBefore?.lastReportAt).toEqual(expect.any(String));

    const protos = envoyProtos();
    const cluster = protos.root.lookupType('envoy.config.cluster.v3.Cluster');
    const stream = new RawGrpcStream(xds, ADS);
    try {
      const send = (fields: Record<string, unknown>) =>
        stream.send(protos.discoveryRequest.encode(protos.discoveryRequest.fromObject(fields)).finish());
      const responses = () =>
        stream.messages.map((bytes) => {
          const r = protos.discoveryResponse.decode(bytes) as unknown as {
            version_info: string;
            nonce: string;
            resources: { value: Uint8Array }[];
          };
          const names = r.resources.map((a) => (cluster.decode(a.value) as unknown as { name: string }).name);
          return { version: r.version_info, nonce: r.nonce, names };
        });
      send({ node: { id: 'reload-test' }, type_url: CLUSTER });
      await waitFor(() => responses().length === 1, { timeoutMs: 10_000, message: 'no CDS response' });
      const first = responses()[0];
      expect(first?.names).toEqual(expect.arrayContaining(['outbound|80||leaving.example']));
      send({ type_url: CLUSTER, version_info: first?.version, response_nonce: first?.nonce });

      fs.writeFileSync(configFile, config({ adapters: ['kept', 'joining'], xds }));
      const reload = await hangUp(d);
      expect(reload).toMatchObject({
        trigger: 'SIGHUP',
        result: 'success',
        changes: { adapters: { added: ['joining'], removed: ['leaving'], restarted: [] } },
      });

      await waitFor(async () => (await sdsHosts(d.discovery, 'joining')).length === 1, {
        timeoutMs: 10_000,
        message: 'the added adapter is not served',
      });
      await waitFor(async () => (await sdsHosts(d.discovery, 'leaving')).length === 0, {
        timeoutMs: 10_000,
        message: "the removed adapter's service is still served",
      });
      const after = await registry(d.admin);
      expect(after.adapters.map((a) => a.name)).toEqual(['kept', 'joining']);
      // Not restarted, not re-read: its last report and its service's version are those of before.
      expect(after.adapters.find((a) => a.name === 'kept')?.lastReportAt).toBe(keptBefore?.lastReportAt);
      expect(after.services.find((s) => s.hostname === 'kept.example')?.version).toBe(keptVersion);

      await waitFor(
        () => {
          const last = responses().at(-1);
          return (
            !!last?.names.includes('outbound|80||joining.example') &&
            !last.names.includes('outbound|80||leaving.example')
          );
        },
        {
          timeoutMs: 10_000,
          message: () => `the ADS stream did not get the change: ${JSON.stringify(responses())}`,
        },
      );
      // The same stream: still open.
      expect(stream.status).toBeUndefined();
    } finally {
      stream.close();
    }
  });

  it('refuses an invalid config on SIGHUP whole: the running one serves on, the errors are those validate prints, the failure is counted and shown', async () => {
    writeServices(dir, 'kept', '10.0.0.1');
    writeServices(dir, 'joining', '10.0.0.3');
    const d = (daemon = await startDaemon(dir, config({ adapters: ['kept'] })));
    await ready(d);
    const version = (await registry(d.admin)).version;
    expect(await reloads(d.admin, 'failure')).toBe(0);

    // A valid change (an adapter added) beside an invalid one: none of it is applied.
    fs.writeFileSync(
      configFile,
      config({ adapters: ['kept', 'joining'], debounce: '{ after: soon, max: 1s }' }),
    );
    const reload = await hangUp(d);
    expect(reload.result).toBe('failure');
    // validate sees the environment the daemon was started with.
    const validate = await runCli(['validate', '--config', configFile], {
      ...process.env,
      DISCOVERY: new URL(d.discovery).host,
      ADMIN: new URL(d.admin).host,
    });
    expect(validate.code).toBe(1);
    const printed = validate.stderr.split('\n').filter((line) => /^\S+:\d+:\d+: /.test(line));
    expect(printed.length).toBeGreaterThan(0);
    expect(reload.errors).toEqual(printed);
    expect(printed[0]).toMatch(/sextant\.yaml:\d+:\d+: debounce\.after: /);
    await waitFor(() => d.output().includes('configuration reload refused'), { message: 'no log line' });
    const logged = d
      .output()
      .split('\n')
      .filter((line) => line.includes('configuration reload refused'))
      .map((line) => JSON.parse(line) as { level: number; problems: string[] });
    expect(logged).toEqual([expect.objectContaining({ level: 50, problems: printed })]);

    expect(await reloads(d.admin, 'failure')).toBe(1);
    expect(await reloads(d.admin, 'success')).toBe(0);
    expect((await registry(d.admin)).adapters.map((a) => a.name)).toEqual(['kept']);
    expect(await sdsHosts(d.discovery, 'kept')).toEqual(['10.0.0.1']);
    expect(await sdsHosts(d.discovery, 'joining')).toEqual([]);
    expect((await registry(d.admin)).version).toBe(version);
    expect((await effective(d.admin)).config.debounce).toEqual({ after: '50ms', max: '500ms' });
  });

  it('answers POST /admin/reload with 400 and the errors, 200 and what changed, and applies debounce and log level', async () => {
    writeServices(dir, 'kept', '10.0.0.1');
    const d = (daemon = await startDaemon(dir, config({ adapters: ['kept'] })));
    await ready(d);
    const reload = () =>
      json<LastReload & { changed?: boolean }>(`${d.admin}/admin/reload`, { method: 'POST' });

    fs.writeFileSync(configFile, config({ adapters: ['kept'], extra: 'colour: blue' }));
    const refused = await reload();
    expect(refused.status).toBe(400);
    expect(refused.body.result).toBe('failure');
    expect(refused.body.errors).toEqual([expect.stringMatching(/sextant\.yaml:\d+:\d+: .*colour/)]);
    expect((await effective(d.admin)).lastReload).toMatchObject({
      result: 'failure',
      trigger: 'POST /admin/reload',
    });

    // Nothing changed: 200, nothing republished.
    fs.writeFileSync(configFile, config({ adapters: ['kept'] }));
    const version = (await registry(d.admin)).version;
    const same = await reload();
    expect(same.status).toBe(200);
    expect(same.body).toMatchObject({ result: 'success', changed: false });
    expect((await registry(d.admin)).version).toBe(version);

    // At warn, no info line is written.
    expect(d.output()).not.toContain('"level":30');
    fs.writeFileSync(
      configFile,
      config({ adapters: ['kept'], logLevel: 'info', debounce: '{ after: 2500ms, max: 2500ms }' }),
    );
    const applied = await reload();
    expect(applied.status).toBe(200);
    expect(applied.body).toMatchObject({
      result: 'success',
      changed: true,
      changes: { logLevel: true, debounce: true, rules: false, listeners: {} },
    });
    expect((await effective(d.admin)).config).toMatchObject({
      log: { level: 'info' },
      debounce: { after: '2500ms', max: '2500ms' },
    });

    writeServices(dir, 'kept', '10.0.0.9');
    await waitFor(() => d.output().includes('services file changed'), {
      timeoutMs: 10_000,
      message: () => `no info line after the level became info:\n${d.output()}`,
    });
    // Logged once the adapter has reported the change: publishing waits the debounce window from then.
    const reportedAt = (
      JSON.parse(
        d
          .output()
          .split('\n')
          .find((line) => line.includes('services file changed')) as string,
      ) as {
        time: number;
      }
    ).time;
    await waitFor(async () => (await sdsHosts(d.discovery, 'kept')).includes('10.0.0.9'), {
      timeoutMs: 15_000,
      intervalMs: 10,
      message: 'the change was never served',
    });
    // Held back by the new window (the old one was 50 ms).
    expect(Date.now() - reportedAt).toBeGreaterThanOrEqual(2000);
    expect(await reloads(d.admin, 'success')).toBe(2);
    expect(await reloads(d.admin, 'failure')).toBe(1);
  });

  it('applies new rules sources: rules of files no longer named go, those of files named now come', async () => {
    writeServices(dir, 'kept', '10.0.0.1');
    const rule = (name: string) => `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: ${name}, namespace: default }
spec: { host: kept.example, trafficPolicy: { loadBalancer: { simple: ROUND_ROBIN } } }
`;
    fs.writeFileSync(path.join(dir, 'old-rules.yaml'), rule('old'));
    fs.writeFileSync(path.join(dir, 'new-rules.yaml'), rule('new'));
    const d = (daemon = await startDaemon(
      dir,
      config({ adapters: ['kept'], extra: 'rules: [old-rules.yaml]' }),
    ));
    await ready(d);
    const rules = async () =>
      (
        await json<{ rules: { name: string; state: string; hosts: string[] }[] }>(`${d.admin}/debug/rules`)
      ).body.rules
        .filter((r) => r.state === 'applied' && r.hosts.includes('kept.example'))
        .map((r) => r.name);
    await waitFor(async () => (await rules()).join() === 'old', {
      timeoutMs: 10_000,
      message: 'old rule not applied',
    });

    fs.writeFileSync(configFile, config({ adapters: ['kept'], extra: 'rules: [new-rules.yaml]' }));
    const reload = await hangUp(d);
    expect(reload).toMatchObject({ result: 'success', changes: { rules: true } });
    await waitFor(async () => (await rules()).join() === 'new', {
      timeoutMs: 10_000,
      message: 'rules are not those of the new file',
    });
  });

  it('moves the admin and discovery listeners to new addresses, and refuses a move it cannot bind', async () => {
    writeServices(dir, 'kept', '10.0.0.1');
    const d = (daemon = await startDaemon(dir, config({ adapters: ['kept'] })));
    await ready(d);

    // The new admin address is taken: the reload fails and nothing moves, discovery neither.
    const taken = net.createServer();
    const takenPort = await new Promise<number>((resolve) =>
      taken.listen(0, '127.0.0.1', () => resolve((taken.address() as net.AddressInfo).port)),
    );
    const discoveryPort = await freePort();
    try {
      fs.writeFileSync(
        configFile,
        config({
          adapters: ['kept'],
          admin: `127.0.0.1:${takenPort}`,
          discovery: `127.0.0.1:${discoveryPort}`,
        }),
      );
      const refused = await json<LastReload>(`${d.admin}/admin/reload`, { method: 'POST' });
      expect(refused.status).toBe(400);
      expect(refused.body.errors).toEqual([
        expect.stringMatching(
          new RegExp(`listen\\.admin: cannot listen on 127\\.0\\.0\\.1:${takenPort}: .*EADDRINUSE`),
        ),
      ]);
    } finally {
      taken.close();
    }
    expect(await sdsHosts(d.discovery, 'kept')).toEqual(['10.0.0.1']);
    await expect(fetch(`http://127.0.0.1:${discoveryPort}/healthz`)).rejects.toThrow();

    const [admin, discovery] = [await freePort(), await freePort()];
    fs.writeFileSync(
      configFile,
      config({ adapters: ['kept'], admin: `127.0.0.1:${admin}`, discovery: `127.0.0.1:${discovery}` }),
    );
    const moved = await json<LastReload>(`${d.admin}/admin/reload`, { method: 'POST' });
    expect(moved.status).toBe(200);
    expect(moved.body.changes?.listeners).toEqual({
      discovery: `127.0.0.1:${discovery}`,
      admin: `127.0.0.1:${admin}`,
    });
    const newAdmin = `http://127.0.0.1:${admin}`;
    expect((await fetch(`${newAdmin}/healthz`)).ok).toBe(true);
    expect(await sdsHosts(`http://127.0.0.1:${discovery}`, 'kept')).toEqual(['10.0.0.1']);
    // The old addresses close once what was in flight there is answered.
    for (const old of [d.admin, d.discovery]) {
      await waitFor(async () => (await fetch(`${old}/healthz`).catch(() => undefined)) === undefined, {
        timeoutMs: 10_000,
        message: `${old} still answers`,
      });
    }
    // And a reload through the new admin address sees SIGHUP's results there.
    const reload = await hangUp(d, newAdmin);
    expect(reload).toMatchObject({ result: 'success', trigger: 'SIGHUP' });
  });

  it('moves the xDS listener: the new address serves, the old one stops accepting, a stream open there stays', async () => {
    writeServices(dir, 'kept', '10.0.0.1');
    const [oldXds, newXds] = [`127.0.0.1:${await freePort()}`, `127.0.0.1:${await freePort()}`];
    const d = (daemon = await startDaemon(dir, config({ adapters: ['kept'], xds: oldXds })));
    await ready(d);
    const protos = envoyProtos();
    const request = protos.discoveryRequest
      .encode(protos.discoveryRequest.fromObject({ node: { id: 'reload-test' }, type_url: CLUSTER }))
      .finish();
    const open = new RawGrpcStream(oldXds, ADS);
    const streams = [open];
    try {
      open.send(request);
      await waitFor(() => open.messages.length === 1, { timeoutMs: 10_000, message: 'no CDS response' });

      fs.writeFileSync(configFile, config({ adapters: ['kept'], xds: newXds }));
      const moved = await json<LastReload>(`${d.admin}/admin/reload`, { method: 'POST' });
      expect(moved.body.changes?.listeners).toEqual({ xds: newXds });

      const fresh = new RawGrpcStream(newXds, ADS);
      streams.push(fresh);
      fresh.send(request);
      await waitFor(() => fresh.messages.length === 1, {
        timeoutMs: 10_000,
        message: 'no CDS response on the new address',
      });
      const [host, port] = oldXds.split(':') as [string, string];
      const refused = await new Promise<boolean>((resolve) => {
        const socket = net.connect(Number(port), host);
        socket.once('connect', () => {
          socket.destroy();
          resolve(false);
        });
        socket.once('error', () => resolve(true));
      });
      expect(refused).toBe(true);
      expect(open.status).toBeUndefined();
      expect(
        (
          await json<{ clients: { status: string }[] }>(`${d.admin}/debug/proxies?node=reload-test`)
        ).body.clients.filter((c) => c.status === 'connected'),
      ).toHaveLength(2);
    } finally {
      for (const stream of streams) stream.close();
    }
  });

  it('shows the effective config with defaults and without credentials on /debug/effective-config', async () => {
    const token = 'e2e-consul-token-3f9a1c77';
    writeServices(dir, 'kept', '10.0.0.1');
    const yaml = `${config({ adapters: ['kept'] })}
  - name: consul
    type: consul
    address: http://127.0.0.1:1
    token: \${CONSUL_TOKEN}
`;
    const d = (daemon = await startDaemon(dir, yaml, [], { env: { ...process.env, CONSUL_TOKEN: token } }));
    const response = await fetch(`${d.admin}/debug/effective-config`);
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text).not.toContain(token);
    const view = JSON.parse(text) as EffectiveConfig;
    expect(view.file).toBe(path.resolve(configFile));
    expect(view.lastReload).toBeNull();
    expect(view.config.adapters).toEqual([
      expect.objectContaining({ name: 'kept', type: 'file', path: 'kept.yaml', pollInterval: '2s' }),
      expect.objectContaining({
        name: 'consul',
        type: 'consul',
        address: 'http://127.0.0.1:1',
        token: '<redacted>',
      }),
    ]);
    // Defaults filled in.
    expect(view.config).toMatchObject({ rules: [], limits: { renderCache: expect.any(String) } });
    expect(d.output()).not.toContain(token);
  });
});
