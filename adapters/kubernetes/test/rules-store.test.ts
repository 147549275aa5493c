import { ruleVersion, RuleStoreUnavailable, type RuleResource, type RuleStore } from '@sextant/core';
import { waitFor } from '@sextant/testkit';
import { RULE_CRDS } from '@sextant/testkit/kubernetes';
import { virtualService } from './support/rule-objects';
import { AdapterWorld } from './support/run-adapter';

const REVIEWS = 'reviews.default.svc.cluster.local';
const IDENTITY = { kind: 'VirtualService', namespace: 'default', name: 'reviews' };

const reviews = (subset: string, apiVersion = 'networking.istio.io/v1'): RuleResource => ({
  apiVersion,
  kind: 'VirtualService',
  metadata: { name: 'reviews', namespace: 'default' },
  spec: { hosts: [REVIEWS], http: [{ route: [{ destination: { host: REVIEWS, subset } }] }] },
});

describe('kubernetes adapter: the rule store (custom resources written through the API server)', () => {
  let world: AdapterWorld;
  beforeEach(async () => {
    world = await AdapterWorld.start();
  });
  afterEach(() => world.close());

  async function running() {
    const a = world.run();
    await a.ready();
    return a;
  }

  it('creates, replaces and deletes a VirtualService; the watch brings each write back with the same version', async () => {
    world.fake.installCrd({ ...RULE_CRDS.virtualServices, versions: ['v1beta1', 'v1alpha3'] });
    const a = await running();
    const store = a.ruleStore as RuleStore;
    expect(store).toBeDefined();
    expect(await store.get(IDENTITY)).toBeUndefined();

    // Written at the version the cluster serves, whatever version was sent.
    const created = await store.put(reviews('v1', 'networking.istio.io/v1'));
    expect(created.resource).toEqual(reviews('v1', 'networking.istio.io/v1beta1'));
    expect(created.version).toBe(ruleVersion(reviews('v1', 'networking.istio.io/v1beta1')));
    expect(
      world.fake.requests.filter((r) => r.method === 'POST').map((r) => `${r.path} ${r.status}`),
    ).toEqual(['/apis/networking.istio.io/v1beta1/namespaces/default/virtualservices 201']);
    await waitFor(() => a.sink.rules.length === 1, { message: 'the write to come back through the watch' });
    const { source: _source, ...reported } = a.sink.rules[0] as RuleResource;
    expect(ruleVersion(reported)).toBe(created.version);
    expect(await store.get(IDENTITY)).toEqual(created);

    // Labels an operator put on it survive a replace.
    const stored = world.fake.get('VirtualService', 'default', 'reviews');
    world.fake.put({
      ...stored,
      metadata: { ...stored?.metadata, name: 'reviews', labels: { team: 'books' } },
    });
    const replaced = await store.put(reviews('v2'));
    expect(replaced.version).not.toBe(created.version);
    expect(world.fake.get('VirtualService', 'default', 'reviews')?.metadata.labels).toEqual({
      team: 'books',
    });
    await waitFor(() => JSON.stringify(a.sink.rules).includes('"subset":"v2"'));
    expect((await store.get(IDENTITY))?.version).toBe(replaced.version);

    expect(await store.delete(IDENTITY)).toBe(true);
    expect(await store.delete(IDENTITY)).toBe(false);
    expect(await store.get(IDENTITY)).toBeUndefined();
    await waitFor(() => a.sink.rules.length === 0);
  });

  it('reads again and retries when another writer came between its read and its write (409)', async () => {
    world.fake.installCrd(RULE_CRDS.virtualServices);
    world.fake.put(virtualService('default', 'reviews', REVIEWS));
    const a = await running();
    const store = a.ruleStore as RuleStore;
    expect(store).toBeDefined();
    // Another writer replaces the rule right after each of the store's first two reads.
    let races = 0;
    const off = world.fake.onRequest((request) => {
      if (request.method === 'GET' && request.path.endsWith('/virtualservices/reviews') && races < 2) {
        races += 1;
        world.fake.touch('VirtualService', 'default', 'reviews');
      }
    });
    const written = await store.put(reviews('v3'));
    off();
    const statuses = world.fake.requests.filter((r) => r.method === 'PUT').map((r) => r.status);
    expect(statuses).toEqual([409, 409, 200]);
    expect(written.resource.spec).toEqual(reviews('v3').spec);
    expect(world.fake.get('VirtualService', 'default', 'reviews')?.spec).toEqual(reviews('v3').spec);
  });

  it('refuses with RuleStoreUnavailable naming the RBAC it lacks, a CRD not installed, or a kind it does not hold', async () => {
    world.fake.installCrd(RULE_CRDS.virtualServices);
    const a = await running();
    const store = a.ruleStore as RuleStore;
    expect(store).toBeDefined();
    const forbidden = world.fake.inject({ status: 403, resource: 'virtualservices', verb: 'create' });
    const refused = await store.put(reviews('v1')).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(RuleStoreUnavailable);
    expect((refused as Error).message).toMatch(
      /create VirtualService default\/reviews failed \(needs create on virtualservices\.networking\.istio\.io\): .*cannot create resource "virtualservices"/,
    );
    forbidden.remove();

    const dr = { kind: 'DestinationRule', namespace: 'default', name: 'reviews' };
    await expect(store.get(dr)).rejects.toThrow(
      /does not serve destinationrules\.networking\.istio\.io \(is its CRD installed\?\)/,
    );
    await expect(store.get({ kind: 'Gateway', namespace: 'default', name: 'x' })).rejects.toThrow(
      /cannot hold Gateway default\/x: it stores VirtualService, /,
    );
  });
});
