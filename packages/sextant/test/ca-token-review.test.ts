import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { credentials, status, type ServiceError } from '@grpc/grpc-js';
import { Registry, silentLogger } from '@sextant/core';
import { Renderer } from '@sextant/envoy';
import {
  CertificateClient,
  CertificateService,
  createWorkloadToken,
  createXdsServer,
  newWorkloadKey,
  ServerMetrics,
  ServerTls,
  type XdsServer,
} from '@sextant/server';
import { createTestCa, type TestCa } from '@sextant/testkit';
import { FakeKubernetesApi } from '@sextant/testkit/kubernetes';
import pino from 'pino';
import { loadConfig } from '../src/config/load-config';
import { kubernetesTokenReviewer } from '../src/daemon/kubernetes-token-reviewer';
import { loadWorkloadCa } from '../src/daemon/workload-ca';
import { tempDir } from './daemon-process';

/**
 * Kubernetes service-account tokens as proof of identity: the CA asks the API server of the
 * kubernetes adapter (TokenReview, through the adapter's kubeconfig and credentials).
 */

jest.setTimeout(60_000);

const DAEMON_TOKEN = 'sextant-own-credentials';
let dir: string;
let fake: FakeKubernetesApi;
let pki: TestCa;
let xds: XdsServer;
let registry: Registry;
let address: string;
const clients: CertificateClient[] = [];

beforeAll(async () => {
  dir = tempDir();
  pki = createTestCa(path.join(dir, 'pki'));
  const server = pki.issue('xds');
  fake = await FakeKubernetesApi.start({ tokens: [DAEMON_TOKEN] });
  fake.addServiceAccountToken('reviews-token', { namespace: 'default', serviceAccount: 'reviews' });
  fake.addServiceAccountToken('other-audience', {
    namespace: 'default',
    serviceAccount: 'reviews',
    audiences: ['vault'],
  });
  fake.writeKubeconfig(path.join(dir, 'kubeconfig'), { token: DAEMON_TOKEN });
  const file = path.join(dir, 'sextant.yaml');
  fs.writeFileSync(
    file,
    `listen: { xds: { address: 127.0.0.1:0, tls: { certFile: ${server.certFile}, keyFile: ${server.keyFile} } } }
ca: { directory: ca, trustDomain: cluster.local }
adapters: [{ name: east, type: kubernetes, kubeconfig: kubeconfig }]
`,
  );
  const loaded = await loadConfig(file, { env: {}, logger: silentLogger });
  const ca = await loadWorkloadCa(loaded);
  const tokenReviewer = kubernetesTokenReviewer(loaded, {});
  if (ca === undefined || tokenReviewer === undefined) throw new Error('no CA or no token reviewer');
  const logger = pino({ level: 'silent' });
  registry = new Registry({ adapters: ['east'], debounce: { afterMs: 1, maxMs: 5 } });
  const renderer = new Renderer();
  const metrics = new ServerMetrics(registry, () => renderer.cache.stats());
  xds = createXdsServer(registry, renderer, metrics, logger, {
    tls: new ServerTls(
      { certFile: server.certFile, keyFile: server.keyFile, requireClientCert: false },
      { listener: 'xds', logger },
    ),
    services: [new CertificateService(ca, { logger, prometheus: metrics.registry, tokenReviewer })],
  });
  address = await xds.listen('127.0.0.1:0');
});

afterAll(async () => {
  for (const client of clients) client.close();
  registry?.close();
  await xds?.close();
  await fake?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function request(token: string): Promise<string[]> {
  const client = new CertificateClient(address, credentials.createSsl(Buffer.from(pki.cert)));
  clients.push(client);
  const { csrPem } = await newWorkloadKey();
  return [
    ...(
      await client.createCertificate(
        { csr: csrPem, validityDurationSeconds: 0 },
        { token, deadlineMs: 20_000 },
      )
    ).certChain,
  ];
}

async function refusal(token: string): Promise<{ code: status; details: string }> {
  const error = (await request(token).then(
    () => undefined,
    (e: unknown) => e,
  )) as ServiceError | undefined;
  if (error === undefined) throw new Error('not refused');
  return { code: error.code, details: error.details };
}

it('issues for the service account the API server authenticates the token as', async () => {
  const chain = await request('reviews-token');
  expect(new X509Certificate(chain[0] as string).subjectAltName).toBe(
    'URI:spiffe://cluster.local/ns/default/sa/reviews',
  );
  const review = fake.requests.find((r) => r.path === '/apis/authentication.k8s.io/v1/tokenreviews');
  // Asked with the adapter's own credentials.
  expect(review).toMatchObject({ method: 'POST', token: DAEMON_TOKEN, status: 201 });
});

it('refuses a token the API server does not know, or no longer', async () => {
  expect(await refusal('unknown-token')).toEqual({
    code: status.UNAUTHENTICATED,
    details: 'the Kubernetes API server did not authenticate the token',
  });
  // A token for another audience (Vault's, say) is no proof for the API server's audience.
  expect((await refusal('other-audience')).code).toBe(status.UNAUTHENTICATED);
  fake.addServiceAccountToken('short-lived', { namespace: 'prod', serviceAccount: 'web' });
  expect((await request('short-lived')).length).toBe(2);
  fake.revokeServiceAccountToken('short-lived');
  expect((await refusal('short-lived')).code).toBe(status.UNAUTHENTICATED);
});

it('still checks Sextant workload tokens itself, without asking the API server', async () => {
  const loaded = await loadConfig(path.join(dir, 'sextant.yaml'), { env: {}, logger: silentLogger });
  const ca = await loadWorkloadCa(loaded);
  const token = await createWorkloadToken(ca!.material, 'cluster.local', {
    identity: 'spiffe://cluster.local/ns/prod/sa/web',
    ttlMs: 60_000,
  });
  const reviews = fake.requests.length;
  const chain = await request(token);
  expect(new X509Certificate(chain[0] as string).subjectAltName).toBe(
    'URI:spiffe://cluster.local/ns/prod/sa/web',
  );
  expect(fake.requests.length).toBe(reviews);
});

it('answers UNAVAILABLE while the API server is down (the agent retries)', async () => {
  fake.outage(503);
  try {
    expect((await refusal('reviews-token')).code).toBe(status.UNAVAILABLE);
  } finally {
    fake.restore();
  }
  expect((await request('reviews-token')).length).toBe(2);
});
