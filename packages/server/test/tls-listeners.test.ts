import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { credentials, status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import { Registry } from '@sextant/core';
import { Renderer } from '@sextant/envoy';
import { createTestCa, waitFor, type IssuedCertificate, type TestCa } from '@sextant/testkit';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import {
  AdminToken,
  createAdminServer,
  createDiscoveryServer,
  createXdsServer,
  listenOn,
  NodeAuthorizer,
  ServerMetrics,
  ServerTls,
  type XdsServer,
} from '../src';
import { seedBookinfo } from './harness';
import { httpsRequest } from './tls-test-client';
import { XdsTestStream } from './xds-test-client';

/**
 * Every listener over TLS, reached by real TLS clients (Node's https, grpc-js): HTTPS discovery
 * (v1, v3 REST) and admin, gRPC xDS over mTLS, certificates rotated on disk, the admin token,
 * and strict node authorization by the SPIFFE identity of client certificates.
 */

const CLUSTER = 'type.googleapis.com/envoy.config.cluster.v3.Cluster';
const ADS = '/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources';
/** Workload A (reviews, namespace default) and workload B (web, namespace prod). */
const NODE_A = 'sidecar~10.0.1.11~reviews-v1.default~default.svc.cluster.local';
const NODE_B = 'sidecar~10.0.3.1~web-1.prod~prod.svc.cluster.local';
const POLL_MS = 50;
// Several TLS handshakes per test: generous under a fully loaded CI machine.
jest.setTimeout(60_000);

let dir: string;
let ca: TestCa;
let server: IssuedCertificate;
let clientA: IssuedCertificate;
let clientB: IssuedCertificate;
let stranger: IssuedCertificate;
let registry: Registry;
let metrics: ServerMetrics;
let xds: XdsServer;
let apps: FastifyInstance[];
let discovery: string;
let admin: string;
let xdsAddress: string;
const tokenFile = () => path.join(dir, 'admin-token');
const streams: XdsTestStream<'sotw'>[] = [];

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sextant-tls-'));
  ca = createTestCa(path.join(dir, 'pki'));
  server = ca.issue('server');
  clientA = ca.issue('client-a', { uris: ['spiffe://cluster.local/ns/default/sa/reviews'] });
  clientB = ca.issue('client-b', { uris: ['spiffe://cluster.local/ns/prod/sa/web'] });
  stranger = createTestCa(path.join(dir, 'other-pki')).issue('stranger', {
    uris: ['spiffe://cluster.local/ns/default/sa/reviews'],
  });
  // The listeners read copies, so that rotation can replace them.
  for (const name of ['discovery', 'admin', 'xds']) {
    fs.copyFileSync(server.certFile, path.join(dir, `${name}.crt`));
    fs.copyFileSync(server.keyFile, path.join(dir, `${name}.key`));
  }
  fs.writeFileSync(tokenFile(), 'first-token\n');

  const logger = pino({ level: 'silent' });
  registry = new Registry({ adapters: ['files'], debounce: { afterMs: 1, maxMs: 5 } });
  const renderer = new Renderer();
  metrics = new ServerMetrics(registry, () => renderer.cache.stats());
  const authorizer = new NodeAuthorizer(metrics.registry, logger);
  const listenerTls = (name: string, mutual: boolean) =>
    new ServerTls(
      {
        certFile: path.join(dir, `${name}.crt`),
        keyFile: path.join(dir, `${name}.key`),
        ...(mutual && { clientCAFile: ca.certFile }),
        requireClientCert: mutual,
      },
      { listener: name, logger, pollIntervalMs: POLL_MS },
    );
  xds = createXdsServer(registry, renderer, metrics, logger, {
    tls: listenerTls('xds', true),
    authorizer,
  });
  apps = [
    createDiscoveryServer(registry, renderer, metrics, logger, undefined, {
      tls: listenerTls('discovery', true),
      authorizer,
    }),
    createAdminServer(registry, renderer, metrics, logger, [], undefined, {
      tls: listenerTls('admin', false),
      token: new AdminToken(tokenFile(), { logger, pollIntervalMs: POLL_MS }),
    }),
  ];
  const [d, a, x] = await Promise.all([
    listenOn(apps[0] as FastifyInstance, '127.0.0.1:0'),
    listenOn(apps[1] as FastifyInstance, '127.0.0.1:0'),
    xds.listen('127.0.0.1:0'),
  ]);
  discovery = `https://${d}`;
  admin = `https://${a}`;
  xdsAddress = x;
  const sink = registry.sink('files');
  seedBookinfo(sink);
  sink.setStatus('ready');
  registry.flush();
}, 60_000);

afterAll(async () => {
  for (const stream of streams) stream.close();
  registry?.close();
  await Promise.all([xds?.close(), ...(apps ?? []).map((app) => app.close())]);
  fs.rmSync(dir, { recursive: true, force: true });
});

const as = (client: IssuedCertificate) => ({ ca: ca.cert, cert: client.cert, key: client.key });

