import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { credentials, status, type ServiceError } from '@grpc/grpc-js';
import { Registry } from '@sextant/core';
import { Renderer } from '@sextant/envoy';
import { createTestCa, type IssuedCertificate, type TestCa } from '@sextant/testkit';
import pino from 'pino';
import {
  CertificateAuthority,
  CertificateClient,
  CertificateService,
  createWorkloadToken,
  createXdsServer,
  loadCaMaterial,
  newWorkloadKey,
  ROOT_CERT_FILE,
  ServerMetrics,
  ServerTls,
  type CaMaterial,
  type XdsServer,
} from '../src';

/**
 * Istio's CA API on the xDS listener, called by grpc-js clients over TLS: who may get which
 * certificate (workload tokens, client certificates this CA issued), and the answers to
 * everything else.
 */

const REVIEWS = 'spiffe://cluster.local/ns/default/sa/reviews';
const HOUR = 3600 * 1000;
jest.setTimeout(60_000);

let dir: string;
let serverPki: TestCa;
let material: CaMaterial;
let stranger: CaMaterial;
let registry: Registry;
let metrics: ServerMetrics;
let xds: XdsServer;
let address: string;
const clients: CertificateClient[] = [];

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sextant-ca-grpc-'));
  serverPki = createTestCa(path.join(dir, 'pki'));
  const serverCert = serverPki.issue('xds');
  material = await loadCaMaterial({ kind: 'directory', directory: path.join(dir, 'ca') }, 'cluster.local');
  stranger = await loadCaMaterial(
    { kind: 'directory', directory: path.join(dir, 'stranger') },
    'cluster.local',
  );
  // The listener trusts client certificates of this CA and of another PKI.
  const bundle = path.join(dir, 'client-cas.pem');
  fs.writeFileSync(bundle, fs.readFileSync(path.join(dir, 'ca', ROOT_CERT_FILE), 'utf8') + serverPki.cert);
  const logger = pino({ level: 'silent' });
  registry = new Registry({ adapters: ['files'], debounce: { afterMs: 1, maxMs: 5 } });
  const renderer = new Renderer();
  metrics = new ServerMetrics(registry, () => renderer.cache.stats());
  const ca = new CertificateAuthority(material, {
    trustDomain: 'cluster.local',
    workloadCertTtlMs: 24 * HOUR,
    maxWorkloadCertTtlMs: 48 * HOUR,
  });
  xds = createXdsServer(registry, renderer, metrics, logger, {
    // Client certificates are asked for (renewal) but not required (the first request has a token).
    tls: new ServerTls(
      {
        certFile: serverCert.certFile,
        keyFile: serverCert.keyFile,
        clientCAFile: bundle,
        requireClientCert: false,
      },
      { listener: 'xds', logger },
    ),
    services: [new CertificateService(ca, { logger, prometheus: metrics.registry })],
  });
  address = await xds.listen('127.0.0.1:0');
});

