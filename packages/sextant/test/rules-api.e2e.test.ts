import fs from 'node:fs';
import path from 'node:path';
import { waitFor } from '@sextant/testkit';
import { startDaemon, tempDir, type DaemonProcess } from './daemon-process';

// The Rules API on the admin listener, against the built daemon writing to a rules directory.

const SERVICES = [
  'services:',
  '  - hostname: reviews.default.svc.cluster.local',
  '    ports: [{ name: http, port: 9080 }]',
  '    instances:',
  '      - { address: 10.0.0.1, labels: { version: v1 } }',
  '      - { address: 10.0.0.2, labels: { version: v2 } }',
  '',
].join('\n');

const SUBSETS = [
  'apiVersion: networking.istio.io/v1',
  'kind: DestinationRule',
  'metadata: { name: reviews }',
  'spec:',
  '  host: reviews',
  '  subsets:',
  '    - { name: v1, labels: { version: v1 } }',
  '    - { name: v2, labels: { version: v2 } }',
  '',
].join('\n');

function routeTo(subset: string): string {
  return JSON.stringify({
    apiVersion: 'networking.istio.io/v1',
    kind: 'VirtualService',
    metadata: { name: 'reviews' },
    spec: { hosts: ['reviews'], http: [{ route: [{ destination: { host: 'reviews', subset } }] }] },
  });
}

function config(store: string | undefined): string {
  return [
    'listen: { discovery: "${DISCOVERY}", admin: "${ADMIN}", xds: "127.0.0.1:0" }',
    'adapters:',
    '  - { type: file, path: services.yaml }',
    ...(store === undefined ? [] : [`rulesApi: { directory: ${JSON.stringify(store)} }`]),
    '',
  ].join('\n');
}

async function startWithStore(store: string | undefined): Promise<DaemonProcess> {
  const dir = tempDir();
  fs.writeFileSync(path.join(dir, 'services.yaml'), SERVICES);
  const daemon = await startDaemon(dir, config(store));
  // Until the first sync the API answers 503: rules are checked against the mesh.
  await waitFor(async () => (await fetch(`${daemon.admin}/readyz`)).ok, {
    timeoutMs: 30_000,
    message: 'the daemon never became ready',
  });
  return daemon;
}

interface Listed {
  kind: string;
  namespace: string;
  name: string;
  version: string;
  state: string;
}

async function listed(daemon: DaemonProcess): Promise<Listed[]> {
  const body = (await (await fetch(`${daemon.admin}/v1/rules`)).json()) as { rules: Listed[] };
  return body.rules;
}

const VS = '/v1/rules/VirtualService/default/reviews';
const DR = '/v1/rules/DestinationRule/default/reviews';

