import { waitFor } from '@sextant/testkit';
import { RULE_CRDS } from '@sextant/testkit/kubernetes';
import { customResource, ISTIO_NETWORKING, virtualService } from './support/rule-objects';
import { AdapterWorld, FAST_TIMING } from './support/run-adapter';

const REVIEWS = 'reviews.default.svc.cluster.local';
const VS_ORIGIN = 'virtualservices.networking.istio.io';

describe('kubernetes adapter: traffic rules from custom resources', () => {
  let world: AdapterWorld;
  beforeEach(async () => {
    world = await AdapterWorld.start();
  });
  afterEach(() => world.close());

  /** The rules of one origin as the sink last had them: `Kind ns/name apiVersion`. */
  const rulesOf = (a: ReturnType<AdapterWorld['run']>, origin: string) => {
    const last = a.sink.calls.filter((c) => c.method === 'replaceRules' && c.origin === origin).at(-1);
    return last?.method === 'replaceRules'
      ? last.rules.map((r) => `${r.kind} ${r.metadata.namespace}/${r.metadata.name} ${r.apiVersion}`)
      : undefined;
  };

  it('reads VirtualServices, DestinationRules and ServiceEntries at v1, all reported before ready', async () => {
    for (const crd of ISTIO_NETWORKING) world.fake.installCrd(crd);
    world.fake.put(virtualService('default', 'reviews', REVIEWS));
    world.fake.put(
      customResource('networking.istio.io/v1', 'DestinationRule', 'default', 'reviews', {
        host: REVIEWS,
        subsets: [{ name: 'v1', labels: { version: 'v1' } }],
      }),
    );
    world.fake.put(
      customResource('networking.istio.io/v1', 'ServiceEntry', 'web', 'payments', {
        hosts: ['payments.example.com'],
        ports: [{ number: 443, name: 'https', protocol: 'HTTPS' }],
        resolution: 'DNS',
      }),
    );
    const a = world.run();
    await a.ready();
    const calls = a.callsSince(0);
    // The rules are in the partition before ready: the first snapshot has them.
    expect(calls.indexOf('setStatus ready')).toBeGreaterThan(calls.lastIndexOf('replaceRules'));
    expect(a.sink.rules).toEqual([
      {
        apiVersion: 'networking.istio.io/v1',
        kind: 'DestinationRule',
        metadata: { name: 'reviews', namespace: 'default' },
        spec: { host: REVIEWS, subsets: [{ name: 'v1', labels: { version: 'v1' } }] },
        source: 'kubernetes:DestinationRule default/reviews',
      },
      expect.objectContaining({
        kind: 'ServiceEntry',
        metadata: { name: 'payments', namespace: 'web' },
        source: 'kubernetes:ServiceEntry web/payments',
      }),
      expect.objectContaining({
        apiVersion: 'networking.istio.io/v1',
        kind: 'VirtualService',
        metadata: { name: 'reviews', namespace: 'default' },
        spec: { hosts: [REVIEWS], http: [{ route: [{ destination: { host: REVIEWS, subset: 'v1' } }] }] },
        source: 'kubernetes:VirtualService default/reviews',
      }),
    ]);
    expect(world.fake.requests.some((r) => r.path === '/apis/networking.istio.io/v1/virtualservices')).toBe(
      true,
    );

    // Changes arrive through the watch, one origin re-reported each time.
    world.fake.put(virtualService('default', 'reviews', REVIEWS, 'v2'));
    await waitFor(() => JSON.stringify(a.sink.rules).includes('"subset":"v2"'));
    world.fake.put(virtualService('default', 'ratings', 'ratings.default.svc.cluster.local'));
    await waitFor(() => rulesOf(a, VS_ORIGIN)?.length === 2);
    world.fake.remove('VirtualService', 'default', 'reviews');
    await waitFor(() => rulesOf(a, VS_ORIGIN)?.length === 1);
    expect(rulesOf(a, VS_ORIGIN)).toEqual(['VirtualService default/ratings networking.istio.io/v1']);
    // A write that changes nothing a rule is made of (an annotation) is no report.
    const reports = a.sink.calls.length;
    world.fake.touch('VirtualService', 'default', 'ratings');
    world.fake.put(virtualService('default', 'marker', 'marker.default.svc.cluster.local'));
    await waitFor(() => rulesOf(a, VS_ORIGIN)?.length === 2);
    expect(a.sink.calls.length).toBe(reports + 1);
  });

  it.each([
    [['v1beta1', 'v1alpha3'], 'networking.istio.io/v1beta1'],
    [['v1alpha3'], 'networking.istio.io/v1alpha3'],
  ])('falls back to the first version served when v1 is not (%j)', async (versions, apiVersion) => {
    world.fake.installCrd({ ...RULE_CRDS.virtualServices, versions });
    world.fake.put(virtualService('default', 'reviews', REVIEWS, 'v1', apiVersion));
    const a = world.run();
    await a.ready();
    expect(rulesOf(a, VS_ORIGIN)).toEqual([`VirtualService default/reviews ${apiVersion}`]);
    // It watches there too.
    world.fake.put(
      virtualService('default', 'ratings', 'ratings.default.svc.cluster.local', 'v1', apiVersion),
    );
    await waitFor(() => rulesOf(a, VS_ORIGIN)?.length === 2);
    expect(
      world.fake.requests.filter((r) => r.path.includes('/v1/virtualservices')).map((r) => r.status),
    ).toEqual([404]);
  });

  it('reads the legacy config.istio.io/v1alpha2 RouteRules, DestinationPolicies and EgressRules', async () => {
    for (const crd of [RULE_CRDS.routeRules, RULE_CRDS.destinationPolicies, RULE_CRDS.egressRules])
      world.fake.installCrd(crd);
    const legacy = 'config.istio.io/v1alpha2';
    world.fake.put(
      customResource(legacy, 'RouteRule', 'default', 'reviews-default', {
        destination: { name: 'reviews' },
        precedence: 1,
        route: [{ labels: { version: 'v1' } }],
      }),
    );
    world.fake.put(
      customResource(legacy, 'DestinationPolicy', 'default', 'reviews-cb', {
        destination: { name: 'reviews', labels: { version: 'v1' } },
        circuitBreaker: { simpleCb: { maxConnections: 1 } },
      }),
    );
    world.fake.put(
      customResource(legacy, 'EgressRule', 'default', 'google', {
        destination: { service: '*.google.com' },
        ports: [{ port: 443, protocol: 'https' }],
      }),
    );
    const a = world.run();
    await a.ready();
    expect(
      a.sink.rules.map((r) => `${r.kind} ${r.metadata.namespace}/${r.metadata.name} ${r.apiVersion}`),
    ).toEqual([
      `DestinationPolicy default/reviews-cb ${legacy}`,
      `EgressRule default/google ${legacy}`,
      `RouteRule default/reviews-default ${legacy}`,
    ]);
    expect(
      world.fake.requests.filter((r) => r.path.includes('config.istio.io')).map((r) => r.path),
    ).toContain('/apis/config.istio.io/v1alpha2/routerules');
  });

  it('reports Gateway API HTTPRoutes as they are stored, with the creation time that breaks precedence ties', async () => {
    world.fake.installCrd(RULE_CRDS.httpRoutes);
    const spec = {
      parentRefs: [{ group: '', kind: 'Service', name: 'reviews', port: 9080 }],
      rules: [
        {
          backendRefs: [
            { name: 'reviews-v2', port: 9080, weight: 90 },
            { name: 'reviews-v1', port: 9080 },
          ],
        },
      ],
    };
    world.fake.put(customResource('gateway.networking.k8s.io/v1', 'HTTPRoute', 'default', 'reviews', spec));
    const a = world.run();
    await a.ready();
    expect(a.sink.rules).toEqual([
      {
        apiVersion: 'gateway.networking.k8s.io/v1',
        kind: 'HTTPRoute',
        metadata: {
          name: 'reviews',
          namespace: 'default',
          creationTimestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
        },
        spec,
        source: 'kubernetes:HTTPRoute default/reviews',
      },
    ]);
    expect(rulesOf(a, 'httproutes.gateway.networking.k8s.io')).toHaveLength(1);
  });

  it('reads rules only in the namespaces it watches, and not at all with rules.enabled false', async () => {
    world.fake.installCrd(RULE_CRDS.virtualServices);
    world.fake.put(virtualService('web', 'front', 'front.web.svc.cluster.local'));
    world.fake.put(virtualService('default', 'reviews', REVIEWS));
    const scoped = world.run({ kubeconfig: world.kubeconfig(), namespaces: ['web'] });
    await scoped.ready();
    expect(rulesOf(scoped, VS_ORIGIN)).toEqual(['VirtualService web/front networking.istio.io/v1']);
    expect(world.fake.requests.map((r) => r.path)).not.toContain(
      '/apis/networking.istio.io/v1/virtualservices',
    );

    const off = world.run(
      { kubeconfig: world.kubeconfig(), rules: { enabled: false } },
      { timing: FAST_TIMING },
    );
    await off.ready();
    expect(off.sink.calls.filter((c) => c.method === 'replaceRules')).toEqual([]);
    expect(off.sink.rules).toEqual([]);
  });
});
