import { waitFor } from '@sextant/testkit';
import {
  CLUSTER,
  getJson,
  LISTENER,
  SIDECAR,
  seedMesh,
  startXdsHarness,
  type XdsHarness,
} from './xds-harness';

describe('xDS on the admin listener', () => {
  let h: XdsHarness;
  beforeEach(async () => {
    h = await startXdsHarness();
    seedMesh(h.sink);
    h.sink.setStatus('ready');
  });
  afterEach(() => h.close());

  it('/debug/proxies lists every stream: node, kind, API, types with state, sent and acknowledged versions', async () => {
    const ads = h.sotw();
    ads.send({
      node: {
        id: SIDECAR,
        cluster: 'reviews',
        user_agent_name: 'envoy',
        user_agent_build_version: { version: { major_number: 1, minor_number: 31, patch: 2 } },
      },
      type_url: CLUSTER,
    });
    const cds = await ads.next();
    ads.send({ type_url: CLUSTER, version_info: cds.version_info, response_nonce: cds.nonce });
    const delta = h.delta();
    delta.send({
      node: { id: 'n2' },
      type_url: LISTENER,
      resource_names_subscribe: ['reviews.default.svc.cluster.local'],
    });
    await delta.next();

    // The ACK is a request like any other: wait until it has been seen.
    let streams: Record<string, unknown>[] = [];
    await waitFor(
      async () => {
        streams = ((await getJson(`${h.admin}/debug/proxies`)).body as { clients: Record<string, unknown>[] })
          .clients;
        return JSON.stringify(streams).includes(`"lastAcked":{"version":"${cds.version_info}"`);
      },
      { message: 'the ACK was never recorded' },
    );
    expect(streams.map((s) => s.node)).toEqual(['n2', SIDECAR]);
    expect(streams[1]).toMatchObject({
      kind: 'envoy',
      status: 'connected',
      agent: 'envoy 1.31.2',
      cluster: 'reviews',
      proxy: { type: 'sidecar', ip: '10.0.1.11', domain: 'default.svc.cluster.local' },
      api: 'ADS',
      protocol: 'sotw',
      address: expect.stringMatching(/^127\.0\.0\.1:\d+$/),
      connectedAt: expect.any(String),
      types: {
        cds: {
          state: 'SYNCED',
          wildcard: true,
          subscribed: 0,
          lastSent: { version: cds.version_info, nonce: cds.nonce, resources: 5 },
          lastAcked: { version: cds.version_info, nonce: cds.nonce },
          lastNack: null,
        },
      },
    });
    expect(streams[0]).toMatchObject({
      kind: 'unknown',
      protocol: 'delta',
      types: { lds: { subscribed: 1 } },
    });
    expect(streams[1]?.types).not.toHaveProperty('lds');
    expect(streams[0]).not.toHaveProperty('types.lds.names');
    const one = (await getJson(`${h.admin}/debug/proxies?node=n2`)).body as {
      clients: { types: { lds: { names: string[] } } }[];
    };
    expect(one.clients.map((s) => s.types.lds.names)).toEqual([['reviews.default.svc.cluster.local']]);
  });

  it('/debug/config/:proxyId shows the v3 resources the proxy receives over ADS, in proto3 JSON', async () => {
    const { status, body } = await getJson(`${h.admin}/debug/config/${SIDECAR}`);
    expect(status).toBe(200);
    const v3 = (body as { v3: Record<string, { name?: string; cluster_name?: string }[]> }).v3;
    expect(v3.listeners?.map((l) => l.name)).toEqual([
      'virtualOutbound',
      '10.0.1.11_9080',
      '0.0.0.0_9080',
      '0.0.0.0_9090',
      '10.0.0.44_27017',
    ]);
    expect(v3.routes?.map((r) => r.name)).toEqual(['9080', '9090']);
    expect(v3.clusters?.map((c) => c.name)).toContain('outbound|9090||ratings.default.svc.cluster.local');
    expect(v3.endpoints?.map((e) => e.cluster_name)).toEqual([
      'mongodb.default.svc.cluster.local|mongo',
      'ratings.default.svc.cluster.local|grpc',
      'reviews.default.svc.cluster.local|http',
    ]);
    expect(JSON.stringify(v3.clusters)).toContain('"connect_timeout":"1s"');
  });
});
