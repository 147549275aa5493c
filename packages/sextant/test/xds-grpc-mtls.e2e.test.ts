import fs from 'node:fs';
import path from 'node:path';
import { ServerCredentials } from '@grpc/grpc-js';
import { createTestCa, waitFor } from '@sextant/testkit';
import { runCli, startFileMesh, tempDir, type DaemonProcess } from './daemon-process';
import { startGrpcBackend, type GrpcBackend } from './grpc-backend';
import { XdsClientProcess, type RpcResult } from './xds-client-process';

/**
 * Mesh mTLS for a real proxyless gRPC client (grpc-js-xds, xDS credentials, gRFC A29): a backend
 * that requires client certificates of the mesh CA is reached only once a DestinationRule says
 * ISTIO_MUTUAL, with the client's identity from the certificate provider of the bootstrap
 * `sextant bootstrap --format grpc --mtls` prints, and the backend's SPIFFE identity checked.
 */

const HOST = 'echo.default.svc.cluster.local';
const TARGET = `${HOST}:50051`;
const NODE_ID = 'grpc-mtls-e2e-client';

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
    'metadata: { name: echo, namespace: default }',
    'spec:',
    `  host: ${HOST}`,
    `  trafficPolicy: { tls: ${tls} }`,
    '',
  ].join('\n');
}

describe('a proxyless gRPC client with xDS credentials and ISTIO_MUTUAL', () => {
  let daemon: DaemonProcess;
  let client: XdsClientProcess;
  let backend: GrpcBackend;
  let rulesFile: string;
  let setup: Promise<void> | undefined;

  beforeAll(() => {
    setup = (async () => {
      const dir = tempDir();
      const ca = createTestCa(path.join(dir, 'ca'));
      const server = ca.issue('echo', { uris: ['spiffe://cluster.local/ns/default/sa/echo'] });
      const workload = ca.issue('client', { uris: ['spiffe://cluster.local/ns/default/sa/client'] });
      // The files `sextant agent` writes, in its layout.
      const certs = path.join(dir, 'certs');
      fs.mkdirSync(certs);
      fs.writeFileSync(path.join(certs, 'cert-chain.pem'), workload.cert);
      fs.writeFileSync(path.join(certs, 'key.pem'), workload.key);
      fs.writeFileSync(path.join(certs, 'root-cert.pem'), ca.cert);
      backend = await startGrpcBackend(
        'echo',
        undefined,
        ServerCredentials.createSsl(
          Buffer.from(ca.cert),
          [{ cert_chain: Buffer.from(server.cert), private_key: Buffer.from(server.key) }],
          true,
        ),
      );
      fs.writeFileSync(path.join(dir, 'services.yaml'), services(backend.port));
      rulesFile = path.join(dir, 'rules.yaml');
      fs.writeFileSync(rulesFile, '');
      daemon = await startFileMesh(dir, { rules: ['rules.yaml'] });
      const xdsPort = daemon.xdsPort;
      const printed = await runCli([
        'bootstrap',
        '--format',
        'grpc',
        '--node',
        NODE_ID,
        '--xds',
        `127.0.0.1:${xdsPort}`,
        '--mtls',
        '--certs-dir',
        certs,
      ]);
      if (printed.code !== 0) throw new Error(`sextant bootstrap failed: ${printed.stderr}`);
      client = XdsClientProcess.withBootstrapEnv({
        GRPC_XDS_BOOTSTRAP_CONFIG: printed.stdout,
        SEXTANT_E2E_XDS_CREDENTIALS: '1',
      });
    })();
    return setup;
  }, 90_000);

  afterAll(async () => {
    await setup?.catch(() => undefined);
    await client?.close();
    if (daemon && daemon.child.exitCode === null) await daemon.terminate();
    await backend?.stop();
  }, 60_000);

  /** Calls until `done` holds for an RPC's outcome (within a generous deadline); returns that outcome. */
  async function callUntil(done: (result: RpcResult) => boolean, what: string): Promise<RpcResult> {
    let last: RpcResult | undefined;
    await waitFor(
      async () => {
        last = await client.call(TARGET, { deadlineMs: 2000 });
        return done(last);
      },
      { timeoutMs: 30_000, intervalMs: 100, message: () => `${what} (last: ${JSON.stringify(last)})` },
    );
    if (!last) throw new Error('no RPC was made');
    return last;
  }

  it('fails in plain text against a backend that requires mTLS, while no rule asks for it', async () => {
    // Once the client has its cluster (no TLS), the backend refuses the plain-text connection.
    const result = await callUntil(
      (r) => !r.ok && r.code === 14 && /Failed to connect|No connection established/.test(r.details),
      'RPCs never failed to connect',
    );
    expect(result.ok).toBe(false);
    expect(backend.calls()).toBe(0);
  }, 60_000);

  it('reaches it once a DestinationRule says ISTIO_MUTUAL: certificate providers, SPIFFE identity checked', async () => {
    fs.writeFileSync(rulesFile, destinationRule('{ mode: ISTIO_MUTUAL }'));
    const result = await callUntil((r) => r.ok, 'RPCs never reached the backend over mTLS');
    expect(result).toMatchObject({ ok: true, response: 'echo' });
    expect(backend.calls()).toBeGreaterThan(0);
  }, 60_000);

  it('refuses a backend whose identity is not among the subjectAltNames the rule names', async () => {
    fs.writeFileSync(
      rulesFile,
      destinationRule(
        '{ mode: ISTIO_MUTUAL, subjectAltNames: [spiffe://cluster.local/ns/default/sa/other] }',
      ),
    );
    const result = await callUntil((r) => !r.ok, 'RPCs kept reaching a backend of the wrong identity');
    expect(result.ok).toBe(false);
    // And back: the identity written is the backend's.
    fs.writeFileSync(
      rulesFile,
      destinationRule('{ mode: ISTIO_MUTUAL, subjectAltNames: [spiffe://cluster.local/ns/default/sa/echo] }'),
    );
    expect(await callUntil((r) => r.ok, 'RPCs never reached the backend again')).toMatchObject({
      response: 'echo',
    });
  }, 90_000);
});
