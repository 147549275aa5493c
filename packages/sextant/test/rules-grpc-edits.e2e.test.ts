import path from 'node:path';
import type { Client } from '@grpc/grpc-js';
import { waitFor } from '@sextant/testkit';
import {
  call,
  calls,
  documents,
  rulesView,
  servicesYaml,
  settledStream,
  startBackend,
  startRulesDaemon,
  tally,
  versionSubsets,
  virtualService,
  waitUntilServing,
  type Backend,
  type RulesDaemon,
} from './grpc-rules-harness';

/**
 * Editing rules files under a connected proxyless gRPC client (grpc-js-xds): a good edit moves
 * traffic promptly; a broken one (a YAML syntax error, a schema error) changes nothing the client
 * is served, and /debug/rules says what is wrong and where.
 */

const NODE_ID = 'rules-grpc-edits-e2e';
const FLIP = 'flip.e2e.local';
const STEADY = 'steady.e2e.local';
/** A host whose rules the tests change after a broken edit, to know the daemon has published since. */
const MARKER = 'marker.e2e.local';

/** The rules of `host`: its v1/v2 subsets and one route splitting traffic v1:v2 by these weights. */
function split(host: string, v1: number, v2: number): string {
  return documents(
    versionSubsets(host),
    virtualService(host, [
      '- route:',
      `  - { destination: { host: ${host}, subset: v1 }, weight: ${v1} }`,
      `  - { destination: { host: ${host}, subset: v2 }, weight: ${v2} }`,
    ]),
  );
}

/** Every RPC of `count` lands on `subset`: sequential calls, so a switch shows as a streak. */
async function settlesOn(client: Client, subset: string, count = 10): Promise<void> {
  let streak = 0;
  let last = '';
  await waitFor(
    async () => {
      const result = await call(client, { deadlineMs: 3000 });
      last = JSON.stringify(result);
      streak = result.ok && result.name === subset ? streak + 1 : 0;
      return streak >= count;
    },
    { timeoutMs: 15_000, intervalMs: 1, message: () => `RPCs to settle on ${subset} (last: ${last})` },
  );
}