afterAll(async () => {
  for (const client of clients) client.close();
  registry?.close();
  await xds?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function client(clientCert?: { cert: string; key: string }): CertificateClient {
  const creds = clientCert
    ? credentials.createSsl(
        Buffer.from(serverPki.cert),
        Buffer.from(clientCert.key),
        Buffer.from(clientCert.cert),
      )
    : credentials.createSsl(Buffer.from(serverPki.cert));
  const made = new CertificateClient(address, creds);
  clients.push(made);
  return made;
}

async function request(token: string | undefined, options: { csr?: string; cert?: IssuedCertificate } = {}) {
  const key = await newWorkloadKey('spiffe://cluster.local/ns/kube-system/sa/admin');
  const response = await client(options.cert).createCertificate(
    { csr: options.csr ?? key.csrPem, validityDurationSeconds: 3600 },
    { deadlineMs: 20_000, ...(token !== undefined && { token }) },
  );
  return { chain: response.certChain, key: key.keyPem };
}

async function refusal(promise: Promise<unknown>): Promise<{ code: status; details: string }> {
  const error = (await promise.then(
    () => undefined,
    (e: unknown) => e,
  )) as ServiceError | undefined;
  if (error === undefined) throw new Error('the request was not refused');
  return { code: error.code, details: error.details };
}

const token = (
  claims: { identity?: string; ttlMs?: number; audience?: string; now?: number } = {},
  key = material,
) => createWorkloadToken(key, 'cluster.local', { identity: REVIEWS, ttlMs: HOUR, ...claims });

async function issuedCount(method: string): Promise<number> {
  const metric = await metrics.registry.getSingleMetric('sextant_ca_certificates_issued_total')?.get();
  return metric?.values.find((v) => v.labels.method === method)?.value ?? 0;
}

describe('CreateCertificate with a workload token', () => {
  it('issues a certificate for the token’s identity, leaf first and this CA’s root last', async () => {
    const before = await issuedCount('token');
    const { chain } = await request(await token());
    expect(chain).toHaveLength(2);
    const leaf = new X509Certificate(chain[0] as string);
    expect(leaf.subjectAltName).toBe(`URI:${REVIEWS}`);
    expect(chain[1]).toBe(material.rootPem);
    expect(leaf.verify(new X509Certificate(material.rootPem).publicKey)).toBe(true);
    expect(Date.parse(leaf.validTo) - Date.now()).toBeLessThanOrEqual(HOUR + 5000);
    expect(await issuedCount('token')).toBe(before + 1);
  });

  it('refuses no token, an expired one, one signed by another key and one for another audience', async () => {
    expect(await refusal(request(undefined))).toMatchObject({
      code: status.UNAUTHENTICATED,
      details: expect.stringContaining('authorization: Bearer <token>'),
    });
    expect(await refusal(request(await token({ now: Date.now() - 3 * HOUR })))).toEqual({
      code: status.UNAUTHENTICATED,
      details: 'the token has expired',
    });
    expect(await refusal(request(await token({}, stranger))).then((r) => r.code)).toBe(
      status.UNAUTHENTICATED,
    );
    expect(await refusal(request(await token({ audience: 'someone-else' })))).toEqual({
      code: status.UNAUTHENTICATED,
      details: 'the token is for another audience',
    });
    expect(await refusal(request('not-a-token'))).toMatchObject({ code: status.UNAUTHENTICATED });
  });

  it('refuses an identity of another trust domain', async () => {
    expect(
      await refusal(request(await token({ identity: 'spiffe://other.domain/ns/default/sa/reviews' }))),
    ).toEqual({
      code: status.PERMISSION_DENIED,
      details: 'the token is for trust domain other.domain; this CA issues for cluster.local',
    });
  });

  it('answers a bad CSR with INVALID_ARGUMENT, never INTERNAL', async () => {
    const good = await token();
    expect((await refusal(request(good, { csr: 'garbage' }))).code).toBe(status.INVALID_ARGUMENT);
    expect((await refusal(request(good, { csr: 'x'.repeat(100_000) }))).code).toBe(status.INVALID_ARGUMENT);
  });
});

describe('CreateCertificate with a client certificate', () => {
  it('renews a certificate this CA issued, for the same identity, without a token', async () => {
    const first = await request(await token());
    const before = await issuedCount('certificate');
    const cert = { cert: first.chain.join(''), key: first.key, certFile: '', keyFile: '' };
    const renewed = await request(undefined, { cert });
    expect(new X509Certificate(renewed.chain[0] as string).subjectAltName).toBe(`URI:${REVIEWS}`);
    expect(new X509Certificate(renewed.chain[0] as string).serialNumber).not.toBe(
      new X509Certificate(first.chain[0] as string).serialNumber,
    );
    expect(await issuedCount('certificate')).toBe(before + 1);
  });

  it('does not take a certificate of another CA the listener trusts as proof', async () => {
    const other = serverPki.issue('other-client', { uris: [REVIEWS] });
    expect((await refusal(request(undefined, { cert: other }))).code).toBe(status.UNAUTHENTICATED);
  });
});
