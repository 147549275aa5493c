import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeKubernetesApi, k8sService, TEST_CA_CERT } from '../src/kubernetes';

interface Status {
  readonly kind: string;
  readonly code: number;
  readonly reason: string;
  readonly message: string;
  readonly details?: Record<string, unknown>;
}

describe('fake Kubernetes API: authentication and injected faults', () => {
  let fake: FakeKubernetesApi;
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sextant-fake-k8s-'));
  });
  afterEach(async () => {
    await fake.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function get(path: string, token?: string) {
    const response = await fetch(`${fake.url}${path}`, {
      headers: token === undefined ? {} : { Authorization: `Bearer ${token}` },
    });
    return { status: response.status, headers: response.headers, body: (await response.json()) as Status };
  }

  it('quotes the request in a message when asked, and redirects keeping the path and query', async () => {
    fake = await FakeKubernetesApi.start({ tokens: ['token-1'] });
    fake.inject({
      status: 401,
      message: (request) => `invalid bearer token ${request.token ?? '-'} for ${request.path}`,
      times: 1,
    });
    expect((await get('/api/v1/services', 'token-1')).body).toMatchObject({
      code: 401,
      message: 'invalid bearer token token-1 for /api/v1/services',
    });
    fake.inject({ status: 307, redirectTo: 'http://127.0.0.1:1', resource: 'pods', verb: 'list', times: 1 });
    const redirected = await fetch(`${fake.url}/api/v1/pods?limit=5`, {
      headers: { Authorization: 'Bearer token-1' },
      redirect: 'manual',
    });
    expect([redirected.status, redirected.headers.get('location')]).toEqual([
      307,
      'http://127.0.0.1:1/api/v1/pods?limit=5',
    ]);
    expect(fake.requests.at(-1)?.status).toBe(307);
    expect((await get('/api/v1/pods', 'token-1')).status).toBe(200);
  });

  it('requires a bearer token it accepts, and accepts only the new one after rotation', async () => {
    fake = await FakeKubernetesApi.start({ tokens: ['token-1'] });
    expect((await get('/api/v1/services')).body).toMatchObject({
      kind: 'Status',
      code: 401,
      reason: 'Unauthorized',
    });
    expect((await get('/api/v1/services', 'token-1')).status).toBe(200);
    fake.setTokens(['token-2']);
    expect((await get('/api/v1/services', 'token-1')).status).toBe(401);
    expect((await get('/api/v1/services', 'token-2')).status).toBe(200);
    expect(fake.requests.map((r) => [r.token ?? null, r.status])).toEqual([
      [null, 401],
      ['token-1', 200],
      ['token-1', 401],
      ['token-2', 200],
    ]);
  });

  it('forbids one resource with the API server’s RBAC message', async () => {
    fake = await FakeKubernetesApi.start();
    fake.forbid('endpointslices');
    const { status, body } = await get('/apis/discovery.k8s.io/v1/endpointslices');
    expect(status).toBe(403);
    expect(body.message).toBe(
      'endpointslices.discovery.k8s.io is forbidden: User "system:serviceaccount:sextant:sextant" cannot list ' +
        'resource "endpointslices" in API group "discovery.k8s.io" at the cluster scope',
    );
    expect(body.details).toEqual({ group: 'discovery.k8s.io', kind: 'endpointslices' });
    expect((await get('/api/v1/services')).status).toBe(200);
  });

  it('throttles with 429, Retry-After and details.retryAfterSeconds, for as many requests as asked', async () => {
    fake = await FakeKubernetesApi.start();
    const fault = fake.inject({ status: 429, retryAfterSeconds: 3, times: 1 });
    const throttled = await get('/api/v1/services');
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get('retry-after')).toBe('3');
    expect(throttled.body).toMatchObject({ reason: 'TooManyRequests', details: { retryAfterSeconds: 3 } });
    expect((await get('/api/v1/services')).status).toBe(200);
    expect(fault.hits).toBe(1);
  });

  it('fails everything during an outage, and serves again once restored', async () => {
    fake = await FakeKubernetesApi.start();
    fake.outage();
    expect((await get('/api/v1/services')).status).toBe(503);
    fake.restore();
    expect((await get('/api/v1/services')).status).toBe(200);
  });

  it('can answer a watch with 200 and an ERROR event instead of a status', async () => {
    fake = await FakeKubernetesApi.start();
    fake.inject({ status: 410, verb: 'watch', asWatchEvent: true, times: 1 });
    const response = await fetch(
      `${fake.url}/api/v1/services?watch=true&resourceVersion=${fake.resourceVersion}`,
    );
    expect(response.status).toBe(200);
    const lines = (await response.text()).trim().split('\n');
    expect(lines.map((line) => (JSON.parse(line) as { type: string; object: Status }).object.code)).toEqual([
      410,
    ]);
  });

  it('writes a kubeconfig that points at it', async () => {
    fake = await FakeKubernetesApi.start();
    const file = fake.writeKubeconfig(join(dir, 'kubeconfig'), {
      token: 't',
      context: 'east',
      namespace: 'web',
    });
    const text = readFileSync(file, 'utf8');
    expect(text).toContain(`server: ${fake.url}`);
    expect(text).toContain('insecure-skip-tls-verify: true');
    expect(text).toContain('current-context: east');
    expect(text).toContain('token: "t"');
  });

  it('serves HTTPS verifiable with the service account’s ca.crt, as the in-cluster path needs', async () => {
    fake = await FakeKubernetesApi.start({ tls: true, tokens: ['sa-token'] });
    fake.put(k8sService({ name: 'web', ports: [{ name: 'http', port: 80 }] }));
    const account = fake.writeServiceAccount(dir, 'sa-token');
    expect(account.env).toEqual({
      KUBERNETES_SERVICE_HOST: '127.0.0.1',
      KUBERNETES_SERVICE_PORT: String(fake.port),
    });
    const ca = readFileSync(join(dir, 'var/run/secrets/kubernetes.io/serviceaccount/ca.crt'), 'utf8');
    expect(ca).toBe(TEST_CA_CERT);
    const token = readFileSync(account.tokenFile, 'utf8');
    const status = await new Promise<number | undefined>((resolve, reject) => {
      const req = httpsRequest(
        `${fake.url}/api/v1/services`,
        { ca, headers: { Authorization: `Bearer ${token}` } },
        (response) => {
          response.resume();
          resolve(response.statusCode);
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(200);
    expect(fake.requests.map((r) => r.token)).toEqual(['sa-token']);
  });
});
