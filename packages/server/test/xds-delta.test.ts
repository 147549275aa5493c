import { waitFor } from '@sextant/testkit';
import type { ProxyStatus } from '../src';
import {
  CLUSTER,
  ENDPOINT,
  ENVOY_NODE,
  getJson,
  LISTENER,
  seedMesh,
  startXdsHarness,
  type XdsHarness,
} from './xds-harness';

const REVIEWS_KEY = 'reviews.default.svc.cluster.local|http';
const RATINGS_KEY = 'ratings.default.svc.cluster.local|grpc';
const MONGO_CLUSTER = 'outbound|27017||mongodb.default.svc.cluster.local';

/** An endpoint change: reviews (HTTP, 9080) with its one instance at `address`. */
function moveReviews(h: XdsHarness, address: string): void {
  h.sink.upsertService(
    {
      hostname: 'reviews.default.svc.cluster.local',
      ports: [{ name: 'http', port: 9080, protocol: 'http' }],
    },
    [{ address, port: 9080, portName: 'http' }],
  );
}

/** An endpoint change: ratings (gRPC, 9090) with its one instance at `address`. */
function moveRatings(h: XdsHarness, address: string): void {
  h.sink.upsertService(
    {
      hostname: 'ratings.default.svc.cluster.local',
      ports: [{ name: 'grpc', port: 9090, protocol: 'grpc' }],
    },
    [{ address, port: 9090, portName: 'grpc' }],
  );
}

async function edsStatus(h: XdsHarness): Promise<ProxyStatus['types'][string] | undefined> {
  return ((await getJson(`${h.admin}/debug/proxies`)).body as { clients: ProxyStatus[] }).clients.filter(
    (c) => c.status === 'connected',
  )[0]?.types.eds;
}

