import path from 'node:path';
import { waitFor } from '@sextant/testkit';
import {
  FakeKubernetesApi,
  k8sEndpointSlice,
  k8sService,
  RULE_CRDS,
  type KubeObject,
} from '@sextant/testkit/kubernetes';
import { startDaemon, tempDir, untilReady, type DaemonProcess } from './daemon-process';
import { startGrpcBackend, type GrpcBackend } from './grpc-backend';
import { GRPC_PORT, tally } from './grpc-rules-harness';
import { XdsClientProcess } from './xds-client-process';

/**
 * Traffic rules stored in Kubernetes as custom resources, end to end: the built daemon with a
 * `kubernetes` adapter on the fake API server, and the real proxyless client (grpc-js-xds, in a
 * child process) dialling `reviews`. A VirtualService created, changed and deleted in the cluster
 * moves the client's traffic; an invalid one keeps the last good version in force; the Rules API
 * writes through to the cluster, and a second daemon reading the same cluster serves the same
 * rule at the same version.
 */

const NODE_ID = 'kubernetes-rules-e2e';
const TOKEN = 'e2e-token';
const HOST = (name: string) => `${name}.default.svc.cluster.local`;
const REVIEWS = HOST('reviews');
const target = `${REVIEWS}:${GRPC_PORT}`;

/** A Service `name` on the gRPC port, whose one endpoint is `backend` (on 127.0.0.1). */
function serviceOf(name: string, backend: GrpcBackend): KubeObject[] {
  return [
    k8sService({ name, ports: [{ name: 'grpc', port: GRPC_PORT, targetPort: backend.port }] }),
    k8sEndpointSlice({
      name: `${name}-x7k2p`,
      service: name,
      endpoints: [{ address: '127.0.0.1' }],
      ports: [{ name: 'grpc', port: backend.port }],
    }),
  ];
}

/** A VirtualService sending every request for reviews to the Service `to`, with this weight. */
function routeTo(to: string, weight = 100): KubeObject {
  return {
    apiVersion: 'networking.istio.io/v1',
    kind: 'VirtualService',
    metadata: { name: 'reviews', namespace: 'default' },
    spec: { hosts: [REVIEWS], http: [{ route: [{ destination: { host: HOST(to) }, weight }] }] },
  };
}

function config(): string {
  return [
    'listen:',
    '  discovery: ${DISCOVERY}',
    '  admin: ${ADMIN}',
    '  xds: ${XDS}',
    'debounce: { after: 50ms, max: 300ms }',
    'log: { level: warn }',
    'rulesApi: { adapter: cluster }',
    'adapters:',
    '  - { name: cluster, type: kubernetes, kubeconfig: kubeconfig }',
    '',
  ].join('\n');
}

interface RulesList {
  readonly rules: readonly {
    kind: string;
    namespace: string;
    name: string;
    version: string;
    source: string;
  }[];
}

interface DebugRules {
  readonly rules: readonly {
    rule: string;
    source: string;
    state: string;
    errors: readonly { message: string }[];
  }[];
}