function ads(client: IssuedCertificate | undefined, options: { ca?: string } = {}): XdsTestStream<'sotw'> {
  const creds = client
    ? credentials.createSsl(
        Buffer.from(options.ca ?? ca.cert),
        Buffer.from(client.key),
        Buffer.from(client.cert),
      )
    : credentials.createInsecure();
  const stream = new XdsTestStream(xdsAddress, 'sotw', ADS, creds);
  streams.push(stream);
  return stream;
}

/** The fingerprint of the certificate a listener presents to a new connection. */
function presented(address: string, alpn: string[]): Promise<string> {
  const url = new URL(address.includes('://') ? address : `https://${address}`);
  return new Promise((resolve, reject) => {
    const socket = tls.connect(
      {
        host: url.hostname,
        port: Number(url.port),
        ca: ca.cert,
        cert: clientA.cert,
        key: clientA.key,
        ALPNProtocols: alpn,
        servername: 'localhost',
      },
      () => {
        const fingerprint = socket.getPeerCertificate().fingerprint256;
        socket.end();
        resolve(fingerprint);
      },
    );
    socket.setTimeout(10_000, () => socket.destroy(new Error('no handshake within 10 s')));
    socket.on('error', reject);
  });
}

function fingerprintOf(pem: string): string {
  return new X509Certificate(pem).fingerprint256;
}

async function deniedCount(api: string): Promise<number> {
  const metric = await metrics.registry.getSingleMetric('sextant_node_authorization_denied_total')?.get();
  return metric?.values.find((v) => v.labels.api === api)?.value ?? 0;
}

describe('HTTPS discovery with client certificates', () => {
  it('serves v1 and v3 REST to a client whose certificate the client CA signed', async () => {
    const v1 = await httpsRequest(`${discovery}/v1/clusters/reviews/${NODE_A}`, as(clientA));
    expect(v1.status).toBe(200);
    expect(JSON.parse(v1.body).clusters.length).toBeGreaterThan(0);
    expect(v1.serverCertificate).toBe(fingerprintOf(server.cert));
    const v3 = await httpsRequest(`${discovery}/v3/discovery:clusters`, {
      ...as(clientA),
      method: 'POST',
      body: JSON.stringify({ node: { id: NODE_A }, type_url: CLUSTER }),
    });
    expect(v3.status).toBe(200);
    expect(JSON.parse(v3.body).type_url).toBe(CLUSTER);
  });

  it('refuses a plaintext client, a client without a certificate, and one whose certificate another CA signed', async () => {
    const plain = discovery.replace('https://', 'http://');
    await expect(
      fetch(`${plain}/v1/registration`, { signal: AbortSignal.timeout(10_000) }),
    ).rejects.toThrow();
    await expect(httpsRequest(`${discovery}/v1/registration`, { ca: ca.cert })).rejects.toThrow();
    await expect(httpsRequest(`${discovery}/v1/registration`, as(stranger))).rejects.toThrow();
  });

  it("answers 403 to a client asking for another workload's configuration (v1 and v3), and counts it", async () => {
    const before = { v1: await deniedCount('v1-cds'), v3: await deniedCount('v3-cds') };
    // B's own request, answered and remembered by URL: the same URL from A must still be checked.
    expect((await httpsRequest(`${discovery}/v1/clusters/web/${NODE_B}`, as(clientB))).status).toBe(200);
    const v1 = await httpsRequest(`${discovery}/v1/clusters/web/${NODE_B}`, as(clientA));
    expect(v1.status).toBe(403);
    expect(v1.body).toContain('spiffe://cluster.local/ns/default/sa/reviews) is not for namespace prod');
    expect((await httpsRequest(`${discovery}/v1/clusters/web/${NODE_B}`, as(clientA))).status).toBe(403);
    expect((await httpsRequest(`${discovery}/v1/listeners/web/${NODE_B}`, as(clientA))).status).toBe(403);
    const v3 = await httpsRequest(`${discovery}/v3/discovery:clusters`, {
      ...as(clientA),
      method: 'POST',
      body: JSON.stringify({ node: { id: NODE_B }, type_url: CLUSTER }),
    });
    expect(v3.status).toBe(403);
    expect(await deniedCount('v1-cds')).toBe(before.v1 + 2);
    expect(await deniedCount('v3-cds')).toBe(before.v3 + 1);
    // Its own node is still served; service endpoints (SDS) name no node.
    expect((await httpsRequest(`${discovery}/v1/clusters/reviews/${NODE_A}`, as(clientA))).status).toBe(200);
    expect((await httpsRequest(`${discovery}/v1/registration`, as(clientA))).status).toBe(200);
  });
});

