import {
  peerMtlsMode,
  Registry,
  type PeerAuthenticationRule,
  type RuleInput,
  type Snapshot,
} from '../../src';
import { parseAll, parseOne, untargeted, yaml } from './helpers';

function peer(namespace: string, name: string, spec: string[]): string {
  return yaml(
    'apiVersion: security.istio.io/v1',
    'kind: PeerAuthentication',
    `metadata: { name: ${name}, namespace: ${namespace} }`,
    'spec:',
    ...spec.map((line) => `  ${line}`),
  );
}

function rule(namespace: string, name: string, spec: string[]): PeerAuthenticationRule {
  const { rule: parsed, lines } = parseOne(peer(namespace, name, spec));
  expect(untargeted(lines)).toEqual([]);
  if (parsed.kind !== 'PeerAuthentication') throw new Error(`parsed a ${parsed.kind}`);
  return parsed;
}

describe('PeerAuthentication (security.istio.io)', () => {
  it('reads mode, selector and port-level modes, in v1 and v1beta1', () => {
    expect(
      rule('default', 'reviews', [
        'selector: { matchLabels: { app: reviews } }',
        'mtls: { mode: STRICT }',
        "portLevelMtls: { '9080': { mode: DISABLE }, '15000': { mode: UNSET } }",
      ]),
    ).toMatchObject({
      kind: 'PeerAuthentication',
      identity: { kind: 'PeerAuthentication', namespace: 'default', name: 'reviews' },
      selector: { app: 'reviews' },
      mode: 'STRICT',
      portLevel: [{ port: 9080, mode: 'DISABLE' }, { port: 15000 }],
    });
    const beta = parseOne(
      peer('default', 'x', ['mtls: { mode: PERMISSIVE }']).replace('/v1\n', '/v1beta1\n'),
    );
    expect(beta.rule).toMatchObject({ mode: 'PERMISSIVE' });
    // UNSET and an empty spec inherit: no mode in the model.
    expect(rule('default', 'unset', ['mtls: { mode: UNSET }']).mode).toBeUndefined();
  });

  it('refuses what Istio refuses, naming the PeerAuthentication and the field', () => {
    const lines = (spec: string[]) => untargeted(parseOne(peer('default', 'bad', spec)).lines);
    const all = [
      ...parseAllLines(peer('default', 'bad', ['mtls: { mode: REQUIRED }'])),
      ...parseAllLines(peer('default', 'bad', ["portLevelMtls: { '9080': { mode: STRICT } }"])),
      ...parseAllLines(
        peer('default', 'bad', [
          'selector: { matchLabels: { app: a } }',
          "portLevelMtls: { '0': { mode: STRICT } }",
        ]),
      ),
      ...parseAllLines(peer('default', 'bad', ['mtls: { mode: STRICT, extra: 1 }'])),
    ];
    expect(all).toEqual([
      expect.stringMatching(
        /PeerAuthentication default\/bad.*spec\.mtls\.mode.*"REQUIRED" is not a mTLS mode/,
      ),
      expect.stringMatching(/PeerAuthentication default\/bad.*spec\.portLevelMtls.*needs a selector/),
      expect.stringMatching(/spec\.portLevelMtls\["0"\].*"0" is not a port/),
      expect.stringMatching(/spec\.mtls\.extra.*unknown field/),
    ]);
    expect(lines(['mtls: { mode: STRICT }'])).toEqual([]);
    expect(
      parseAllLines(peer('default', 'x', []).replace('security.istio.io/v1', 'networking.istio.io/v1')),
    ).toEqual([
      expect.stringContaining(
        'PeerAuthentication is security.istio.io/v1, v1beta1, not "networking.istio.io/v1"',
      ),
    ]);
  });
});

function parseAllLines(text: string): string[] {
  return parseAll(text).lines;
}

describe('which mTLS mode a workload port gets', () => {
  const mesh = rule('istio-system', 'default', ['mtls: { mode: STRICT }']);
  const namespace = rule('legacy', 'default', ['mtls: { mode: PERMISSIVE }']);
  const workload = rule('legacy', 'db', [
    'selector: { matchLabels: { app: db } }',
    'mtls: { mode: DISABLE }',
    "portLevelMtls: { '5432': { mode: STRICT }, '8080': { mode: UNSET } }",
  ]);
  const unset = rule('other', 'default', ['mtls: { mode: UNSET }']);
  const all = [mesh, namespace, workload, unset].sort((a, b) =>
    `${a.identity.namespace}/${a.identity.name}` < `${b.identity.namespace}/${b.identity.name}` ? -1 : 1,
  );
  const mode = (
    ns: string | undefined,
    labels: Record<string, string>,
    port: number,
    root = 'istio-system',
  ) => peerMtlsMode(all, { ...(ns !== undefined && { namespace: ns }), labels }, port, root);

  it('takes the workload policy over the namespace policy over the mesh policy, port level first', () => {
    expect(mode('legacy', { app: 'db' }, 5432)).toBe('STRICT');
    expect(mode('legacy', { app: 'db' }, 8080)).toBe('DISABLE');
    expect(mode('legacy', { app: 'db' }, 9999)).toBe('DISABLE');
    expect(mode('legacy', { app: 'web' }, 5432)).toBe('PERMISSIVE');
    expect(mode('default', { app: 'db' }, 5432)).toBe('STRICT');
    // UNSET in a namespace inherits the mesh's.
    expect(mode('other', {}, 80)).toBe('STRICT');
    // A workload whose proxy names no namespace gets the mesh's.
    expect(mode(undefined, { app: 'db' }, 5432)).toBe('STRICT');
  });

  it('reads mesh-wide policy from the root namespace only, and says nothing when no PeerAuthentication does', () => {
    expect(mode('default', {}, 80, 'mesh-root')).toBeUndefined();
    expect(mode('legacy', {}, 80, 'mesh-root')).toBe('PERMISSIVE');
    expect(peerMtlsMode([], { namespace: 'default', labels: {} }, 80, 'istio-system')).toBeUndefined();
  });
});

describe('PeerAuthentication in the registry', () => {
  it('gives every host the PeerAuthentications in force, and a change re-publishes them', () => {
    const registry = new Registry({ adapters: ['a'], ruleSources: ['rules.yaml'] });
    const sink = registry.sink('a');
    for (const hostname of ['a.default.svc.cluster.local', 'b.default.svc.cluster.local']) {
      sink.upsertService({ hostname, ports: [{ name: 'http', port: 80, protocol: 'http' }] }, [
        { address: '10.0.0.1', port: 80, portName: 'http', labels: {} },
      ]);
    }
    sink.setStatus('ready');
    const current = () => registry.current() as Snapshot;
    const before = current();
    const input = (mode: string): RuleInput => ({
      apiVersion: 'security.istio.io/v1',
      kind: 'PeerAuthentication',
      metadata: { name: 'default', namespace: 'istio-system' },
      spec: { mtls: { mode } },
      location: { source: 'rules.yaml', at: [] },
    });
    const rules = registry.ruleSink('rules.yaml');
    rules.replace([input('STRICT')]);
    registry.flush();
    const strict = current();
    expect(strict.version).not.toBe(before.version);
    expect([...strict.changed].sort()).toEqual([
      'a.default.svc.cluster.local',
      'b.default.svc.cluster.local',
    ]);
    expect(strict.services.get('a.default.svc.cluster.local')?.policy?.peerAuthentications).toEqual([
      expect.objectContaining({ mode: 'STRICT' }),
    ]);
    rules.replace([]);
    registry.flush();
    expect(current().services.get('a.default.svc.cluster.local')?.policy).toBeUndefined();
    registry.close();
  });
});
