import { spawn, type ChildProcess } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ServerCredentials } from '@grpc/grpc-js';
import { createTestCa, freePort, waitFor } from '@sextant/testkit';
import { runCli, sextantCommand, startDaemon, tempDir, type DaemonProcess } from './daemon-process';
import { startGrpcBackend, type GrpcBackend } from './grpc-backend';
import { XdsClientProcess, type RpcResult } from './xds-client-process';

/**
 * The VM walk-through of docs/security.md end to end, with the product's own commands only: a
 * daemon with a CA, `sextant token create` and `sextant agent` for two workloads, and then
 * reviews (a proxyless grpc-js-xds client, its bootstrap from `sextant bootstrap --format grpc
 * --mtls`) calling ratings (a gRPC server on the files ratings' agent wrote, requiring client
 * certificates) over mTLS, once a DestinationRule says ISTIO_MUTUAL.
 *
 * grpc-js-xds speaks to its xDS server in plain text only (channel_creds `insecure`), and the
 * CA's daemon must have TLS on its xds listener: reviews' host runs a second sextant, without a
 * CA, on loopback, reading the same services and rules (as the walk-through says).
 */

jest.setTimeout(180_000);

const TRUST_DOMAIN = 'cluster.local';
const WORKLOADS = {
  reviews: `spiffe://${TRUST_DOMAIN}/ns/default/sa/reviews`,
  ratings: `spiffe://${TRUST_DOMAIN}/ns/default/sa/ratings`,
} as const;
type Workload = keyof typeof WORKLOADS;
const HOST = 'ratings.default.svc.cluster.local';
const TARGET = `${HOST}:50051`;

function services(port: number): string {
  return [
    'services:',
    `  - hostname: ${HOST}`,
    '    ports: [{ name: grpc, port: 50051, protocol: grpc }]',
    `    instances: [{ address: 127.0.0.1, port: ${port} }]`,
    '',
  ].join('\n');
}

function destinationRule(tls: string): string {
  return [
    'apiVersion: networking.istio.io/v1',
    'kind: DestinationRule',
    'metadata: { name: ratings, namespace: default }',
    'spec:',
    `  host: ${HOST}`,
    `  trafficPolicy: { tls: ${tls} }`,
    '',
  ].join('\n');
}

let dir: string;
let control: DaemonProcess | undefined;
let local: DaemonProcess | undefined;
let backend: GrpcBackend | undefined;
let client: XdsClientProcess | undefined;
const agents: { child: ChildProcess; output: () => string }[] = [];
let setup: Promise<void> | undefined;

const certsDir = (workload: Workload) => path.join(dir, 'certs', workload);
const certFile = (workload: Workload, file: string) => path.join(certsDir(workload), file);

