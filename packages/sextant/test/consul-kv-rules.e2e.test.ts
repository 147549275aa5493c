import { freePort, waitFor } from '@sextant/testkit';
import { FakeConsul } from '@sextant/testkit/consul';
import { startDaemon, tempDir, untilReady, type DaemonProcess } from './daemon-process';
import { startGrpcBackend, type GrpcBackend } from './grpc-backend';
import { rulesView, tally, type RulesMesh } from './grpc-rules-harness';
import { XdsClientProcess } from './xds-client-process';

/**
 * Traffic rules stored in Consul KV (rules.kvPrefix) under a connected proxyless gRPC client
 * (grpc-js-xds): a VirtualService created, changed and deleted in KV moves the client's traffic;
 * a broken value keeps the last good version and shows on /debug/rules as consul-kv:<key>; the
 * Rules API writes through to KV, where a second daemon reads the same rule at the same version.
 */

const NODE_ID = 'consul-kv-rules-e2e';
const PREFIX = 'sextant/rules/';
const HOST = 'flip.service.dc1.consul';
const VS_KEY = `${PREFIX}default/VirtualService/flip`;
const DR_KEY = `${PREFIX}default/DestinationRule/flip`;

const SUBSETS = [
  'apiVersion: networking.istio.io/v1',
  'kind: DestinationRule',
  'metadata: { name: flip }',
  'spec:',
  `  host: ${HOST}`,
  '  subsets:',
  '  - { name: v1, labels: { version: v1 } }',
  '  - { name: v2, labels: { version: v2 } }',
  '',
].join('\n');

function routeTo(subset: string): string {
  return [
    'apiVersion: networking.istio.io/v1',
    'kind: VirtualService',
    'metadata: { name: flip }',
    'spec:',
    `  hosts: [${HOST}]`,
    '  http:',
    `  - route: [{ destination: { host: ${HOST}, subset: ${subset} } }]`,
    '',
  ].join('\n');
}

function daemonConfig(consul: FakeConsul, xdsPort: number): string {
  return [
    'listen:',
    '  discovery: ${DISCOVERY}',
    '  admin: ${ADMIN}',
    `  xds: 127.0.0.1:${xdsPort}`,
    'debounce: { after: 50ms, max: 300ms }',
    'log: { level: warn }',
    'rulesApi: { adapter: consul }',
    'adapters:',
    '  - name: consul',
    '    type: consul',
    `    address: ${consul.url}`,
    '    wait: 30s',
    `    rules: { kvPrefix: ${PREFIX} }`,
    '',
  ].join('\n');
}

async function startReadyDaemon(consul: FakeConsul, xdsPort: number): Promise<DaemonProcess> {
  const daemon = await startDaemon(tempDir(), daemonConfig(consul, xdsPort));
  await untilReady(daemon, 30_000);
  return daemon;
}