describe('gRPC xDS over mTLS', () => {
  it('streams configuration to a client with its own certificate over ADS', async () => {
    const stream = ads(clientA);
    stream.send({ node: { id: NODE_A }, type_url: CLUSTER });
    const response = await stream.next(15_000);
    expect(response.type_url).toBe(CLUSTER);
    expect(response.names).toContain('outbound|9080||reviews.default.svc.cluster.local');
  });

  it("ends with PERMISSION_DENIED a stream asking for another workload's node, and counts it", async () => {
    const before = await deniedCount('xds');
    const stream = ads(clientA);
    stream.send({ node: { id: NODE_B }, type_url: CLUSTER });
    const error = (await stream.ended) as ServiceError;
    expect(error.code).toBe(GrpcStatus.PERMISSION_DENIED);
    expect(error.details).toContain('is not for namespace prod');
    expect(await deniedCount('xds')).toBe(before + 1);
  });

  it('refuses a plaintext client and a client whose certificate another CA signed', async () => {
    for (const stream of [ads(undefined), ads(stranger)]) {
      stream.send({ node: { id: NODE_A }, type_url: CLUSTER });
      const error = (await stream.ended) as ServiceError;
      expect(error.code).toBe(GrpcStatus.UNAVAILABLE);
    }
  });
});

describe('certificate rotation on disk', () => {
  it('presents the new certificate at the next handshake, while an open stream stays up', async () => {
    const stream = ads(clientA);
    stream.send({ node: { id: NODE_A }, type_url: CLUSTER });
    const first = await stream.next(15_000);
    stream.send({ type_url: CLUSTER, version_info: first.version_info, response_nonce: first.nonce });

    const rotated = ca.issue('server-rotated');
    for (const name of ['discovery', 'admin', 'xds']) {
      // As a secret mount changes: the new file appears whole.
      for (const [from, to] of [
        [rotated.keyFile, `${name}.key`],
        [rotated.certFile, `${name}.crt`],
      ] as const) {
        fs.copyFileSync(from, path.join(dir, `${to}.new`));
        fs.renameSync(path.join(dir, `${to}.new`), path.join(dir, to));
      }
    }
    const expected = fingerprintOf(rotated.cert);
    await waitFor(
      async () =>
        (await presented(discovery, ['http/1.1'])) === expected &&
        (await presented(admin, ['http/1.1'])) === expected &&
        (await presented(xdsAddress, ['h2'])) === expected,
      { timeoutMs: 40_000, message: 'every listener to present the rotated certificate' },
    );
    expect((await httpsRequest(`${admin}/healthz`, { ca: ca.cert })).serverCertificate).toBe(expected);

    // The stream opened before the rotation still gets pushes.
    registry.sink('files').upsertService(
      {
        hostname: 'details.default.svc.cluster.local',
        ports: [{ name: 'http', port: 9080, protocol: 'http' }],
      },
      [{ address: '10.0.4.1', port: 9080, portName: 'http' }],
    );
    registry.flush();
    const pushed = await stream.next(15_000);
    expect(pushed.names).toContain('outbound|9080||details.default.svc.cluster.local');
    // And a new stream is served with the new certificate.
    const fresh = ads(clientA);
    fresh.send({ node: { id: NODE_A }, type_url: CLUSTER });
    expect((await fresh.next(15_000)).type_url).toBe(CLUSTER);
  }, 120_000);
});

describe('the admin token', () => {
  it('answers 401 with WWW-Authenticate: Bearer without the token or with a wrong one', async () => {
    const without = await httpsRequest(`${admin}/debug/registry`, { ca: ca.cert });
    expect(without.status).toBe(401);
    expect(without.headers['www-authenticate']).toBe('Bearer realm="sextant admin"');
    const wrong = await httpsRequest(`${admin}/metrics`, {
      ca: ca.cert,
      headers: { authorization: 'Bearer first-token-but-longer' },
    });
    expect(wrong.status).toBe(401);
    expect(wrong.headers['www-authenticate']).toContain('error="invalid_token"');
    expect(wrong.body).not.toContain('first-token');
    // Unknown paths too: the answer says nothing about which endpoints exist.
    expect((await httpsRequest(`${admin}/nothing-here`, { ca: ca.cert })).status).toBe(401);
  });

  it('serves every endpoint with the right token, and /healthz and /readyz without one', async () => {
    const headers = { authorization: 'Bearer first-token' };
    expect((await httpsRequest(`${admin}/debug/registry`, { ca: ca.cert, headers })).status).toBe(200);
    expect((await httpsRequest(`${admin}/metrics`, { ca: ca.cert, headers })).status).toBe(200);
    expect((await httpsRequest(`${admin}/healthz`, { ca: ca.cert })).status).toBe(200);
    expect((await httpsRequest(`${admin}/readyz?verbose=1`, { ca: ca.cert })).status).toBe(200);
  });

  it('takes a new token written to the file, and refuses the old one', async () => {
    fs.writeFileSync(tokenFile(), 'second-token\n');
    const status = async (token: string) =>
      (
        await httpsRequest(`${admin}/debug/registry`, {
          ca: ca.cert,
          headers: { authorization: `Bearer ${token}` },
        })
      ).status;
    await waitFor(async () => (await status('second-token')) === 200, {
      timeoutMs: 40_000,
      message: 'the new token to be accepted',
    });
    expect(await status('first-token')).toBe(401);
  });
});