function startAgent(workload: Workload, xdsAddress: string): void {
  const child = spawn(
    ...sextantCommand([
      'agent',
      '--token-file',
      path.join(dir, `${workload}.token`),
      '--ca',
      xdsAddress,
      '--ca-cert',
      path.join(dir, 'pki', 'ca.crt'),
      '--out',
      certsDir(workload),
    ]),
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  agents.push({ child, output: () => output });
}

beforeAll(() => {
  setup = (async () => {
    dir = tempDir();
    // 1. The control plane: a server certificate for the xds listener, a CA in ca/.
    createTestCa(path.join(dir, 'pki')).issue('server');
    fs.writeFileSync(path.join(dir, 'services.yaml'), 'services: []\n');
    fs.writeFileSync(path.join(dir, 'rules.yaml'), '');
    const xdsAddress = `127.0.0.1:${await freePort()}`;
    // Both daemons read the same services and rules (absolute paths: their configs are in two directories).
    const common = [
      'debounce: { after: 50ms, max: 300ms }',
      'log: { level: warn }',
      `adapters: [{ type: file, path: ${path.join(dir, 'services.yaml')}, pollInterval: 200ms }]`,
      `rules: [${path.join(dir, 'rules.yaml')}]`,
    ];
    control = await startDaemon(
      dir,
      [
        'listen:',
        '  discovery: ${DISCOVERY}',
        '  admin: ${ADMIN}',
        '  xds:',
        `    address: ${xdsAddress}`,
        '    tls: { certFile: pki/server.crt, keyFile: pki/server.key, clientCAFile: ca/root-cert.pem, requireClientCert: false }',
        `ca: { directory: ca, trustDomain: ${TRUST_DOMAIN}, workloadCertTTL: 1h }`,
        ...common,
        '',
      ].join('\n'),
    );

    // 2. A token for each workload.
    const env = {
      ...process.env,
      DISCOVERY: new URL(control.discovery).host,
      ADMIN: new URL(control.admin).host,
    };
    for (const [workload, identity] of Object.entries(WORKLOADS)) {
      const created = await runCli(
        [
          'token',
          'create',
          '--config',
          path.join(dir, 'sextant.yaml'),
          '--ttl',
          '1h',
          '--identity',
          identity,
        ],
        env,
      );
      if (created.code !== 0) throw new Error(`sextant token create failed: ${created.stderr}`);
      fs.writeFileSync(path.join(dir, `${workload}.token`), created.stdout, { mode: 0o600 });
    }

    // 3. An agent for each, writing its certificates into its own directory.
    for (const workload of Object.keys(WORKLOADS) as Workload[]) startAgent(workload, xdsAddress);
    for (const workload of Object.keys(WORKLOADS) as Workload[]) {
      // The agent writes root-cert.pem, key.pem, then cert-chain.pem: the last one means all three.
      await waitFor(() => fs.existsSync(certFile(workload, 'cert-chain.pem')), {
        timeoutMs: 60_000,
        message: () => `${workload}'s certificates:\n${agents.map((a) => a.output()).join('\n')}`,
      });
    }

    // 4. ratings: a gRPC server on its agent's files, requiring client certificates of the mesh.
    const read = (workload: Workload, file: string) => fs.readFileSync(certFile(workload, file));
    backend = await startGrpcBackend(
      'ratings',
      undefined,
      ServerCredentials.createSsl(
        read('ratings', 'root-cert.pem'),
        [{ cert_chain: read('ratings', 'cert-chain.pem'), private_key: read('ratings', 'key.pem') }],
        true,
      ),
    );
    fs.writeFileSync(path.join(dir, 'services.yaml'), services(backend.port));

    // 5. reviews' host: a sextant without a CA on loopback, for its proxyless client.
    const localDir = path.join(dir, 'reviews-host');
    fs.mkdirSync(localDir);
    const localXds = `127.0.0.1:${await freePort()}`;
    local = await startDaemon(
      localDir,
      [
        'listen:',
        '  discovery: ${DISCOVERY}',
        '  admin: ${ADMIN}',
        `  xds: ${localXds}`,
        `security: { meshTls: { trustDomain: ${TRUST_DOMAIN} } }`,
        ...common,
        '',
      ].join('\n'),
    );
    const bootstrapFile = path.join(dir, 'reviews-bootstrap.json');
    const printed = await runCli([
      'bootstrap',
      '--format',
      'grpc',
      '--node',
      'reviews.default',
      '--xds',
      localXds,
      '--mtls',
      '--certs-dir',
      certsDir('reviews'),
      '-o',
      bootstrapFile,
    ]);
    if (printed.code !== 0) throw new Error(`sextant bootstrap failed: ${printed.stderr}`);
    client = XdsClientProcess.withBootstrapEnv({
      GRPC_XDS_BOOTSTRAP: bootstrapFile,
      SEXTANT_E2E_XDS_CREDENTIALS: '1',
    });
  })();
  return setup;
}, 150_000);

afterAll(async () => {
  await setup?.catch(() => undefined);
  await client?.close();
  for (const agent of agents) if (agent.child.exitCode === null) agent.child.kill('SIGKILL');
  await local?.terminate();
  await control?.terminate();
  await backend?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
}, 60_000);

/** Calls until `done` holds for an RPC's outcome (within a generous deadline); returns that outcome. */
async function callUntil(done: (result: RpcResult) => boolean, what: string): Promise<RpcResult> {
  let last: RpcResult | undefined;
  await waitFor(
    async () => {
      last = await client?.call(TARGET, { deadlineMs: 2000 });
      return last !== undefined && done(last);
    },
    { timeoutMs: 60_000, intervalMs: 100, message: () => `${what} (last: ${JSON.stringify(last)})` },
  );
  if (!last) throw new Error('no RPC was made');
  return last;
}

it('has certificates on disk for both workloads, each with its own identity', () => {
  for (const [workload, identity] of Object.entries(WORKLOADS) as [Workload, string][]) {
    const leaf = new X509Certificate(fs.readFileSync(certFile(workload, 'cert-chain.pem')));
    expect(leaf.subjectAltName).toBe(`URI:${identity}`);
    expect(fs.readFileSync(certFile(workload, 'root-cert.pem'), 'utf8')).toBe(
      fs.readFileSync(path.join(dir, 'ca', 'root-cert.pem'), 'utf8'),
    );
  }
});

it('fails in plain text while no DestinationRule asks for mTLS', async () => {
  const result = await callUntil(
    (r) => !r.ok && r.code === 14 && /Failed to connect|No connection established/.test(r.details),
    'RPCs never failed to connect',
  );
  expect(result.ok).toBe(false);
  expect(backend?.calls()).toBe(0);
});

it('reaches ratings over mTLS with ISTIO_MUTUAL: the server sees reviews’ identity', async () => {
  fs.writeFileSync(path.join(dir, 'rules.yaml'), destinationRule('{ mode: ISTIO_MUTUAL }'));
  const result = await callUntil((r) => r.ok, 'RPCs never reached ratings over mTLS');
  expect(result).toMatchObject({ ok: true, response: 'ratings' });
  expect(backend?.peerNames().at(-1)).toBe(`URI:${WORKLOADS.reviews}`);
});

it('refuses ratings when the rule names another identity, and reaches it when it names ratings', async () => {
  const rules = path.join(dir, 'rules.yaml');
  const calls = backend?.calls() ?? 0;
  fs.writeFileSync(
    rules,
    destinationRule(
      `{ mode: ISTIO_MUTUAL, subjectAltNames: [spiffe://${TRUST_DOMAIN}/ns/default/sa/other] }`,
    ),
  );
  const refused = await callUntil((r) => !r.ok, 'RPCs kept reaching a server of the wrong identity');
  expect(refused.ok).toBe(false);
  fs.writeFileSync(rules, destinationRule(`{ mode: ISTIO_MUTUAL, subjectAltNames: [${WORKLOADS.ratings}] }`));
  expect(await callUntil((r) => r.ok, 'RPCs never reached ratings again')).toMatchObject({
    response: 'ratings',
  });
  expect(backend?.peerNames().at(-1)).toBe(`URI:${WORKLOADS.reviews}`);
  expect(backend?.calls()).toBeGreaterThan(calls);
});
