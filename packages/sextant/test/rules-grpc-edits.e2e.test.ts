import { waitFor } from '@sextant/testkit';
import { startGrpcBackend, type GrpcBackend } from './grpc-backend';
import {
  GRPC_PORT,
  rulesView,
  servicesYaml,
  settledStream,
  split,
  startRulesMesh,
  tally,
  waitUntilAllReach,
  type RulesMesh,
  type RulesView,
} from './grpc-rules-harness';

/**
 * Editing rules files under a connected proxyless gRPC client (grpc-js-xds): a good edit moves
 * traffic within a second; a broken one (a YAML syntax error, an invalid resource) changes
 * nothing the client is served, and /debug/rules says what is wrong and where.
 */

const NODE_ID = 'rules-grpc-edits-e2e';
const FLIP = 'flip.e2e.local';
const STEADY = 'steady.e2e.local';
/** A host whose rules the tests change after a broken edit, to know the client has been served since. */
const MARKER = 'marker.e2e.local';

const target = (host: string) => `${host}:${GRPC_PORT}`;

describe('editing rules files under a proxyless gRPC client (grpc-js-xds)', () => {
  let mesh: RulesMesh;
  const backends: GrpcBackend[] = [];
  let markerSubset = 'v1';

  /**
   * Moves the marker host to its other subset and waits until RPCs land there: the daemon has
   * read the rules files and the client has applied what it was served after that.
   */
  async function flipMarker(): Promise<void> {
    markerSubset = markerSubset === 'v1' ? 'v2' : 'v1';
    mesh.replaceRules('marker.yaml', markerSubset === 'v1' ? split(MARKER, 100, 0) : split(MARKER, 0, 100));
    await waitUntilAllReach(mesh, MARKER, markerSubset);
  }

  /** Waits until /debug/rules shows an error `pick` finds, and returns its message. */
  async function waitForProblem(pick: (view: RulesView) => readonly string[] | undefined): Promise<string> {
    let found: string | undefined;
    let view: RulesView | undefined;
    await waitFor(
      async () => {
        view = await rulesView(mesh);
        found = pick(view)?.[0];
        return found !== undefined;
      },
      { timeoutMs: 15_000, message: () => `the error to show on /debug/rules: ${JSON.stringify(view)}` },
    );
    return found ?? '';
  }

  /**
   * The setup, awaited before cleaning up: a beforeAll that runs out of time on a loaded machine
   * leaves it running, and what it starts afterwards would otherwise outlive the tests.
   */
  let setup: Promise<void> | undefined;

  beforeAll(() => {
    setup = (async () => {
      backends.push(await startGrpcBackend('v1'), await startGrpcBackend('v2'));
      const [v1, v2] = backends as [GrpcBackend, GrpcBackend];
      const versions = [
        { backend: v1, labels: { version: 'v1' } },
        { backend: v2, labels: { version: 'v2' } },
      ];
      mesh = await startRulesMesh(
        NODE_ID,
        servicesYaml([FLIP, STEADY, MARKER].map((hostname) => ({ hostname, instances: versions }))),
        {
          'flip.yaml': split(FLIP, 100, 0),
          'steady.yaml': split(STEADY, 100, 0),
          'marker.yaml': split(MARKER, 100, 0),
        },
      );
      for (const host of [FLIP, STEADY, MARKER]) await waitUntilAllReach(mesh, host, 'v1');
    })();
    return setup;
  }, 60_000);

  afterAll(async () => {
    await setup?.catch(() => undefined);
    await mesh?.stop();
    await Promise.all(backends.map((b) => b.stop()));
  }, 60_000);

  it('moves traffic from v1 to v2 within 1 s of renaming a 0/100 version over the 100/0 rules file', async () => {
    // RPCs one after another from before the rename on: the first answered by v2 marks the move.
    const moving = mesh.client.callUntil(target(FLIP), 'v2', { maxMs: 15_000, deadlineMs: 3000 });
    const { renamedAt } = mesh.replaceRules('flip.yaml', split(FLIP, 0, 100));
    const { landed, results } = await moving;
    expect([landed?.at, results.at(-1)]).toEqual([expect.any(Number), expect.anything()]);
    expect((landed?.at ?? Infinity) - renamedAt).toBeLessThanOrEqual(1000);
    expect(tally(await mesh.client.batch(target(FLIP), { count: 50, deadlineMs: 10_000 }))).toEqual({
      v2: 50,
    });
  }, 60_000);

  it('keeps serving the rules in force when a rules file has a YAML syntax error, naming file:line:col on /debug/rules', async () => {
    // Read leniently, this would send everything to v2.
    const broken = split(STEADY, 0, 100).replace(
      'subset: v2 }, weight: 100 }',
      'subset: v2 }, weight: [100 }',
    );
    const { file } = mesh.replaceRules('steady.yaml', broken);
    const problem = await waitForProblem((view) =>
      view.sources.find((s) => s.source === file)?.problems.map((p) => p.message),
    );
    const brokenLine = broken.split('\n').findIndex((line) => line.includes('[100 }')) + 1;
    expect(problem).toMatch(new RegExp(`^${escape(file)}:${brokenLine}:\\d+: `));
    await flipMarker();
    expect(tally(await mesh.client.batch(target(STEADY), { count: 50, deadlineMs: 10_000 }))).toEqual({
      v1: 50,
    });
  }, 60_000);

  it('keeps the last valid version of a resource with a schema error (weight -5) in force, naming file:line:col on /debug/rules', async () => {
    const bad = split(STEADY, -5, 100);
    const { file } = mesh.replaceRules('steady.yaml', bad);
    const weightLine = bad.split('\n').findIndex((line) => line.includes('weight: -5')) + 1;
    const problem = await waitForProblem((view) =>
      view.rules
        .find((r) => r.source === file && r.rule === 'VirtualService default/steady' && r.state === 'stale')
        ?.errors.map((e) => e.message),
    );
    expect(problem).toMatch(
      new RegExp(`^${escape(file)}:${weightLine}:\\d+: spec\\.http\\[0\\]\\.route\\[0\\]\\.weight: `),
    );
    await flipMarker();
    expect(tally(await mesh.client.batch(target(STEADY), { count: 50, deadlineMs: 10_000 }))).toEqual({
      v1: 50,
    });

    // Fixed, the file is applied again: the daemon kept watching it.
    mesh.replaceRules('steady.yaml', split(STEADY, 0, 100));
    await waitUntilAllReach(mesh, STEADY, 'v2');
    const view = await rulesView(mesh);
    expect(view.rules.filter((r) => r.source === file).map((r) => [r.rule, r.state, r.errors])).toEqual([
      ['DestinationRule default/steady', 'applied', []],
      ['VirtualService default/steady', 'applied', []],
    ]);
    expect(view.sources.filter((s) => s.source === file)).toEqual([]);
  }, 60_000);

  it('accepts everything served through every edit: no NACK, every type ACKed at the version last sent', async () => {
    const stream = await settledStream(mesh);
    expect(Object.keys(stream.types).sort()).toEqual(['cds', 'eds', 'lds']);
    for (const [type, view] of Object.entries(stream.types)) {
      expect([type, view.lastNack]).toEqual([type, null]);
      expect([type, view.lastAcked?.version]).toEqual([type, view.lastSent?.version]);
    }
  }, 60_000);
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
