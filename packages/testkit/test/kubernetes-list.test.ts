import { FakeKubernetesApi, k8sEndpointSlice, k8sPod, k8sService } from '../src/kubernetes';

/** What these tests read of a list or Status body. */
interface Body {
  readonly kind: string;
  readonly apiVersion: string;
  readonly metadata: { resourceVersion?: string; continue?: string; remainingItemCount?: number };
  readonly items: Item[];
  readonly message: string;
  readonly reason: string;
  readonly [field: string]: unknown;
}

interface Item {
  readonly kind?: string;
  readonly apiVersion?: string;
  readonly metadata: { name: string; [field: string]: unknown };
  readonly spec: { ports: unknown[] };
  readonly status: { podIP?: string };
  readonly endpoints?: unknown;
}

const names = (body: Body) => body.items.map((item) => item.metadata.name);

/** The fake's list protocol, checked on the wire with plain HTTP, as any client sees it. */
describe('fake Kubernetes API: lists', () => {
  let fake: FakeKubernetesApi;
  beforeEach(async () => {
    fake = await FakeKubernetesApi.start({ initialResourceVersion: 48000 });
  });
  afterEach(() => fake.close());

  async function get(path: string, headers: Record<string, string> = {}) {
    const response = await fetch(`${fake.url}${path}`, { headers });
    return { status: response.status, headers: response.headers, body: (await response.json()) as Body };
  }

  const seedServices = (count: number, namespace = 'default') => {
    for (let i = 0; i < count; i += 1) {
      fake.put(
        k8sService({
          name: `svc-${String(i).padStart(2, '0')}`,
          namespace,
          ports: [{ name: 'http', port: 80 }],
        }),
      );
    }
  };

  it('answers a list with its resourceVersion in the body and items without kind or apiVersion', async () => {
    fake.put(k8sService({ name: 'web', ports: [{ name: 'http', port: 80, targetPort: 'http' }] }));
    const { status, headers, body } = await get('/api/v1/namespaces/default/services');
    expect(status).toBe(200);
    expect(headers.get('content-type')).toBe('application/json');
    expect(body.kind).toBe('ServiceList');
    expect(body.apiVersion).toBe('v1');
    expect(body.metadata).toEqual({ resourceVersion: '48001' });
    expect(body.items).toHaveLength(1);
    expect(body.items[0]?.kind).toBeUndefined();
    expect(body.items[0]?.apiVersion).toBeUndefined();
    expect(body.items[0]?.metadata).toMatchObject({
      name: 'web',
      namespace: 'default',
      resourceVersion: '48001',
    });
    expect(body.items[0]?.spec.ports).toEqual([
      { name: 'http', protocol: 'TCP', port: 80, targetPort: 'http' },
    ]);
  });

  it('serves EndpointSlices under discovery.k8s.io/v1, selectable by their service-name label', async () => {
    fake.put(k8sEndpointSlice({ name: 'web-1', service: 'web', endpoints: null, ports: null }));
    fake.put(k8sEndpointSlice({ name: 'api-1', service: 'api', endpoints: null, ports: null }));
    const { body } = await get(
      `/apis/discovery.k8s.io/v1/endpointslices?labelSelector=${encodeURIComponent('kubernetes.io/service-name=web')}`,
    );
    expect(body.kind).toBe('EndpointSliceList');
    expect(body.apiVersion).toBe('discovery.k8s.io/v1');
    expect(names(body)).toEqual(['web-1']);
    expect(body.items[0]?.endpoints).toBeNull();
  });

  it('chunks with limit and continue; every chunk comes from the first chunk’s resourceVersion', async () => {
    seedServices(5);
    const first = await get('/api/v1/services?limit=2');
    expect(names(first.body)).toEqual(['svc-00', 'svc-01']);
    expect(first.body.metadata.remainingItemCount).toBe(3);
    const listRv = first.body.metadata.resourceVersion;

    // Changes after the first chunk are not seen by the rest of this list.
    fake.remove('Service', 'default', 'svc-03');
    fake.put(k8sService({ name: 'svc-99', ports: [{ name: 'http', port: 80 }] }));

    const rest: string[] = [];
    let token: string | undefined = first.body.metadata.continue;
    while (token) {
      const page = await get(`/api/v1/services?limit=2&continue=${encodeURIComponent(token)}`);
      expect(page.body.metadata.resourceVersion).toBe(listRv);
      rest.push(...names(page.body));
      token = page.body.metadata.continue;
    }
    expect(rest).toEqual(['svc-02', 'svc-03', 'svc-04']);
  });

  it('answers an expired continue token with 410 Expired and an inconsistent remainder token', async () => {
    seedServices(4);
    const first = await get('/api/v1/services?limit=2');
    fake.expireContinueTokens();
    const expired = await get(
      `/api/v1/services?limit=2&continue=${encodeURIComponent(first.body.metadata.continue ?? '')}`,
    );
    expect(expired.status).toBe(410);
    expect(expired.body).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'Expired', code: 410 });
    expect(expired.body.message).toMatch(/^The provided continue parameter is too old/);
    const rest = await get(
      `/api/v1/services?continue=${encodeURIComponent(expired.body.metadata.continue ?? '')}`,
    );
    expect(names(rest.body)).toEqual(['svc-02', 'svc-03']);
  });

  it('expires continue tokens after their time to live', async () => {
    await fake.close();
    fake = await FakeKubernetesApi.start({ continueTtlMs: 0 });
    seedServices(3);
    const first = await get('/api/v1/services?limit=1');
    const next = await get(
      `/api/v1/services?limit=1&continue=${encodeURIComponent(first.body.metadata.continue ?? '')}`,
    );
    expect(next.status).toBe(410);
  });

  it('may ignore limit, as servers do for resourceVersion=0 lists: only continue decides', async () => {
    seedServices(3);
    expect((await get('/api/v1/services?limit=1&resourceVersion=0')).body.items).toHaveLength(3);
    fake.ignoreLimit = true;
    const whole = await get('/api/v1/services?limit=1');
    expect(whole.body.items).toHaveLength(3);
    expect(whole.body.metadata.continue).toBeUndefined();
  });

  it('scopes lists to a namespace, and lists cluster-scoped nodes', async () => {
    seedServices(2, 'default');
    seedServices(1, 'payments');
    expect((await get('/api/v1/namespaces/payments/services')).body.items).toHaveLength(1);
    expect((await get('/api/v1/services')).body.items).toHaveLength(3);
    expect((await get('/api/v1/nodes')).body).toMatchObject({ kind: 'NodeList', items: [] });
  });

  it('answers a resourceVersion newer than it has with 504 Timeout and Retry-After', async () => {
    const { status, headers, body } = await get('/api/v1/services?resourceVersion=99999999');
    expect(status).toBe(504);
    expect(headers.get('retry-after')).toBe('1');
    expect(body).toMatchObject({ reason: 'Timeout', code: 504 });
    expect(body.message).toMatch(/^Too large resource version/);
  });

  it('serves single objects, and 404 NotFound for absent ones', async () => {
    fake.put(k8sService({ name: 'web', ports: [{ name: 'http', port: 80 }] }));
    const web = await get('/api/v1/namespaces/default/services/web');
    expect(web.body).toMatchObject({ kind: 'Service', apiVersion: 'v1', metadata: { name: 'web' } });
    const missing = await get('/api/v1/namespaces/default/services/nope');
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ reason: 'NotFound', message: 'services "nope" not found' });
  });

  it('serves metadata only to clients that ask for PartialObjectMetadataList', async () => {
    fake.put(k8sPod({ name: 'web-1', labels: { app: 'web', version: 'v1' }, ip: '10.0.1.11' }));
    const accept = 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json';
    const { body } = await get('/api/v1/pods', { Accept: accept });
    expect(body.kind).toBe('PartialObjectMetadataList');
    expect(body.apiVersion).toBe('meta.k8s.io/v1');
    expect(body.items).toEqual([
      { metadata: expect.objectContaining({ labels: { app: 'web', version: 'v1' } }) },
    ]);
    // A plain client gets whole objects.
    expect((await get('/api/v1/pods')).body.items[0]?.status.podIP).toBe('10.0.1.11');
  });

  it('refuses selectors it cannot parse with 400', async () => {
    const { status, body } = await get(`/api/v1/services?labelSelector=${encodeURIComponent('a in (b')}`);
    expect(status).toBe(400);
    expect(body.reason).toBe('BadRequest');
  });
});