describe('xDS incremental (delta ADS)', () => {
  let h: XdsHarness;
  beforeEach(async () => {
    h = await startXdsHarness();
    seedMesh(h.sink);
    h.sink.setStatus('ready');
  });
  afterEach(() => h.close());

  it('sends a wildcard its resources with per-resource versions, then only what changed, and removals', async () => {
    const ads = h.delta();
    ads.send({ node: ENVOY_NODE, type_url: CLUSTER });
    const first = await ads.next();
    expect(first.names).toEqual([
      'inbound|9080||reviews.default.svc.cluster.local',
      'BlackHoleCluster',
      MONGO_CLUSTER,
      'outbound|9090||ratings.default.svc.cluster.local',
      'outbound|9080||reviews.default.svc.cluster.local',
    ]);
    expect(first.resources.every((r) => /^[0-9a-f]{16}$/.test(r.version))).toBe(true);
    expect(first.removed_resources).toEqual([]);
    ads.send({ type_url: CLUSTER, response_nonce: first.nonce });

    // One new service: exactly its cluster.
    h.sink.upsertService({ hostname: 'web.example', ports: [{ name: 'http', port: 80, protocol: 'http' }] }, [
      { address: '10.9.0.1', port: 8080, portName: 'http' },
    ]);
    h.publish();
    const added = await ads.next();
    expect(added.names).toEqual(['outbound|80||web.example']);
    expect(added.removed_resources).toEqual([]);

    // A service removed: its cluster in removed_resources, nothing else.
    h.sink.removeService('mongodb.default.svc.cluster.local');
    h.publish();
    const removed = await ads.next();
    expect(removed.names).toEqual([]);
    expect(removed.removed_resources).toEqual([MONGO_CLUSTER]);
  });

  it('on reconnect, sends only what differs from initial_resource_versions and removes what is gone', async () => {
    const first = h.delta();
    first.send({ node: ENVOY_NODE, type_url: CLUSTER });
    const had = await first.next();
    first.close();
    const versions = Object.fromEntries(had.resources.map((r) => [r.name, r.version]));

    h.sink.removeService('mongodb.default.svc.cluster.local');
    h.sink.upsertService(
      {
        hostname: 'ratings.default.svc.cluster.local',
        ports: [{ name: 'grpc', port: 9090, protocol: 'tcp' }],
      },
      [{ address: '10.0.2.21', port: 9090, portName: 'grpc' }],
    );
    // Same content under a new entry: same version, not re-sent.
    h.sink.upsertService(
      {
        hostname: 'reviews.default.svc.cluster.local',
        ports: [{ name: 'http', port: 9080, protocol: 'http' }],
        addresses: ['10.0.0.31'],
      },
      [{ address: '10.0.1.11', port: 9080, portName: 'http' }],
    );
    h.publish();

    const again = h.delta();
    again.send({
      node: ENVOY_NODE,
      type_url: CLUSTER,
      initial_resource_versions: { ...versions, 'outbound|1||gone.example': 'x' },
    });
    const response = await again.next();
    // ratings is now plain TCP (no HTTP/2 options): a new version of the same name; nothing else.
    expect(response.names).toEqual(['outbound|9090||ratings.default.svc.cluster.local']);
    expect(response.resources[0]?.version).not.toBe(
      versions['outbound|9090||ratings.default.svc.cluster.local'],
    );
    expect(response.removed_resources.sort()).toEqual([MONGO_CLUSTER, 'outbound|1||gone.example'].sort());
  });

  it('answers a subscribed name that does not exist in removed_resources, and subscription changes as they come', async () => {
    const ads = h.delta();
    ads.send({
      node: ENVOY_NODE,
      type_url: ENDPOINT,
      resource_names_subscribe: [REVIEWS_KEY, 'nope.example|http'],
    });
    const first = await ads.next();
    expect(first.names).toEqual([REVIEWS_KEY]);
    expect(first.removed_resources).toEqual(['nope.example|http']);

    ads.send({
      type_url: ENDPOINT,
      response_nonce: first.nonce,
      resource_names_subscribe: [RATINGS_KEY],
      resource_names_unsubscribe: [REVIEWS_KEY],
    });
    const changed = await ads.next();
    expect(changed.names).toEqual([RATINGS_KEY]);

    // reviews is no longer subscribed: its change is not sent; a ratings change is.
    moveReviews(h, '10.0.1.55');
    h.publish();
    moveRatings(h, '10.0.2.55');
    h.publish();
    const pushed = await ads.next();
    expect(pushed.names).toEqual([RATINGS_KEY]);
    expect(JSON.stringify(pushed.resources[0]?.resource)).toContain('10.0.2.55');
  });

  it('answers a change of names from what it names: the subscribed state is not computed again until the mesh changes', async () => {
    const MONGO_KEY = 'mongodb.default.svc.cluster.local|mongo';
    const ads = h.delta();
    ads.send({ node: ENVOY_NODE, type_url: ENDPOINT, resource_names_subscribe: [REVIEWS_KEY] });
    expect((await ads.next()).names).toEqual([REVIEWS_KEY]);

    // The renderer's own method, counted: how often a stream's whole subscribed state is computed.
    const v3 = h.renderer.v3;
    const subscribedGroup = v3.subscribedGroup.bind(v3);
    let computed = 0;
    v3.subscribedGroup = (set, subscription) => {
      computed += 1;
      return subscribedGroup(set, subscription);
    };

    for (let i = 0; i < 20; i += 1) {
      ads.send({ type_url: ENDPOINT, resource_names_subscribe: [`made-up-${i}.example|http`] });
      expect(await ads.next()).toMatchObject({ names: [], removed_resources: [`made-up-${i}.example|http`] });
    }
    ads.send({ type_url: ENDPOINT, resource_names_subscribe: [RATINGS_KEY] });
    expect((await ads.next()).names).toEqual([RATINGS_KEY]);
    expect(computed).toBe(0);

    // The mesh changes: reviews only. Ratings was sent since the state was last computed and
    // has not changed: not sent again.
    moveReviews(h, '10.0.1.56');
    h.publish();
    const pushed = await ads.next();
    expect(pushed.names).toEqual([REVIEWS_KEY]);
    expect(pushed.removed_resources).toEqual([]);
    expect(computed).toBe(1);

    // Subscribed by a change of names since, then gone from the mesh: removed (neither the
    // state computed before nor the one after holds it).
    ads.send({ type_url: ENDPOINT, resource_names_subscribe: [MONGO_KEY] });
    expect((await ads.next()).names).toEqual([MONGO_KEY]);
    h.sink.removeService('mongodb.default.svc.cluster.local');
    h.publish();
    const gone = await ads.next();
    expect(gone.names).toEqual([]);
    expect(gone.removed_resources).toEqual([MONGO_KEY]);

    // A ratings change reaches the stream: the index filed the name subscribed in place.
    moveRatings(h, '10.0.2.56');
    h.publish();
    const ratings = await ads.next();
    expect(ratings.names).toEqual([RATINGS_KEY]);
    expect(JSON.stringify(ratings.resources[0]?.resource)).toContain('10.0.2.56');
  });

  it('records a NACK and sends a rejected resource again only once it changes', async () => {
    const ads = h.delta();
    ads.send({ node: ENVOY_NODE, type_url: ENDPOINT, resource_names_subscribe: [REVIEWS_KEY, RATINGS_KEY] });
    const first = await ads.next();
    ads.send({
      type_url: ENDPOINT,
      response_nonce: first.nonce,
      error_detail: { code: 3, message: 'bad endpoint' },
    });
    await waitFor(async () => (await edsStatus(h))?.lastNack?.message === 'bad endpoint', {
      message: 'no NACK seen',
    });

    // ratings changes: only ratings goes out; the rejected reviews assignment is not re-sent.
    moveRatings(h, '10.0.2.56');
    h.publish();
    const next = await ads.next();
    expect(next.names).toEqual([RATINGS_KEY]);
    expect(await edsStatus(h)).toMatchObject({ lastNack: { message: 'bad endpoint', nonce: first.nonce } });
  });

  it('sends updates before removals across types (make-before-break)', async () => {
    const ads = h.delta();
    ads.send({ node: ENVOY_NODE, type_url: CLUSTER });
    ads.send({ node: ENVOY_NODE, type_url: LISTENER });
    await ads.next();
    await ads.next();
    // mongodb moves to a new port: a new cluster and listener, the old ones removed.
    h.sink.upsertService(
      {
        hostname: 'mongodb.default.svc.cluster.local',
        ports: [{ name: 'mongo', port: 27018, protocol: 'tcp' }],
        addresses: ['10.0.0.44'],
      },
      [{ address: '10.0.3.31', port: 27018, portName: 'mongo' }],
    );
    h.publish();
    const sequence = [await ads.next(), await ads.next(), await ads.next(), await ads.next()];
    expect(sequence.map((r) => [r.type_url, r.names, r.removed_resources])).toEqual([
      [CLUSTER, ['outbound|27018||mongodb.default.svc.cluster.local'], []],
      [LISTENER, ['10.0.0.44_27018'], []],
      [LISTENER, [], ['10.0.0.44_27017']],
      [CLUSTER, [], [MONGO_CLUSTER]],
    ]);
  });
});
