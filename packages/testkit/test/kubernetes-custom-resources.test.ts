import { request, type IncomingMessage } from 'node:http';
import { waitFor } from '../src';
import { FakeKubernetesApi, RULE_CRDS } from '../src/kubernetes';

/** The JSON the fake answers, read loosely: the tests compare its fields. */
interface Answer {
  readonly [field: string]: unknown;
  readonly kind?: string;
  readonly apiVersion?: string;
  readonly metadata: { readonly name: string; readonly resourceVersion: string; readonly uid: string };
  readonly items: readonly Answer[];
  readonly spec: { readonly http: readonly { route: readonly { destination: { subset: string } }[] }[] };
}

interface Event {
  readonly type: string;
  readonly object: Answer;
}

const VS = (version: string) => `/apis/networking.istio.io/${version}`;

const vs = (name: string, subset: string, extra: Record<string, unknown> = {}) => ({
  apiVersion: 'networking.istio.io/v1',
  kind: 'VirtualService',
  metadata: { name, namespace: 'default', ...extra },
  spec: { hosts: ['reviews'], http: [{ route: [{ destination: { host: 'reviews', subset } }] }] },
});

describe('fake Kubernetes API: custom resources', () => {
  let fake: FakeKubernetesApi;
  beforeEach(async () => {
    fake = await FakeKubernetesApi.start({ initialResourceVersion: 500, bookmarkIntervalMs: 0 });
  });
  afterEach(() => fake.close());

  const call = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${fake.url}${path}`, {
      method,
      ...(body !== undefined && {
        body: JSON.stringify(body),
        headers: { 'Content-Type': 'application/json' },
      }),
    });
    return { status: response.status, body: (await response.json()) as Answer };
  };

  it('answers 404 for a CRD not installed, and serves it at each version it serves once installed', async () => {
    expect((await call('GET', `${VS('v1')}/virtualservices`)).status).toBe(404);
    fake.installCrd({ ...RULE_CRDS.virtualServices, versions: ['v1beta1', 'v1alpha3'] });
    fake.put({ ...vs('reviews', 'v1'), apiVersion: 'networking.istio.io/v1beta1' });
    expect((await call('GET', `${VS('v1')}/virtualservices`)).status).toBe(404);
    const list = await call('GET', `${VS('v1alpha3')}/namespaces/default/virtualservices`);
    expect(list.status).toBe(200);
    expect(list.body.kind).toBe('VirtualServiceList');
    expect(list.body.apiVersion).toBe('networking.istio.io/v1alpha3');
    // Custom resource list items carry their kind and the version asked for.
    expect(list.body.items.map((i) => [i.kind, i.apiVersion, i.metadata.name])).toEqual([
      ['VirtualService', 'networking.istio.io/v1alpha3', 'reviews'],
    ]);
    expect(Number(list.body.metadata.resourceVersion)).toBe(501);
    // Upgraded to serve v1 too: the same objects.
    fake.installCrd(RULE_CRDS.virtualServices);
    const one = await call('GET', `${VS('v1')}/namespaces/default/virtualservices/reviews`);
    expect([one.status, one.body.apiVersion, one.body.spec.http[0]?.route[0]?.destination.subset]).toEqual([
      200,
      'networking.istio.io/v1',
      'v1',
    ]);
  });

  it('creates (201, 409 AlreadyExists), replaces (409 Conflict on a stale resourceVersion, 422 without one) and deletes', async () => {
    fake.installCrd(RULE_CRDS.virtualServices);
    const collection = `${VS('v1')}/namespaces/default/virtualservices`;
    const created = await call('POST', collection, vs('reviews', 'v1'));
    expect(created.status).toBe(201);
    const rv = created.body.metadata.resourceVersion as string;
    expect(created.body.metadata.uid).toEqual(expect.any(String));
    expect((await call('POST', collection, vs('reviews', 'v1'))).body).toMatchObject({
      code: 409,
      reason: 'AlreadyExists',
      message: 'virtualservices.networking.istio.io "reviews" already exists',
    });
    expect((await call('PUT', `${collection}/reviews`, vs('reviews', 'v2'))).body).toMatchObject({
      code: 422,
      reason: 'Invalid',
    });
    const replaced = await call('PUT', `${collection}/reviews`, vs('reviews', 'v2', { resourceVersion: rv }));
    expect(replaced.status).toBe(200);
    expect(replaced.body.metadata.uid).toBe(created.body.metadata.uid);
    expect(
      (await call('PUT', `${collection}/reviews`, vs('reviews', 'v3', { resourceVersion: rv }))).body,
    ).toMatchObject({
      code: 409,
      reason: 'Conflict',
    });
    expect(
      (await call('PUT', `${collection}/ratings`, vs('ratings', 'v3', { resourceVersion: rv }))).status,
    ).toBe(404);
    expect(
      (await call('PUT', `${collection}/other`, vs('reviews', 'v3', { resourceVersion: rv }))).status,
    ).toBe(400);
    expect(
      (await call('POST', collection, { ...vs('x', 'v1'), apiVersion: 'networking.istio.io/v1beta1' }))
        .status,
    ).toBe(400);
    expect(fake.get('VirtualService', 'default', 'reviews')?.spec).toEqual(vs('reviews', 'v2').spec);
    expect((await call('DELETE', `${collection}/reviews`)).body).toMatchObject({ status: 'Success' });
    expect((await call('DELETE', `${collection}/reviews`)).status).toBe(404);
    // Built-in resources stay read-only.
    expect((await call('POST', '/api/v1/namespaces/default/services', {})).status).toBe(405);
  });

  it('answers writes the RBAC denies with 403 naming the verb, and watches at the version asked', async () => {
    fake.installCrd(RULE_CRDS.virtualServices);
    fake.inject({ status: 403, resource: 'virtualservices', verb: 'create' });
    const denied = await call('POST', `${VS('v1beta1')}/namespaces/default/virtualservices`, {
      ...vs('reviews', 'v1'),
      apiVersion: 'networking.istio.io/v1beta1',
    });
    expect(denied.body.message).toBe(
      'virtualservices.networking.istio.io is forbidden: User "system:serviceaccount:sextant:sextant" cannot ' +
        'create resource "virtualservices" in API group "networking.istio.io" in the namespace "default"',
    );

    const lines: string[] = [];
    const watch = request(`${fake.url}${VS('v1beta1')}/virtualservices?watch=true&resourceVersion=500`);
    watch.on('response', (response: IncomingMessage) => {
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => lines.push(...chunk.split('\n').filter((l) => l !== '')));
    });
    watch.on('error', () => undefined);
    watch.end();
    await waitFor(() => fake.openWatches('virtualservices') === 1);
    fake.put(vs('reviews', 'v1'));
    fake.uninstallCrd('virtualservices.networking.istio.io');
    await waitFor(() => lines.length === 2 && fake.openWatches() === 0);
    expect(lines.map((l) => JSON.parse(l) as Event).map((e) => [e.type, e.object.apiVersion])).toEqual([
      ['ADDED', 'networking.istio.io/v1beta1'],
      ['DELETED', 'networking.istio.io/v1beta1'],
    ]);
    expect((await call('GET', `${VS('v1')}/virtualservices`)).status).toBe(404);
    watch.destroy();
  });
});