describe('the Rules API', () => {
  const daemons: DaemonProcess[] = [];
  afterAll(async () => {
    await Promise.all(daemons.map((d) => d.terminate()));
  });

  it('validates, writes through to its directory, reads back, refuses stale and bad writes, and deletes; a second replica sharing the directory serves the same versions', async () => {
    const store = path.join(tempDir(), 'rules.d');
    const first = await startWithStore(store);
    daemons.push(first);
    const send = (method: string, route: string, body?: string, headers: Record<string, string> = {}) =>
      fetch(`${first.admin}${route}`, {
        method,
        headers: { 'content-type': 'application/yaml', ...headers },
        body,
      });

    // A dry run names every problem, located, and stores nothing.
    const dryRun = await send('POST', '/v1/rules:validate', routeTo('v3'));
    expect(dryRun.status).toBe(200);
    const verdict = (await dryRun.json()) as { valid: boolean; errors: { message: string; code: string }[] };
    expect(verdict.valid).toBe(false);
    expect(verdict.errors.map((e) => e.code)).toContain('unknown-subset');
    expect(fs.existsSync(store)).toBe(false);

    // Writes: created (201), stored as a file of its own, then in force through the directory's watch.
    const created = await send('PUT', DR, SUBSETS);
    if (created.status !== 201) throw new Error(await created.text());
    expect(created.status).toBe(201);
    const drVersion = created.headers.get('etag');
    expect(drVersion).toMatch(/^"[0-9a-f]{16}"$/);
    expect(fs.readdirSync(store)).toEqual(['DestinationRule.default.reviews.yaml']);
    const v2 = await send('PUT', VS, routeTo('v2'));
    expect(v2.status).toBe(201);
    const vsVersion = v2.headers.get('etag') ?? '';
    await waitFor(async () => (await listed(first)).filter((r) => r.state === 'applied').length === 2, {
      timeoutMs: 10_000,
      message: 'the written rules never came into force',
    });

    // Read back with its version.
    const read = await send('GET', VS);
    expect(read.status).toBe(200);
    expect(read.headers.get('etag')).toBe(vsVersion);
    expect(await read.json()).toMatchObject({
      kind: 'VirtualService',
      metadata: { name: 'reviews', namespace: 'default' },
    });

    // A write that is wrong is refused whole, with every problem; what is stored stays.
    const bad = await send('PUT', VS, routeTo('v9'));
    expect(bad.status).toBe(400);
    const refused = (await bad.json()) as { stored: boolean; errors: { code: string; message: string }[] };
    expect(refused.stored).toBe(false);
    expect(refused.errors.map((e) => e.code)).toEqual(['unknown-subset']);
    expect((await send('GET', VS)).headers.get('etag')).toBe(vsVersion);

    // Optimistic concurrency: the version read, or 412.
    expect((await send('PUT', VS, routeTo('v1'), { 'if-match': drVersion ?? '' })).status).toBe(412);
    const updated = await send('PUT', VS, routeTo('v1'), { 'if-match': vsVersion });
    expect(updated.status).toBe(200);
    const v1Version = updated.headers.get('etag');
    expect(v1Version).not.toBe(vsVersion);
    expect((await send('PUT', VS, routeTo('v2'), { 'if-none-match': '*' })).status).toBe(412);
    expect((await send('PUT', VS, routeTo('v2'), { 'if-match': vsVersion })).status).toBe(412);
    // The path and the body must name the same rule.
    expect((await send('PUT', '/v1/rules/VirtualService/default/ratings', routeTo('v1'))).status).toBe(400);

    // A second replica reading the same directory serves the same rules at the same versions.
    const second = await startWithStore(store);
    daemons.push(second);
    const versions = async (daemon: DaemonProcess) =>
      (await listed(daemon)).map((r) => `${r.kind}/${r.namespace}/${r.name} ${r.version} ${r.state}`);
    await waitFor(async () => (await versions(first)).join() === (await versions(second)).join(), {
      timeoutMs: 10_000,
      message: 'the replicas never served the same rules at the same versions',
    });
    expect(await versions(second)).toContain(
      `VirtualService/default/reviews ${v1Version?.slice(1, -1)} applied`,
    );

    // Delete: gone from the store and, through the watch, from both replicas.
    expect((await send('DELETE', VS, undefined, { 'if-match': vsVersion })).status).toBe(412);
    expect((await send('DELETE', VS)).status).toBe(204);
    expect((await send('DELETE', VS)).status).toBe(404);
    for (const daemon of [first, second]) {
      await waitFor(async () => !(await listed(daemon)).some((r) => r.kind === 'VirtualService'), {
        timeoutMs: 10_000,
        message: 'the deleted rule stayed in force',
      });
    }
  }, 120_000);

  it('never writes outside its directory, and answers 405 to writes without a store', async () => {
    const store = path.join(tempDir(), 'rules.d');
    const daemon = await startWithStore(store);
    daemons.push(daemon);
    for (const route of ['/v1/rules/VirtualService/..%2F..%2Fetc/passwd', '/v1/rules/Secret/default/x']) {
      const response = await fetch(`${daemon.admin}${route}`, { method: 'DELETE' });
      expect(response.status).toBe(404);
    }
    const foreign = await fetch(`${daemon.admin}/v1/rules/VirtualService/..%2F..%2Fetc/passwd`, {
      method: 'PUT',
      body: routeTo('v1'),
    });
    expect(foreign.status).toBe(400);
    expect(fs.existsSync(store)).toBe(false);

    const readOnly = await startWithStore(undefined);
    daemons.push(readOnly);
    const refused = await fetch(`${readOnly.admin}${DR}`, { method: 'PUT', body: SUBSETS });
    expect(refused.status).toBe(405);
    expect(await refused.text()).toContain('rulesApi.directory');
    // Reading and validating need no store.
    expect((await fetch(`${readOnly.admin}/v1/rules`)).status).toBe(200);
    const dryRun = await fetch(`${readOnly.admin}/v1/rules:validate`, { method: 'POST', body: SUBSETS });
    expect(((await dryRun.json()) as { valid: boolean }).valid).toBe(true);
  }, 120_000);
});