describe('traffic rules in Consul KV under a proxyless gRPC client (grpc-js-xds)', () => {
  let consul: FakeConsul;
  const backends: GrpcBackend[] = [];
  const daemons: DaemonProcess[] = [];
  let client: XdsClientProcess | undefined;
  let mesh: RulesMesh;
  let target = '';
  let setup: Promise<void> | undefined;

  /** Sequential batches until every RPC of one reaches `backend`; ms from `since` to the end of that batch. */
  async function allReach(backend: string, since: number): Promise<number> {
    let last: Record<string, number> = {};
    let at = 0;
    await waitFor(
      async () => {
        last = tally(await mesh.client.batch(target, { count: 10, concurrency: 1, deadlineMs: 3000 }));
        at = Date.now();
        return last[backend] === 10;
      },
      { timeoutMs: 20_000, message: () => `every RPC to reach ${backend} (last: ${JSON.stringify(last)})` },
    );
    return at - since;
  }

  /** The first RPC answered by `backend` after a change made at `since`, in ms. */
  async function landsOn(backend: string, since: number): Promise<number> {
    const { landed } = await mesh.client.callUntil(target, backend, { maxMs: 15_000, deadlineMs: 3000 });
    if (!landed) throw new Error(`no RPC reached ${backend} within 15 s`);
    return landed.at - since;
  }

  beforeAll(() => {
    setup = (async () => {
      consul = await FakeConsul.start();
      backends.push(await startGrpcBackend('v1'), await startGrpcBackend('v2'));
      for (const backend of backends) {
        consul.addInstance({
          service: 'flip',
          address: '127.0.0.1',
          port: backend.port,
          meta: { version: backend.name, protocol: 'grpc' },
        });
      }
      // Consul services take the most common port of their instances, the lowest on a tie.
      target = `${HOST}:${Math.min(...backends.map((b) => b.port))}`;
      consul.putKv(DR_KEY, SUBSETS);
      const xdsPort = await freePort();
      const daemon = await startReadyDaemon(consul, xdsPort);
      daemons.push(daemon);
      client = XdsClientProcess.start({ xdsServer: `127.0.0.1:${xdsPort}`, nodeId: NODE_ID });
      mesh = {
        daemon,
        nodeId: NODE_ID,
        client,
        replaceRules: () => {
          throw new Error('rules live in Consul KV here');
        },
        stop: async () => undefined,
      };
      // No VirtualService yet: the default route, round robin over both.
      await waitFor(
        async () => {
          const counts = tally(await client!.batch(target, { count: 10, concurrency: 1, deadlineMs: 3000 }));
          return counts.v1 === 5 && counts.v2 === 5;
        },
        { timeoutMs: 30_000, message: 'the client to be served both backends' },
      );
    })();
    return setup;
  }, 90_000);

  afterAll(async () => {
    await setup?.catch(() => undefined);
    await client?.close();
    await Promise.all(daemons.map((d) => (d.child.exitCode === null ? d.terminate() : undefined)));
    await Promise.all(backends.map((b) => b.stop()));
    await consul?.close();
  }, 60_000);

  it('moves the client’s traffic within 1 s of a VirtualService created, changed and deleted in KV', async () => {
    let at = Date.now();
    consul.putKv(VS_KEY, routeTo('v1'));
    const created = await allReach('v1', at);

    at = Date.now();
    consul.putKv(VS_KEY, routeTo('v2'));
    const changed = await landsOn('v2', at);
    expect(tally(await mesh.client.batch(target, { count: 20, deadlineMs: 10_000 }))).toEqual({ v2: 20 });

    at = Date.now();
    consul.deleteKv(VS_KEY);
    const deleted = await landsOn('v1', at);

    console.log(
      `consul-kv e2e: created → traffic moved in ${created} ms (upper bound, batches of 10); changed ${changed} ms; deleted ${deleted} ms`,
    );
    // The target is 1 s; the bound allows for a loaded machine running every suite at once.
    for (const ms of [created, changed, deleted]) expect(ms).toBeLessThanOrEqual(3000);
  }, 90_000);

  it('keeps the last good version when a key stops parsing, naming consul-kv:<key> on /debug/rules', async () => {
    consul.putKv(VS_KEY, routeTo('v2'));
    await allReach('v2', Date.now());
    // Read leniently, this would send everything to v1.
    consul.putKv(VS_KEY, routeTo('v1').replace('subset: v1 }', 'subset: [v1 }'));
    let problem: string | undefined;
    await waitFor(
      async () => {
        const view = await rulesView(mesh);
        problem = view.sources
          .flatMap((s) => s.problems.map((p) => p.message))
          .find((m) => m.includes(VS_KEY));
        return problem !== undefined;
      },
      { timeoutMs: 15_000, message: 'the broken key to show on /debug/rules' },
    );
    expect(problem).toMatch(new RegExp(`^consul-kv:${VS_KEY}:\\d+:\\d+: `));
    // A change to another key since proves the daemon has re-read KV; the broken key's last good version stays.
    consul.putKv(DR_KEY, SUBSETS.replace('metadata: { name: flip }', 'metadata: { name: flip }\n# touched'));
    expect(tally(await mesh.client.batch(target, { count: 20, deadlineMs: 10_000 }))).toEqual({ v2: 20 });
    // An invalid resource (a negative weight) is held back the same way, with the error shown.
    consul.putKv(VS_KEY, routeTo('v1').replace('subset: v1 } }', 'subset: v1 }, weight: -5 }'));
    let stale: string | undefined;
    await waitFor(
      async () => {
        const rule = (await rulesView(mesh)).rules.find(
          (r) => r.rule === 'VirtualService default/flip' && r.state === 'stale',
        );
        stale = rule?.errors[0]?.message;
        return stale !== undefined;
      },
      { timeoutMs: 15_000, message: 'the invalid version to show as stale' },
    );
    expect(stale).toMatch(new RegExp(`^consul-kv:${VS_KEY}: spec\\.http\\[0\\]\\.route\\[0\\]\\.weight: `));
    expect(tally(await mesh.client.batch(target, { count: 20, deadlineMs: 10_000 }))).toEqual({ v2: 20 });
    consul.putKv(VS_KEY, routeTo('v1'));
    await allReach('v1', Date.now());
    expect((await rulesView(mesh)).sources.flatMap((s) => s.problems)).toEqual([]);
  }, 90_000);

  it('writes through the Rules API to KV, and a second daemon on the same Consul serves the same rule at the same version', async () => {
    const first = mesh.daemon;
    const put = await fetch(`${first.admin}/v1/rules/VirtualService/default/flip`, {
      method: 'PUT',
      headers: { 'content-type': 'application/yaml' },
      body: routeTo('v2'),
    });
    if (put.status !== 200 && put.status !== 201) throw new Error(`${put.status}: ${await put.text()}`);
    const version = put.headers.get('etag');
    expect(version).toMatch(/^"[0-9a-f]{16}"$/);
    expect(JSON.parse(consul.kvValue(VS_KEY) ?? '')).toMatchObject({
      kind: 'VirtualService',
      metadata: { name: 'flip', namespace: 'default' },
    });
    await allReach('v2', Date.now());

    const second = await startReadyDaemon(consul, await freePort());
    daemons.push(second);
    const read = await fetch(`${second.admin}/v1/rules/VirtualService/default/flip`);
    expect(read.status).toBe(200);
    expect(read.headers.get('etag')).toBe(version);

    // And the other way: a delete through the second daemon reaches the first's client.
    const at = Date.now();
    const deleted = await fetch(`${second.admin}/v1/rules/VirtualService/default/flip`, {
      method: 'DELETE',
      headers: { 'if-match': version ?? '' },
    });
    expect(deleted.status).toBe(204);
    expect(consul.kvValue(VS_KEY)).toBeUndefined();
    await landsOn('v1', at);
  }, 90_000);
});
