import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { Client, credentials, Metadata, status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import { envoyProtos } from '@sextant/envoy';
import { createTestCa, freePort, type IssuedCertificate, type TestCa } from '@sextant/testkit';
import { runCli, startDaemon, tempDir, type DaemonProcess } from './daemon-process';

/**
 * The daemon with mTLS discovery and xDS listeners and an admin token, reached by real clients:
 * a proxy reads its own configuration and not another's; admin needs the token; admin beyond
 * loopback without protection does not start.
 */

const NODE_A = 'sidecar~10.0.1.11~reviews-v1.default~default.svc.cluster.local';
const NODE_B = 'sidecar~10.0.3.1~web-1.prod~prod.svc.cluster.local';
const CLUSTER = 'type.googleapis.com/envoy.config.cluster.v3.Cluster';
const TOKEN = 'e2e-admin-token-7f3a';
// A spawned daemon and real TLS handshakes: generous under a fully loaded CI machine.
jest.setTimeout(90_000);

const SERVICES = `
services:
  - hostname: reviews.default.svc.cluster.local
    ports: [{ name: http, port: 9080, protocol: http }]
    instances:
      - { address: 10.0.1.11, port: 9080 }
`;

let dir: string;
let ca: TestCa;
let clientA: IssuedCertificate;
let daemon: DaemonProcess;
let xdsAddress: string;

beforeAll(async () => {
  dir = tempDir();
  ca = createTestCa(path.join(dir, 'pki'));
  ca.issue('server');
  clientA = ca.issue('client-a', { uris: ['spiffe://cluster.local/ns/default/sa/reviews'] });
  fs.writeFileSync(path.join(dir, 'services.yaml'), SERVICES);
  fs.writeFileSync(path.join(dir, 'admin-token'), `${TOKEN}\n`);
  xdsAddress = `127.0.0.1:${await freePort()}`;
  // Relative paths: relative to the config file.
  const tls = '{ certFile: pki/server.crt, keyFile: pki/server.key, clientCAFile: pki/ca.crt }';
  daemon = await startDaemon(
    dir,
    `
listen:
  discovery: { address: "\${DISCOVERY}", tls: ${tls} }
  admin: \${ADMIN}
  xds: { address: ${xdsAddress}, tls: ${tls} }
admin: { tokenFile: admin-token }
debounce: { after: 10ms, max: 100ms }
log: { level: info }
adapters:
  - { name: local, type: file, path: services.yaml }
`,
  );
}, 60_000);

afterAll(async () => {
  if (daemon) await daemon.terminate();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

function get(url: string, client: IssuedCertificate): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = https.get(
      url,
      { ca: ca.cert, cert: client.cert, key: client.key, agent: false, timeout: 10_000 },
      (response) => {
        let body = '';
        response.on('data', (chunk: Buffer) => (body += chunk.toString()));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      },
    );
    request.on('timeout', () => request.destroy(new Error('no answer within 10 s')));
    request.on('error', reject);
  });
}

/** The first CDS response of an ADS stream over mTLS for `node`, or the error that ended it. */
function firstClusters(node: string): Promise<{ names: string[] } | ServiceError> {
  const protos = envoyProtos();
  const client = new Client(
    xdsAddress,
    credentials.createSsl(Buffer.from(ca.cert), Buffer.from(clientA.key), Buffer.from(clientA.cert)),
  );
  const call = client.makeBidiStreamRequest(
    '/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources',
    (request: object) =>
      Buffer.from(protos.discoveryRequest.encode(protos.discoveryRequest.fromObject(request)).finish()),
    (bytes: Buffer) => bytes,
    new Metadata(),
    { deadline: Date.now() + 60_000 },
  );
  return new Promise<{ names: string[] } | ServiceError>((resolve) => {
    call.on('data', (bytes: Buffer) => {
      const response = protos.discoveryResponse.decode(bytes) as unknown as {
        resources: { value: Uint8Array }[];
      };
      const names = response.resources.map(
        (any) =>
          protos.root.lookupType('envoy.config.cluster.v3.Cluster').decode(any.value).toJSON().name as string,
      );
      resolve({ names });
    });
    call.on('error', (error: ServiceError) => resolve(error));
    call.write({ node: { id: node }, type_url: CLUSTER });
  }).finally(() => {
    call.cancel();
    client.close();
  });
}

describe('sextant with mTLS listeners and an admin token', () => {
  it('streams a proxy its own configuration over gRPC with mTLS, and refuses another node with PERMISSION_DENIED', async () => {
    const own = await firstClusters(NODE_A);
    expect(own).toEqual({
      names: expect.arrayContaining(['outbound|9080||reviews.default.svc.cluster.local']),
    });
    const other = (await firstClusters(NODE_B)) as ServiceError;
    expect(other.code).toBe(GrpcStatus.PERMISSION_DENIED);
  });

  it("serves v1 over HTTPS to the node's own certificate, and 403 for another node", async () => {
    const discovery = daemon.discovery.replace('http://', 'https://');
    expect((await get(`${discovery}/v1/clusters/reviews/${NODE_A}`, clientA)).status).toBe(200);
    const denied = await get(`${discovery}/v1/clusters/web/${NODE_B}`, clientA);
    expect(denied.status).toBe(403);
    expect(denied.body).toContain('is not for namespace prod');
  });

  it('protects admin with the token, counts refusals in /metrics, and never logs the token', async () => {
    const unauthorized = await fetch(`${daemon.admin}/metrics`);
    expect(unauthorized.status).toBe(401);
    expect(unauthorized.headers.get('www-authenticate')).toMatch(/^Bearer/);
    const metrics = await fetch(`${daemon.admin}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toMatch(/sextant_node_authorization_denied_total\{api="xds"\} [1-9]/);
    expect(daemon.output()).toContain('node authorization denied');
    expect(daemon.output()).not.toContain(TOKEN);
  });
});

describe('admin beyond loopback', () => {
  it('refuses to start (exit 2) with neither a token nor required client certificates', async () => {
    const file = path.join(tempDir(), 'sextant.yaml');
    fs.writeFileSync(
      file,
      `listen: { admin: "0.0.0.0:${await freePort()}", discovery: 127.0.0.1:0, xds: 127.0.0.1:0 }\nadapters: [{ type: file, path: services.yaml }]\n`,
    );
    fs.writeFileSync(path.join(path.dirname(file), 'services.yaml'), SERVICES);
    const { code, stderr } = await runCli(['--config', file]);
    expect(code).toBe(2);
    expect(stderr).toContain(
      'listen.admin: admin listens on 0.0.0.0, beyond this machine, and shows the whole mesh',
    );
  });
});