describe('editing rules files under a proxyless gRPC client (grpc-js-xds)', () => {
  let mesh: RulesDaemon;
  const backends: Backend[] = [];
  const clients: Record<string, Client> = {};
  let markerSubset = 'v1';

  /** Moves the marker host to its other subset and waits until the client's RPCs land there. */
  async function flipMarker(): Promise<void> {
    markerSubset = markerSubset === 'v1' ? 'v2' : 'v1';
    mesh.writeRules('marker.yaml', markerSubset === 'v1' ? split(MARKER, 100, 0) : split(MARKER, 0, 100));
    await settlesOn(clients[MARKER] as Client, markerSubset);
  }

  beforeAll(async () => {
    backends.push(await startBackend('v1'), await startBackend('v2'));
    const [v1, v2] = backends as [Backend, Backend];
    const versions = [
      { backend: v1, labels: { version: 'v1' } },
      { backend: v2, labels: { version: 'v2' } },
    ];
    mesh = await startRulesDaemon(
      NODE_ID,
      servicesYaml([FLIP, STEADY, MARKER].map((hostname) => ({ hostname, instances: versions }))),
      {
        'flip.yaml': split(FLIP, 100, 0),
        'steady.yaml': split(STEADY, 100, 0),
        'marker.yaml': split(MARKER, 100, 0),
      },
      'info',
    );
    for (const host of [FLIP, STEADY, MARKER]) {
      const client = mesh.client(host);
      clients[host] = client;
      await waitUntilServing(client);
    }
  });

  afterAll(async () => {
    await mesh?.stop();
    await Promise.all(backends.map((b) => b.stop()));
  });

  it('moves traffic from v1 to v2 within 1 s of the daemon noticing a 100/0 → 0/100 edit', async () => {
    const client = clients[FLIP] as Client;
    expect(tally(await calls(client, 20))).toEqual({ v1: 20 });

    const writtenAt = Date.now();
    const file = mesh.writeRules('flip.yaml', split(FLIP, 0, 100));
    // Sequential RPCs from the write on; the first answered by v2 marks the switch.
    let movedAt: number | undefined;
    await waitFor(
      async () => {
        const result = await call(client, { deadlineMs: 3000 });
        if (result.ok && result.name === 'v2') movedAt = Date.now();
        return movedAt !== undefined;
      },
      { timeoutMs: 15_000, intervalMs: 1, message: 'an RPC to land on v2 after the edit' },
    );
    const noticedAt = await loadedAfter(mesh, file, writtenAt);
    const moved = (movedAt ?? Infinity) - writtenAt;
    const noticed = noticedAt - writtenAt;
    // fs.watch tells the daemon at once; the 2 s poll is the bound if a notification is lost.
    expect(noticed).toBeLessThanOrEqual(2000 + 500);
    // From the daemon reading the new file to the client routing by it: debounce, push, apply.
    expect(moved - noticed).toBeLessThanOrEqual(1000);
    expect(tally(await calls(client, 20))).toEqual({ v2: 20 });
  });

  it('keeps serving the rules in force when a rules file has a YAML syntax error, naming file:line:col', async () => {
    const client = clients[STEADY] as Client;
    expect(tally(await calls(client, 20))).toEqual({ v1: 20 });
    // Read leniently, this would send everything to v2.
    const broken = split(STEADY, 0, 100).replace(
      `subset: v2 }, weight: 100 }`,
      `subset: v2 }, weight: [100 }`,
    );
    const file = mesh.writeRules('steady.yaml', broken);
    const problem = await waitForProblem(mesh, (view) =>
      view.sources.find((s) => s.source === file)?.problems.map((p) => p.message),
    );
    const brokenLine = broken.split('\n').findIndex((line) => line.includes('[100 }')) + 1;
    expect(problem).toMatch(new RegExp(`^${escape(file)}:${brokenLine}:\\d+: `));
    await flipMarker();
    expect(tally(await calls(client, 50))).toEqual({ v1: 50 });
  });

  it('keeps the last valid version of a resource with a schema error (weight -5) in force, naming file:line:col', async () => {
    const client = clients[STEADY] as Client;
    const bad = split(STEADY, -5, 100);
    const file = mesh.writeRules('steady.yaml', bad);
    const weightLine = bad.split('\n').findIndex((line) => line.includes('weight: -5')) + 1;
    const problem = await waitForProblem(mesh, (view) =>
      view.rules
        .find((r) => r.source === file && r.rule === 'VirtualService default/steady' && r.state === 'stale')
        ?.errors.map((e) => e.message),
    );
    expect(problem).toMatch(
      new RegExp(`^${escape(file)}:${weightLine}:\\d+: spec\\.http\\[0\\]\\.route\\[0\\]\\.weight: `),
    );
    await flipMarker();
    expect(tally(await calls(client, 50))).toEqual({ v1: 50 });

    // Fixed, the file is applied again: the daemon kept watching it.
    mesh.writeRules('steady.yaml', split(STEADY, 0, 100));
    await settlesOn(client, 'v2');
    const view = await rulesView(mesh.daemon.admin);
    expect(view.rules.filter((r) => r.source === file).map((r) => [r.rule, r.state, r.errors])).toEqual([
      ['DestinationRule default/steady', 'applied', []],
      ['VirtualService default/steady', 'applied', []],
    ]);
    expect(view.sources.filter((s) => s.source === file)).toEqual([]);
  });

  it('accepts everything served through every edit: no NACK, every type ACKed at the version last sent', async () => {
    const stream = await settledStream(mesh.daemon.admin, NODE_ID);
    expect(Object.keys(stream.types).sort()).toEqual(['cds', 'eds', 'lds']);
    for (const [type, view] of Object.entries(stream.types)) {
      expect([type, view.lastNack]).toEqual([type, null]);
      expect([type, view.lastAcked?.version]).toEqual([type, view.lastSent?.version]);
    }
  });
});

/** When the daemon logged loading `file` (at or after `since`), from its JSON log lines. */
async function loadedAfter(mesh: RulesDaemon, file: string, since: number): Promise<number> {
  let at: number | undefined;
  await waitFor(
    () => {
      for (const line of mesh.daemon.output().split('\n')) {
        if (!line.startsWith('{')) continue;
        const entry = JSON.parse(line) as { msg?: string; file?: string; time?: number };
        if (entry.msg === 'rules file loaded' && entry.file === file && (entry.time ?? 0) >= since) {
          at = entry.time;
          return true;
        }
      }
      return false;
    },
    {
      timeoutMs: 5000,
      message: () => `the daemon to log loading ${path.basename(file)}:\n${mesh.daemon.output()}`,
    },
  );
  return at ?? Infinity;
}

/** Waits until /debug/rules shows an error `pick` finds, and returns its message. */
async function waitForProblem(
  mesh: RulesDaemon,
  pick: (view: Awaited<ReturnType<typeof rulesView>>) => readonly string[] | undefined,
): Promise<string> {
  let found: string | undefined;
  await waitFor(
    async () => {
      found = pick(await rulesView(mesh.daemon.admin))?.[0];
      return found !== undefined;
    },
    { timeoutMs: 10_000, message: 'the error to show on /debug/rules' },
  );
  return found ?? '';
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
