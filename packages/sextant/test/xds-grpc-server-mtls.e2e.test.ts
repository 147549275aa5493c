import fs from 'node:fs';
import path from 'node:path';
import { createTestCa, freePort, waitFor, type TestCa } from '@sextant/testkit';
import { runCli, startFileMesh, tempDir, type DaemonProcess } from './daemon-process';
import { XdsClientProcess, type RpcResult } from './xds-client-process';
import { XdsServerProcess } from './xds-server-process';

/**
 * PeerAuthentication on a real proxyless gRPC server (grpc-js-xds XdsServer with xDS server
 * credentials, gRFC A36 and A29): it fetches its listener with the template
 * `sextant bootstrap --format grpc` prints, serves plain text while no rule asks for mTLS,
 * refuses plain-text clients once a PeerAuthentication says STRICT, and takes a real grpc-js-xds
 * client whose DestinationRule says ISTIO_MUTUAL, both identities from their certificate providers.
 */

const HOST = 'echo.default.svc.cluster.local';
const TARGET = `${HOST}:50051`;
const SERVER_NODE = `sidecar~127.0.0.1~echo-v1-5c7d.default~default.svc.cluster.local`;
const CLIENT_NODE = 'grpc-server-mtls-e2e-client';
const CLIENT_IDENTITY = 'spiffe://cluster.local/ns/default/sa/client';

function services(port: number): string {
  return [
    'services:',
    `  - hostname: ${HOST}`,
    '    ports: [{ name: grpc, port: 50051, protocol: grpc }]',
    `    instances: [{ address: 127.0.0.1, port: ${port}, labels: { app: echo } }]`,
    '',
  ].join('\n');
}

const PEER_AUTHENTICATION_STRICT = [
  'apiVersion: security.istio.io/v1',
  'kind: PeerAuthentication',
  'metadata: { name: echo, namespace: default }',
  'spec:',
  '  selector: { matchLabels: { app: echo } }',
  '  mtls: { mode: STRICT }',
  '',
].join('\n');

const DESTINATION_RULE_ISTIO_MUTUAL = [
  'apiVersion: networking.istio.io/v1',
  'kind: DestinationRule',
  'metadata: { name: echo, namespace: default }',
  'spec:',
  `  host: ${HOST}`,
  '  trafficPolicy: { tls: { mode: ISTIO_MUTUAL } }',
  '',
].join('\n');

/** A workload's certificates directory, as `sextant agent` lays it out. */
function certsDir(dir: string, ca: TestCa, name: string, identity: string): string {
  const certs = path.join(dir, `certs-${name}`);
  fs.mkdirSync(certs);
  const issued = ca.issue(name, { uris: [identity] });
  fs.writeFileSync(path.join(certs, 'cert-chain.pem'), issued.cert);
  fs.writeFileSync(path.join(certs, 'key.pem'), issued.key);
  fs.writeFileSync(path.join(certs, 'root-cert.pem'), ca.cert);
  return certs;
}