describe('traffic rules from Kubernetes custom resources, under a proxyless gRPC client', () => {
  let fake: FakeKubernetesApi;
  const backends: GrpcBackend[] = [];
  const daemons: DaemonProcess[] = [];
  let client: XdsClientProcess | undefined;

  async function startReplica(): Promise<{ daemon: DaemonProcess; xdsPort: number }> {
    // A directory each: a replica of its own, on another machine as far as it can tell.
    const dir = tempDir();
    fake.writeKubeconfig(path.join(dir, 'kubeconfig'), { token: TOKEN });
    const daemon = await startDaemon(dir, config());
    daemons.push(daemon);
    await untilReady(daemon, 30_000);
    return { daemon, xdsPort: daemon.xdsPort };
  }

  /** Makes the change, and measures how long until RPCs land on `backend`. */
  async function moveTo(backend: string, change: () => void): Promise<number> {
    const moving = (client as XdsClientProcess).callUntil(target, backend, {
      maxMs: 15_000,
      deadlineMs: 3000,
    });
    const changedAt = Date.now();
    change();
    const { landed, results } = await moving;
    expect([landed?.ok && landed.response, results.at(-1)?.ok]).toEqual([backend, true]);
    return (landed?.at ?? Infinity) - changedAt;
  }

  const allOn = async (backend: string) =>
    expect(
      tally(await (client as XdsClientProcess).batch(target, { count: 30, deadlineMs: 10_000 })),
    ).toEqual({
      [backend]: 30,
    });

  /** Waits until RPCs land on `backend` only: a change made elsewhere has reached the client. */
  async function settleOn(backend: string): Promise<void> {
    let last: Record<string, number> = {};
    await waitFor(
      async () => {
        last = tally(
          await (client as XdsClientProcess).batch(target, { count: 10, concurrency: 1, deadlineMs: 3000 }),
        );
        return last[backend] === 10;
      },
      { timeoutMs: 20_000, message: () => `every RPC to reach ${backend} (last: ${JSON.stringify(last)})` },
    );
  }

  let setup: Promise<void> | undefined;
  let first: { daemon: DaemonProcess; xdsPort: number };

  beforeAll(() => {
    setup = (async () => {
      fake = await FakeKubernetesApi.start({ tokens: [TOKEN] });
      for (const crd of [RULE_CRDS.virtualServices, RULE_CRDS.destinationRules, RULE_CRDS.serviceEntries])
        fake.installCrd(crd);
      backends.push(await startGrpcBackend('v1'), await startGrpcBackend('v2'), await startGrpcBackend('v3'));
      const [v1, v2, v3] = backends as [GrpcBackend, GrpcBackend, GrpcBackend];
      for (const object of [
        ...serviceOf('reviews', v1),
        ...serviceOf('reviews-v2', v2),
        ...serviceOf('reviews-v3', v3),
      ])
        fake.put(object);
      first = await startReplica();
      client = XdsClientProcess.start({ xdsServer: `127.0.0.1:${first.xdsPort}`, nodeId: NODE_ID });
      // Without a VirtualService, reviews is its own one endpoint.
      await waitFor(async () => (await (client as XdsClientProcess).call(target, { deadlineMs: 3000 })).ok, {
        timeoutMs: 20_000,
        message: 'an RPC to reviews to succeed',
      });
    })();
    return setup;
  }, 90_000);

  afterAll(async () => {
    await setup?.catch(() => undefined);
    await client?.close();
    for (const daemon of daemons) await daemon.terminate();
    await Promise.all(backends.map((b) => b.stop()));
    await fake?.close();
  }, 60_000);

  it('moves traffic within 1 s of a VirtualService being created, changed and deleted in the cluster', async () => {
    await settleOn('v1');
    const created = await moveTo('v2', () => fake.put(routeTo('reviews-v2')));
    await allOn('v2');
    const changed = await moveTo('v3', () => fake.put(routeTo('reviews-v3')));
    await allOn('v3');
    const deleted = await moveTo('v1', () => fake.remove('VirtualService', 'default', 'reviews'));
    await allOn('v1');
    console.log(
      `kubernetes VirtualService to client traffic: created ${created} ms, changed ${changed} ms, deleted ${deleted} ms`,
    );
    expect(created).toBeLessThanOrEqual(1000);
    expect(changed).toBeLessThanOrEqual(1000);
    expect(deleted).toBeLessThanOrEqual(1000);
  }, 90_000);

  it('keeps the last good version of an invalid VirtualService in force, naming it and the field on /debug/rules', async () => {
    await moveTo('v3', () => fake.put(routeTo('reviews-v3')));
    fake.put(routeTo('reviews-v2', -5));
    let view: DebugRules | undefined;
    let rule: DebugRules['rules'][number] | undefined;
    await waitFor(
      async () => {
        view = (await (await fetch(`${first.daemon.admin}/debug/rules`)).json()) as DebugRules;
        rule = view.rules.find((r) => r.rule === 'VirtualService default/reviews' && r.state === 'stale');
        return rule !== undefined;
      },
      { timeoutMs: 15_000, message: () => `the stale rule on /debug/rules: ${JSON.stringify(view)}` },
    );
    expect(rule?.source).toBe('adapter cluster');
    expect(rule?.errors.map((e) => e.message)).toEqual([
      expect.stringMatching(
        /^kubernetes:VirtualService default\/reviews: spec\.http\[0\]\.route\[0\]\.weight: must be between 0 and/,
      ),
    ]);
    await allOn('v3');
    // Fixed in the cluster, it applies again.
    await moveTo('v2', () => fake.put(routeTo('reviews-v2')));
    await moveTo('v1', () => fake.remove('VirtualService', 'default', 'reviews'));
  }, 90_000);

  it('writes through the Rules API to the cluster; a second daemon on the same cluster serves the same rule at the same version', async () => {
    const body = JSON.stringify(routeTo('reviews-v3'));
    const written = await fetch(`${first.daemon.admin}/v1/rules/VirtualService/default/reviews`, {
      method: 'PUT',
      body,
      headers: { 'Content-Type': 'application/json' },
    });
    const answer = (await written.json()) as { version: string; store: string };
    expect([written.status, answer.store]).toEqual([201, 'the rule store of adapter "cluster"']);
    // It is in the cluster, as a custom resource, and the client follows it.
    expect(fake.get('VirtualService', 'default', 'reviews')?.spec).toEqual(routeTo('reviews-v3').spec);
    await settleOn('v3');

    const second = await startReplica();
    const versionsOn = async (daemon: DaemonProcess) =>
      ((await (await fetch(`${daemon.admin}/v1/rules?kind=VirtualService`)).json()) as RulesList).rules.map(
        (r) => `${r.kind} ${r.namespace}/${r.name} ${r.version} ${r.source}`,
      );
    const expected = [`VirtualService default/reviews ${answer.version} adapter cluster`];
    let onSecond: string[] = [];
    await waitFor(
      async () => {
        onSecond = await versionsOn(second.daemon);
        return JSON.stringify(onSecond) === JSON.stringify(expected);
      },
      {
        timeoutMs: 20_000,
        message: () => `the second daemon to serve the rule: ${JSON.stringify(onSecond)}`,
      },
    );
    expect(await versionsOn(first.daemon)).toEqual(expected);

    // A delete through the second daemon reaches the first (and the client) through the cluster.
    const deleted = await fetch(`${second.daemon.admin}/v1/rules/VirtualService/default/reviews`, {
      method: 'DELETE',
      headers: { 'If-Match': `"${answer.version}"` },
    });
    expect(deleted.status).toBe(204);
    expect(fake.get('VirtualService', 'default', 'reviews')).toBeUndefined();
    await waitFor(async () => (await versionsOn(first.daemon)).length === 0, { timeoutMs: 15_000 });
    await settleOn('v1');
  }, 120_000);
});
