import { waitFor } from '@sextant/testkit';
import { k8sService, RULE_CRDS } from '@sextant/testkit/kubernetes';
import { customResource, virtualService } from './support/rule-objects';
import { AdapterWorld, FAST_TIMING } from './support/run-adapter';

const REVIEWS = 'reviews.default.svc.cluster.local';
const VS_ORIGIN = 'virtualservices.networking.istio.io';

describe('kubernetes adapter: rule kinds absent, forbidden, and expired', () => {
  let world: AdapterWorld;
  beforeEach(async () => {
    world = await AdapterWorld.start();
  });
  afterEach(() => world.close());

  const vsRequests = () => world.fake.requests.filter((r) => r.path.includes('/virtualservices'));
  const ruleNames = (a: ReturnType<AdapterWorld['run']>) =>
    a.sink.rules.map((r) => `${r.kind} ${r.metadata.namespace}/${r.metadata.name}`);

  it('is ready with no rules when no CRD is installed, asks once per version, and logs it once', async () => {
    const a = world.run();
    await a.ready();
    expect(a.sink.rules).toEqual([]);
    // Settled: with the default recheck period, nothing more is asked (no error loop).
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(vsRequests().map((r) => `${r.path} ${r.status}`)).toEqual([
      '/apis/networking.istio.io/v1/virtualservices 404',
      '/apis/networking.istio.io/v1beta1/virtualservices 404',
      '/apis/networking.istio.io/v1alpha3/virtualservices 404',
    ]);
    expect(a.sink.status).toBe('ready');
    expect(a.sink.calls.filter((c) => c.method === 'setStatus').map((c) => c.status)).toEqual(['ready']);
    const absentLines = a.logger.records.filter(
      (r) => r.msg.includes('CRD not installed') && r.fields.resource === VS_ORIGIN,
    );
    expect(absentLines.map((r) => r.level)).toEqual(['info']);
    expect(a.logger.records.filter((r) => r.level === 'warn' || r.level === 'error')).toEqual([]);
  });

  it('picks up a CRD installed later, and drops its rules when it is deleted', async () => {
    const a = world.run(undefined, { timing: { ...FAST_TIMING, crdRecheckMs: 200 } });
    await a.ready();
    const started = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    // A few looks a second at most, three requests each.
    expect(vsRequests().length).toBeLessThanOrEqual(3 * (1 + Math.ceil((Date.now() - started) / 180)));

    world.fake.installCrd(RULE_CRDS.virtualServices);
    world.fake.put(virtualService('default', 'reviews', REVIEWS));
    await waitFor(() => ruleNames(a).includes('VirtualService default/reviews'), {
      message: 'the rule of the CRD installed later',
    });
    world.fake.put(virtualService('default', 'ratings', 'ratings.default.svc.cluster.local'));
    await waitFor(() => ruleNames(a).length === 2, { message: 'a rule created after, through the watch' });

    world.fake.uninstallCrd('virtualservices.networking.istio.io');
    await waitFor(() => a.sink.rules.length === 0, { message: 'the rules of the deleted CRD to go' });
    expect(a.sink.status).toBe('ready');
    // And back: it keeps looking.
    world.fake.installCrd(RULE_CRDS.virtualServices);
    world.fake.put(virtualService('default', 'reviews', REVIEWS));
    await waitFor(() => ruleNames(a).includes('VirtualService default/reviews'), {
      message: 'the rule of the CRD installed again',
    });
  });

  it('is degraded naming the RBAC verb and resource on 403, keeping the last rules, other kinds still served', async () => {
    world.fake.installCrd(RULE_CRDS.virtualServices);
    world.fake.installCrd(RULE_CRDS.destinationRules);
    world.fake.put(virtualService('default', 'reviews', REVIEWS));
    const a = world.run();
    await a.ready();
    await waitFor(() => world.fake.openWatches(VS_ORIGIN.split('.')[0]) === 1);

    // RBAC taken away: the watch is dropped and comes back to a 403.
    const forbidden = world.fake.forbid('virtualservices');
    world.fake.resetWatches();
    await waitFor(() => a.sink.status === 'degraded', { message: () => `degraded; ${a.sink.status}` });
    expect(a.sink.detail).toMatch(
      /^virtualservices\.networking\.istio\.io: forbidden: (watch|list) virtualservices\.networking\.istio\.io \(needs get,list,watch\) for User "system:serviceaccount:sextant:sextant"$/,
    );
    expect(ruleNames(a)).toEqual(['VirtualService default/reviews']);
    // Other kinds are read on.
    world.fake.put(
      customResource('networking.istio.io/v1', 'DestinationRule', 'default', 'reviews', { host: REVIEWS }),
    );
    await waitFor(() => ruleNames(a).includes('DestinationRule default/reviews'));
    expect(a.sink.status).toBe('degraded');

    forbidden.remove();
    await a.ready();
    expect(ruleNames(a)).toEqual(['DestinationRule default/reviews', 'VirtualService default/reviews']);
  });

  it('is degraded naming list on a 403 at start-up, serving the services meanwhile, and ready once allowed', async () => {
    world.fake.installCrd(RULE_CRDS.virtualServices);
    world.fake.put(virtualService('default', 'reviews', REVIEWS));
    world.fake.put(k8sService({ name: 'reviews', ports: [{ name: 'http', port: 9080 }] }));
    const forbidden = world.fake.forbid('virtualservices');
    const a = world.run();
    await waitFor(() => a.sink.status === 'degraded', { message: () => `degraded; ${a.sink.status}` });
    expect(a.sink.detail).toBe(
      'virtualservices.networking.istio.io: forbidden: list virtualservices.networking.istio.io (needs get,list,watch) ' +
        'for User "system:serviceaccount:sextant:sextant"',
    );
    // The first sync did not wait for the permission: the services are there, the rules not yet.
    expect([...a.sink.services.keys()]).toEqual([REVIEWS]);
    expect(a.sink.rules).toEqual([]);
    forbidden.remove();
    await a.ready();
    await waitFor(() => ruleNames(a).length === 1);
    expect(ruleNames(a)).toEqual(['VirtualService default/reviews']);
  });

  it('relists after a 410 and drops the rules deleted while it was not watching', async () => {
    world.fake.installCrd(RULE_CRDS.virtualServices);
    world.fake.put(virtualService('default', 'reviews', REVIEWS));
    world.fake.put(virtualService('default', 'ratings', 'ratings.default.svc.cluster.local'));
    const a = world.run();
    await a.ready();
    await waitFor(() => world.fake.openWatches('virtualservices') === 1);
    const lists = () => world.fake.requestsFor('virtualservices', 'list').length;
    const listsBefore = lists();

    world.fake.outage();
    await waitFor(() => a.sink.status === 'degraded');
    world.fake.remove('VirtualService', 'default', 'ratings');
    world.fake.compact();
    world.fake.restore();
    await waitFor(() => ruleNames(a).length === 1, { timeoutMs: 15_000, message: 'the missed delete' });
    expect(ruleNames(a)).toEqual(['VirtualService default/reviews']);
    await a.ready();
    expect(lists()).toBe(listsBefore + 1);
    expect(
      world.fake
        .requestsFor('virtualservices', 'watch')
        .some((r) => r.status === 200 && r.query.resourceVersion),
    ).toBe(true);
  });
});
