import { waitFor } from '@sextant/testkit';
import { k8sEndpointSlice, k8sNode, k8sPod, k8sService } from '@sextant/testkit/kubernetes';
import { CLUSTER_LABEL } from '../src/to-instances';
import { FIXTURE_PODS, fixtureEvents, loadFixtureWorld } from './support/fixture-world';
import { AdapterWorld } from './support/run-adapter';

const WEB = 'web.default.svc.cluster.local';
const API = 'api.default.svc.cluster.local';

describe('kubernetes adapter: sync and incremental updates', () => {
  let world: AdapterWorld;
  beforeEach(async () => {
    world = await AdapterWorld.start();
  });
  afterEach(() => world.close());

  it('lists the four kinds, reports the whole cluster in one replaceAll, then ready', async () => {
    loadFixtureWorld(world.fake);
    const a = world.run();
    await a.ready();
    // The rules of each kind of rule too: none, since no rule CRD is installed.
    expect(a.callsSince(0)).toEqual(['replaceAll', ...Array(7).fill('replaceRules'), 'setStatus ready']);
    expect(a.sink.rules).toEqual([]);
    expect([...a.sink.services.keys()].sort()).toEqual([API, WEB]);
    expect(a.endpoints(WEB)).toEqual([
      '10.0.1.11:8080 healthy',
      '10.0.1.12:8080 draining',
      '10.0.1.13:8080 unhealthy',
    ]);
    expect(a.endpoints(API)).toEqual(['10.0.2.21:9090 healthy']);
    expect(a.sink.services.get(WEB)?.service).toEqual({
      hostname: WEB,
      ports: [{ name: 'http', port: 80, protocol: 'http' }],
      labels: { app: 'web', 'sextant.io/version': 'v1' },
      addresses: ['10.96.120.15'],
    });
    expect(a.sink.services.get(WEB)?.instances[0]).toMatchObject({
      labels: { ...FIXTURE_PODS['web-6d8f9c7b5-h2kxp'], [CLUSTER_LABEL]: 'k8s' },
      locality: { region: 'eu-west-1', zone: 'zone-a' },
    });

    const lists = world.fake.requestsFor(undefined, 'list');
    expect(lists.map((r) => r.path).sort()).toEqual([
      '/api/v1/nodes',
      '/api/v1/pods',
      '/api/v1/services',
      '/apis/discovery.k8s.io/v1/endpointslices',
    ]);
    // Pods and nodes are read for their labels alone: only their metadata is asked for.
    expect(world.fake.requestsFor('pods', 'list')[0]?.accept).toMatch(
      /^application\/json;as=PartialObjectMetadataList/,
    );
    await waitFor(() => world.fake.openWatches() === 4);
    for (const watch of world.fake.requestsFor(undefined, 'watch')) {
      expect(watch.query).toMatchObject({
        allowWatchBookmarks: 'true',
        resourceVersion: expect.stringMatching(/^\d+$/),
      });
    }
  });

  it('follows the fixture watch stream, one upsert per change to a service', async () => {
    loadFixtureWorld(world.fake);
    const a = world.run();
    await a.ready();
    await waitFor(() => world.fake.openWatches() === 4);
    const mark = a.sink.calls.length;
    const events = fixtureEvents().filter((e) => e.type !== 'BOOKMARK' && e.type !== 'ERROR');
    world.fake.put(
      k8sPod({ name: 'web-canary-5f4d7b9c8-k7vqs', labels: FIXTURE_PODS['web-canary-5f4d7b9c8-k7vqs'] }),
    );
    for (const event of events) {
      if (event.type === 'DELETED') world.fake.remove('EndpointSlice', 'default', event.object.metadata.name);
      else world.fake.put(event.object);
      // One event at a time, as the API server would stream them apart.
      await waitFor(() => a.sink.calls.length > mark + events.indexOf(event));
    }
    expect(a.callsSince(mark)).toEqual([
      `upsertService ${WEB}`,
      `upsertService ${WEB}`,
      `upsertService ${WEB}`,
      `upsertService ${API}`,
    ]);
    expect(a.endpoints(WEB)).toEqual([
      '10.0.1.11:8080 healthy',
      '10.0.1.13:8080 healthy',
      '10.0.1.14:8081 healthy',
    ]);
    expect(a.sink.services.get(WEB)?.instances.find((i) => i.port === 8081)?.labels?.version).toBe('v2');
    expect(a.endpoints(API)).toEqual([]);
  });

  it('reports nothing for MODIFIED events that change nothing the model uses', async () => {
    loadFixtureWorld(world.fake);
    world.fake.put(k8sService({ name: 'other', ports: [{ name: 'http', port: 80 }] }));
    world.fake.put(k8sPod({ name: 'other-1', labels: { app: 'other' } }));
    world.fake.put(k8sNode({ name: 'node-c', region: 'eu-west-1' }));
    world.fake.put(
      k8sEndpointSlice({
        name: 'other-1',
        service: 'other',
        endpoints: [{ address: '10.0.9.1', pod: 'other-1', nodeName: 'node-c' }],
        ports: [{ name: 'http', port: 8080 }],
      }),
    );
    const a = world.run();
    await a.ready();
    await waitFor(() => world.fake.openWatches() === 4);
    const mark = a.sink.calls.length;

    // No-op updates: annotations and managedFields bumps, a pod's status, a node's heartbeat…
    world.fake.touch('EndpointSlice', 'default', 'web-7k2xq');
    world.fake.touch('Service', 'default', 'web');
    world.fake.touch('Pod', 'default', 'web-6d8f9c7b5-h2kxp');
    world.fake.put(
      k8sPod({ name: 'web-6d8f9c7b5-q9wzt', labels: FIXTURE_PODS['web-6d8f9c7b5-q9wzt'], ready: false }),
    );
    world.fake.touch('Node', undefined, 'node-a');
    // …then, on each of the four streams, a change that does matter, to know the no-ops were read.
    world.fake.put(
      k8sService({
        name: 'other',
        ports: [
          { name: 'http', port: 80 },
          { name: 'grpc', port: 81 },
        ],
      }),
    );
    world.fake.put(k8sPod({ name: 'other-1', labels: { app: 'other', version: 'v9' } }));
    world.fake.put(k8sNode({ name: 'node-c', region: 'eu-central-1' }));
    world.fake.put(
      k8sEndpointSlice({
        name: 'other-1',
        service: 'other',
        endpoints: [{ address: '10.0.9.2', pod: 'other-1', nodeName: 'node-c' }],
        ports: [{ name: 'http', port: 8080 }],
      }),
    );
    const other = 'other.default.svc.cluster.local';
    await waitFor(() => a.endpoints(other)?.[0] === '10.0.9.2:8080 healthy');
    await waitFor(() => a.sink.services.get(other)?.instances[0]?.locality?.region === 'eu-central-1');
    expect(new Set(a.callsSince(mark))).toEqual(new Set([`upsertService ${other}`]));
  });

  it('re-reports only the services a relabelled pod backs', async () => {
    loadFixtureWorld(world.fake);
    const a = world.run();
    await a.ready();
    await waitFor(() => world.fake.openWatches() === 4);
    const mark = a.sink.calls.length;
    world.fake.put(k8sPod({ name: 'web-6d8f9c7b5-h2kxp', labels: { app: 'web', version: 'v3' } }));
    await waitFor(() => a.sink.calls.length > mark);
    expect(a.callsSince(mark)).toEqual([`upsertService ${WEB}`]);
    expect(a.sink.services.get(WEB)?.instances.find((i) => i.address === '10.0.1.11')?.labels?.version).toBe(
      'v3',
    );
  });

  it('takes objects in any order: a slice before its Service, a Service deleted before its slices', async () => {
    const a = world.run();
    await a.ready();
    await waitFor(() => world.fake.openWatches() === 4);
    world.fake.put(
      k8sEndpointSlice({
        name: 'late-1',
        service: 'late',
        endpoints: [{ address: '10.0.5.1' }],
        ports: [{ name: 'http', port: 8080 }],
      }),
    );
    world.fake.put(k8sService({ name: 'late', ports: [{ name: 'http', port: 80 }] }));
    const late = 'late.default.svc.cluster.local';
    await waitFor(() => a.endpoints(late)?.length === 1);
    world.fake.remove('Service', 'default', 'late');
    await waitFor(() => !a.sink.services.has(late));
    world.fake.remove('EndpointSlice', 'default', 'late-1');
    world.fake.put(k8sService({ name: 'late', ports: [{ name: 'http', port: 80 }] }));
    await waitFor(() => a.sink.services.has(late));
    expect(a.endpoints(late)).toEqual([]);
  });

  it('watches only the namespaces it is given', async () => {
    world.fake.put(k8sService({ name: 'web', namespace: 'default', ports: [{ name: 'http', port: 80 }] }));
    world.fake.put(k8sService({ name: 'pay', namespace: 'payments', ports: [{ name: 'http', port: 80 }] }));
    world.fake.put(k8sService({ name: 'ship', namespace: 'shipping', ports: [{ name: 'http', port: 80 }] }));
    const a = world.run({ kubeconfig: world.kubeconfig(), namespaces: ['payments', 'shipping'] });
    await a.ready();
    expect([...a.sink.services.keys()].sort()).toEqual([
      'pay.payments.svc.cluster.local',
      'ship.shipping.svc.cluster.local',
    ]);
    const namespaced = world.fake.requests.filter((r) => r.resource !== 'nodes');
    // Rule kinds whose CRDs are not installed are asked for in those namespaces too (and get 404).
    const namespaceOf = (path: string) => /\/namespaces\/([^/]+)\//.exec(path)?.[1];
    expect(new Set(namespaced.map((r) => namespaceOf(r.path)))).toEqual(new Set(['payments', 'shipping']));
    world.fake.put(k8sService({ name: 'web2', namespace: 'default', ports: [{ name: 'http', port: 80 }] }));
    world.fake.put(k8sService({ name: 'pay2', namespace: 'payments', ports: [{ name: 'http', port: 80 }] }));
    await waitFor(() => a.sink.services.has('pay2.payments.svc.cluster.local'));
    expect(a.sink.services.has('web2.default.svc.cluster.local')).toBe(false);
  });

  it('names hostnames after clusterDomain and labels instances with clusterName', async () => {
    world.fake.put(k8sService({ name: 'web', ports: [{ name: 'http', port: 80 }] }));
    world.fake.put(
      k8sEndpointSlice({
        name: 'web-1',
        service: 'web',
        endpoints: [{ address: '10.0.0.1' }],
        ports: [{ name: 'http', port: 80 }],
      }),
    );
    const a = world.run({
      kubeconfig: world.kubeconfig(),
      clusterDomain: 'east.example',
      clusterName: 'east',
    });
    await a.ready();
    expect(a.sink.services.get('web.default.svc.east.example')?.instances[0]?.labels).toEqual({
      [CLUSTER_LABEL]: 'east',
    });
  });

  it('counts ExternalName services it skips, in the first-sync log', async () => {
    world.fake.put(
      k8sService({ name: 'ext', type: 'ExternalName', externalName: 'db.example.com', ports: [] }),
    );
    world.fake.put(k8sService({ name: 'web', ports: [{ name: 'http', port: 80 }] }));
    const a = world.run();
    await a.ready();
    expect([...a.sink.services.keys()]).toEqual([WEB]);
    const synced = a.logger.records.find((r) => r.msg === 'first sync complete');
    expect(synced?.fields).toMatchObject({ services: 1, externalNameSkipped: 1, cluster: 'k8s' });
  });
});