describe('a proxyless gRPC server (XdsServer) under PeerAuthentication', () => {
  let daemon: DaemonProcess;
  let client: XdsClientProcess;
  let server: XdsServerProcess;
  let rulesFile: string;
  let setup: Promise<void> | undefined;

  beforeAll(() => {
    setup = (async () => {
      const dir = tempDir();
      const ca = createTestCa(path.join(dir, 'ca'));
      const serverCerts = certsDir(dir, ca, 'echo', 'spiffe://cluster.local/ns/default/sa/echo');
      const clientCerts = certsDir(dir, ca, 'client', CLIENT_IDENTITY);
      const serverPort = await freePort();
      fs.writeFileSync(path.join(dir, 'services.yaml'), services(serverPort));
      rulesFile = path.join(dir, 'rules.yaml');
      fs.writeFileSync(rulesFile, '');
      daemon = await startFileMesh(dir, { rules: ['rules.yaml'] });
      const xdsPort = daemon.xdsPort;
      const bootstrap = async (node: string, certs: string): Promise<string> => {
        const printed = await runCli([
          'bootstrap',
          '--format',
          'grpc',
          '--node',
          node,
          '--xds',
          `127.0.0.1:${xdsPort}`,
          '--mtls',
          '--certs-dir',
          certs,
        ]);
        if (printed.code !== 0) throw new Error(`sextant bootstrap failed: ${printed.stderr}`);
        return printed.stdout;
      };
      server = XdsServerProcess.start({
        bootstrap: await bootstrap(SERVER_NODE, serverCerts),
        listen: `127.0.0.1:${serverPort}`,
        name: 'echo',
      });
      client = XdsClientProcess.withBootstrapEnv({
        GRPC_XDS_BOOTSTRAP_CONFIG: await bootstrap(CLIENT_NODE, clientCerts),
        SEXTANT_E2E_XDS_CREDENTIALS: '1',
      });
      // An XdsServer binds its port only once its listener came: proof the daemon served it.
      await waitFor(() => server.serving(), {
        timeoutMs: 30_000,
        message: () => `the XdsServer to get its listener (its log: ${server.log()})`,
      });
    })();
    return setup;
  }, 90_000);

  afterAll(async () => {
    await setup?.catch(() => undefined);
    await client?.close();
    await server?.close();
    if (daemon && daemon.child.exitCode === null) await daemon.terminate();
  }, 60_000);

  /** Calls until `done` holds for an RPC's outcome (within a generous deadline); returns that outcome. */
  async function callUntil(done: (result: RpcResult) => boolean, what: string): Promise<RpcResult> {
    let last: RpcResult | undefined;
    await waitFor(
      async () => {
        last = await client.call(TARGET, { deadlineMs: 2000 });
        return done(last);
      },
      {
        timeoutMs: 30_000,
        intervalMs: 100,
        message: () => `${what} (last: ${JSON.stringify(last)}; server log: ${server.log()})`,
      },
    );
    if (!last) throw new Error('no RPC was made');
    return last;
  }

  it('serves plain text while no PeerAuthentication asks for mTLS', async () => {
    const result = await callUntil((r) => r.ok, 'RPCs never reached the plain-text server');
    expect(result).toMatchObject({ ok: true, response: 'echo plaintext' });
  }, 60_000);

  it('refuses a plain-text client once a PeerAuthentication says STRICT', async () => {
    fs.writeFileSync(rulesFile, PEER_AUTHENTICATION_STRICT);
    const result = await callUntil(
      // Refused at the handshake: a server that died would refuse connections instead.
      (r) => !r.ok && r.code === 14 && !r.details.includes('ECONNREFUSED'),
      'the server kept taking plain-text RPCs under STRICT',
    );
    expect(result.ok).toBe(false);
    // Not a blip: the next ones are refused too.
    expect((await client.call(TARGET, { deadlineMs: 2000 })).ok).toBe(false);
    expect(server.serving()).toBe(true);
  }, 60_000);

  it('takes an ISTIO_MUTUAL client over mTLS, seeing its SPIFFE identity', async () => {
    fs.writeFileSync(rulesFile, `${PEER_AUTHENTICATION_STRICT}---\n${DESTINATION_RULE_ISTIO_MUTUAL}`);
    const result = await callUntil((r) => r.ok, 'RPCs never reached the STRICT server over mTLS');
    expect(result.ok).toBe(true);
    // The client certificate's names, the SPIFFE identity among them.
    expect(result.ok && result.response).toMatch(new RegExp(`^echo .*URI:${CLIENT_IDENTITY}`));
  }, 60_000);

  it('serves plain text again once the rules are gone, without restarting', async () => {
    fs.writeFileSync(rulesFile, '');
    const result = await callUntil(
      (r) => r.ok && r.response === 'echo plaintext',
      'the server never went back to plain text',
    );
    expect(result.ok).toBe(true);
    expect(server.serving()).toBe(true);
  }, 60_000);
});
