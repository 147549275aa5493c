import { status as GrpcStatus } from '@grpc/grpc-js';
import { envoyProtos } from '@sextant/envoy';
import { waitFor } from '@sextant/testkit';
import type { ProxyStatus } from '../src';
import {
  CLUSTER,
  ENDPOINT,
  ENVOY_NODE,
  getJson,
  GRPC_NODE,
  LISTENER,
  ROUTE,
  seedMesh,
  startXdsHarness,
  type XdsHarness,
} from './xds-harness';
import { decodeSotwBytes } from './xds-test-client';

const REVIEWS_KEY = 'reviews.default.svc.cluster.local|http';
const RATINGS_KEY = 'ratings.default.svc.cluster.local|grpc';

async function streamsOf(h: XdsHarness, node?: string): Promise<ProxyStatus[]> {
  const query = node === undefined ? '' : `?node=${encodeURIComponent(node)}`;
  return (
    (await getJson(`${h.admin}/debug/proxies${query}`)).body as { clients: ProxyStatus[] }
  ).clients.filter((c) => c.status === 'connected');
}

describe('xDS state of the world (ADS)', () => {
  let h: XdsHarness;
  beforeEach(async () => {
    h = await startXdsHarness();
    seedMesh(h.sink);
  });
  afterEach(() => h.close());

  it('answers nothing until every adapter has synced, then the whole state', async () => {
    const ads = h.sotw();
    ads.send({ node: ENVOY_NODE, type_url: CLUSTER });
    // The request is registered (visible on /debug/proxies) but not answered.
    await waitFor(async () => (await streamsOf(h)).some((s) => s.types.cds !== undefined), {
      message: 'stream never registered',
    });
    expect(ads.pending).toBe(0);
    h.sink.setStatus('ready');
    const response = await ads.next();
    expect(response.type_url).toBe(CLUSTER);
    expect(response.names).toEqual([
      'inbound|9080||reviews.default.svc.cluster.local',
      'BlackHoleCluster',
      'outbound|27017||mongodb.default.svc.cluster.local',
      'outbound|9090||ratings.default.svc.cluster.local',
      'outbound|9080||reviews.default.svc.cluster.local',
    ]);
    expect(response.nonce).not.toBe('');
    expect(response.version_info).toMatch(/^[0-9a-f]{16}$/);
  });

  describe('once synced', () => {
    beforeEach(() => h.sink.setStatus('ready'));

    it('advances the acknowledged version on ACK and records a NACK without re-sending the rejected version', async () => {
      const ads = h.sotw();
      ads.send({ node: ENVOY_NODE, type_url: CLUSTER });
      const first = await ads.next();
      ads.send({ type_url: CLUSTER, version_info: first.version_info, response_nonce: first.nonce });
      await waitFor(async () => (await streamsOf(h))[0]?.types.cds?.state === 'SYNCED', {
        message: 'no ACK seen',
      });

      // A new service: a new CDS version, which the client rejects.
      h.sink.upsertService(
        { hostname: 'web.example', ports: [{ name: 'http', port: 80, protocol: 'http' }] },
        [{ address: '10.9.0.1', port: 8080, portName: 'http' }],
      );
      h.publish();
      const second = await ads.next();
      expect(second.version_info).not.toBe(first.version_info);
      expect(second.names).toContain('outbound|80||web.example');
      ads.send({
        type_url: CLUSTER,
        version_info: first.version_info,
        response_nonce: second.nonce,
        error_detail: { code: 3, message: 'cluster outbound|80||web.example: bad' },
      });
      await waitFor(async () => (await streamsOf(h))[0]?.types.cds?.lastNack !== null, {
        message: 'no NACK seen',
      });
      const [status] = await streamsOf(h);
      expect(status?.types.cds).toMatchObject({
        lastAcked: { version: first.version_info, nonce: first.nonce },
        lastNack: {
          version: second.version_info,
          nonce: second.nonce,
          message: 'cluster outbound|80||web.example: bad',
        },
        state: 'NACKED',
      });

      // A snapshot that leaves clusters as they were re-sends nothing, the rejected version included…
      h.sink.upsertService(
        { hostname: 'web.example', ports: [{ name: 'http', port: 80, protocol: 'http' }] },
        [{ address: '10.9.0.2', port: 8080, portName: 'http' }],
      );
      h.publish();
      // …and a later change is sent as a new version.
      h.sink.removeService('mongodb.default.svc.cluster.local');
      h.publish();
      const bridge = await ads.next();
      const third = await ads.next();
      expect(bridge.names).toContain('outbound|27017||mongodb.default.svc.cluster.local');
      expect(bridge.version_info).not.toBe(second.version_info);
      expect(third.version_info).not.toBe(second.version_info);
      expect(third.names).not.toContain('outbound|27017||mongodb.default.svc.cluster.local');
      expect(third.names).toContain('outbound|80||web.example');
    });

    it('ignores a request that answers an older nonce', async () => {
      const ads = h.sotw();
      ads.send({ node: ENVOY_NODE, type_url: ENDPOINT, resource_names: [REVIEWS_KEY] });
      const first = await ads.next();
      h.sink.upsertService(
        {
          hostname: 'reviews.default.svc.cluster.local',
          ports: [{ name: 'http', port: 9080, protocol: 'http' }],
        },
        [{ address: '10.0.1.13', port: 9080, portName: 'http' }],
      );
      h.publish();
      const second = await ads.next();
      // The ACK of the first response crosses the second, with a subscription change that must not count.
      ads.send({
        type_url: ENDPOINT,
        response_nonce: first.nonce,
        resource_names: [REVIEWS_KEY, RATINGS_KEY],
      });
      ads.send({ type_url: ENDPOINT, response_nonce: second.nonce, resource_names: [REVIEWS_KEY] });
      // Responses on a stream keep their order: had the stale request been answered, that answer
      // would come before the answer to this next change.
      ads.send({
        type_url: ENDPOINT,
        response_nonce: second.nonce,
        resource_names: [REVIEWS_KEY, 'x.example|http'],
      });
      expect((await ads.next()).names).toEqual([]);
      const [status] = await streamsOf(h);
      expect(status?.types.eds).toMatchObject({ staleRequests: 1, subscribed: 2 });
      expect(status?.types.eds?.lastAcked?.nonce).toBe(second.nonce);
    });

    it('answers a change of names at once, even on the last nonce, and forgets unsubscribed names', async () => {
      const ads = h.sotw();
      ads.send({ node: ENVOY_NODE, type_url: ENDPOINT, resource_names: [REVIEWS_KEY] });
      const first = await ads.next();
      expect(first.names).toEqual([REVIEWS_KEY]);
      // go-control-plane#399: the ACK of the last response that also adds a name.
      ads.send({
        type_url: ENDPOINT,
        response_nonce: first.nonce,
        resource_names: [REVIEWS_KEY, RATINGS_KEY],
      });
      const added = await ads.next();
      expect(added.names).toEqual([RATINGS_KEY]);
      ads.send({ type_url: ENDPOINT, response_nonce: added.nonce, resource_names: [RATINGS_KEY] });
      const dropped = await ads.next();
      expect(dropped.names).toEqual([]);
      ads.send({ type_url: ENDPOINT, response_nonce: dropped.nonce, resource_names: [RATINGS_KEY] });

      // reviews changes: nothing for this stream. ratings changes: pushed.
      h.sink.upsertService(
        {
          hostname: 'reviews.default.svc.cluster.local',
          ports: [{ name: 'http', port: 9080, protocol: 'http' }],
        },
        [{ address: '10.0.1.99', port: 9080, portName: 'http' }],
      );
      h.publish();
      h.sink.upsertService(
        {
          hostname: 'ratings.default.svc.cluster.local',
          ports: [{ name: 'grpc', port: 9090, protocol: 'grpc' }],
        },
        [{ address: '10.0.2.22', port: 9090, portName: 'grpc' }],
      );
      h.publish();
      const pushed = await ads.next();
      expect(pushed.names).toEqual([RATINGS_KEY]);
      expect(JSON.stringify(pushed.resources[0])).toContain('10.0.2.22');
    });

    it('pushes only to the streams whose resources changed', async () => {
      const reviews = h.sotw();
      const ratings = h.sotw();
      reviews.send({ node: GRPC_NODE, type_url: ENDPOINT, resource_names: [REVIEWS_KEY] });
      ratings.send({ node: GRPC_NODE, type_url: ENDPOINT, resource_names: [RATINGS_KEY] });
      const [r1, g1] = [await reviews.next(), await ratings.next()];
      reviews.send({ type_url: ENDPOINT, response_nonce: r1.nonce, resource_names: [REVIEWS_KEY] });
      ratings.send({ type_url: ENDPOINT, response_nonce: g1.nonce, resource_names: [RATINGS_KEY] });

      h.sink.upsertService(
        {
          hostname: 'ratings.default.svc.cluster.local',
          ports: [{ name: 'grpc', port: 9090, protocol: 'grpc' }],
        },
        [{ address: '10.0.2.22', port: 9090, portName: 'grpc' }],
      );
      h.publish();
      const g2 = await ratings.next();
      expect(g2.names).toEqual([RATINGS_KEY]);
      // Same content again: no snapshot, no push. A reviews change: the reviews stream's next response.
      h.sink.upsertService(
        {
          hostname: 'reviews.default.svc.cluster.local',
          ports: [{ name: 'http', port: 9080, protocol: 'http' }],
        },
        [{ address: '10.0.1.77', port: 9080, portName: 'http' }],
      );
      h.publish();
      const r2 = await reviews.next();
      expect(JSON.stringify(r2.resources)).toContain('10.0.1.77');
      // The ratings stream got exactly one response for the two snapshots: the next one it gets
      // is the answer to this subscription change (responses on a stream keep their order).
      ratings.send({
        type_url: ENDPOINT,
        response_nonce: g2.nonce,
        resource_names: [RATINGS_KEY, REVIEWS_KEY],
      });
      const g3 = await ratings.next();
      expect(g3.names).toEqual([REVIEWS_KEY]);
    });

    it('writes one encoding of a response to every stream owed it, nonce included', async () => {
      const protos = envoyProtos();
      const [a, b] = [h.sotw(), h.sotw()];
      for (const ads of [a, b]) {
        ads.send({ node: ENVOY_NODE, type_url: ENDPOINT, resource_names: [REVIEWS_KEY] });
        const first = await ads.next();
        ads.send({ type_url: ENDPOINT, response_nonce: first.nonce, resource_names: [REVIEWS_KEY] });
      }
      // Stream a asks again (a client that lost track): its history now differs from b's.
      a.send({ type_url: ENDPOINT, resource_names: [REVIEWS_KEY] });
      const again = await a.next();
      a.send({ type_url: ENDPOINT, response_nonce: again.nonce, resource_names: [REVIEWS_KEY] });
      await waitFor(async () => (await streamsOf(h)).every((s) => s.types.eds?.state === 'SYNCED'), {
        message: 'both streams to ACK',
      });

      const encode = jest.spyOn(protos.discoveryResponse, 'encode');
      try {
        h.sink.upsertService(
          {
            hostname: 'reviews.default.svc.cluster.local',
            ports: [{ name: 'http', port: 9080, protocol: 'http' }],
          },
          [{ address: '10.0.1.78', port: 9080, portName: 'http' }],
        );
        h.publish();
        const [pushA, pushB] = [await a.nextBytes(), await b.nextBytes()];
        expect(pushA.equals(pushB)).toBe(true);
        expect(JSON.stringify(decodeSotwBytes(pushA).resources)).toContain('10.0.1.78');
        expect(encode).toHaveBeenCalledTimes(1);
      } finally {
        encode.mockRestore();
      }
    });

    it('sends a stream that asks again for what it has a new nonce, never the one it answered', async () => {
      const ads = h.sotw();
      ads.send({ node: ENVOY_NODE, type_url: ENDPOINT, resource_names: [REVIEWS_KEY] });
      const first = await ads.next();
      ads.send({ type_url: ENDPOINT, response_nonce: first.nonce, resource_names: [REVIEWS_KEY] });
      // No nonce: the client lost track and is owed everything again, the same content.
      ads.send({ type_url: ENDPOINT, resource_names: [REVIEWS_KEY] });
      const second = await ads.next();
      expect(second.resources).toEqual(first.resources);
      expect(second.version_info).toBe(first.version_info);
      expect(second.nonce).not.toBe(first.nonce);
      ads.send({ type_url: ENDPOINT, response_nonce: second.nonce, resource_names: [REVIEWS_KEY] });
      await waitFor(async () => (await streamsOf(h))[0]?.types.eds?.lastAcked?.nonce === second.nonce, {
        message: 'the second response to be ACKed',
      });
    });

    it('sends an endpoint-only change as EDS alone, leaving clusters, listeners and routes alone', async () => {
      const ads = h.sotw();
      ads.send({ node: ENVOY_NODE, type_url: CLUSTER });
      ads.send({ node: ENVOY_NODE, type_url: LISTENER });
      ads.send({ node: ENVOY_NODE, type_url: ENDPOINT, resource_names: [REVIEWS_KEY, RATINGS_KEY] });
      ads.send({ node: ENVOY_NODE, type_url: ROUTE, resource_names: ['9080'] });
      const initial = [await ads.next(), await ads.next(), await ads.next(), await ads.next()];
      expect(initial.map((r) => r.type_url)).toEqual([CLUSTER, LISTENER, ENDPOINT, ROUTE]);

      h.sink.upsertService(
        {
          hostname: 'ratings.default.svc.cluster.local',
          ports: [{ name: 'grpc', port: 9090, protocol: 'grpc' }],
        },
        [{ address: '10.0.2.23', port: 9090, portName: 'grpc', health: 'draining' }],
      );
      h.publish();
      const push = await ads.next();
      expect(push.type_url).toBe(ENDPOINT);
      expect(push.names).toEqual([RATINGS_KEY]);
      expect(JSON.stringify(push.resources[0])).toContain('"health_status":"DRAINING"');
      // A new HTTP service on 9080: clusters first, then endpoints none asked, then the route table.
      h.sink.upsertService(
        {
          hostname: 'details.default.svc.cluster.local',
          ports: [{ name: 'http', port: 9080, protocol: 'http' }],
        },
        [{ address: '10.0.5.1', port: 9080, portName: 'http' }],
      );
      h.publish();
      const cds = await ads.next();
      const rds = await ads.next();
      expect([cds.type_url, rds.type_url]).toEqual([CLUSTER, ROUTE]);
      expect(cds.names).toContain('outbound|9080||details.default.svc.cluster.local');
      expect(JSON.stringify(rds.resources)).toContain('details.default.svc.cluster.local:9080');
    });

    it('removes clusters make-before-break: kept beside the new state until listeners and routes moved', async () => {
      const ads = h.sotw();
      ads.send({ node: ENVOY_NODE, type_url: CLUSTER });
      ads.send({ node: ENVOY_NODE, type_url: LISTENER });
      const [cds1, lds1] = [await ads.next(), await ads.next()];
      expect(cds1.names).toContain('outbound|27017||mongodb.default.svc.cluster.local');
      expect(lds1.names).toContain('10.0.0.44_27017');

      h.sink.removeService('mongodb.default.svc.cluster.local');
      h.publish();
      const sequence = [await ads.next(), await ads.next(), await ads.next(), await ads.next()];
      expect(
        sequence.map((r) => [
          r.type_url,
          r.names.includes('outbound|27017||mongodb.default.svc.cluster.local') ||
            r.names.includes('10.0.0.44_27017'),
        ]),
      ).toEqual([
        [CLUSTER, true], // the bridge: old cluster still there
        [LISTENER, true], // the bridge: old listener still there
        [LISTENER, false], // removals, listeners first…
        [CLUSTER, false], // …then the clusters they used
      ]);
    });

    it('serves a proxyless gRPC client its api_listener, by the name it dials', async () => {
      const ads = h.sotw();
      ads.send({
        node: GRPC_NODE,
        type_url: LISTENER,
        resource_names: ['ratings.default.svc.cluster.local:9090'],
      });
      const lds = await ads.next();
      expect(lds.names).toEqual(['ratings.default.svc.cluster.local:9090']);
      const manager = (lds.resources[0]?.api_listener as { api_listener: Record<string, unknown> })
        .api_listener;
      expect(manager['@type']).toBe(
        'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
      );
      expect(JSON.stringify(manager)).toContain(
        '"cluster":"outbound|9090||ratings.default.svc.cluster.local"',
      );
      // An unknown name in a whole-state type: answered with nothing, i.e. "does not exist".
      ads.send({
        type_url: LISTENER,
        response_nonce: lds.nonce,
        resource_names: ['ratings.default.svc.cluster.local:9090', 'nope.example:1'],
      });
      const again = await ads.next();
      expect(again.names).toEqual(['ratings.default.svc.cluster.local:9090']);
      const [status] = await streamsOf(h, GRPC_NODE.id);
      expect(status).toMatchObject({ kind: 'grpc', agent: 'gRPC Node Pure JS 1.14.1', cluster: '' });
      expect(status?.types.lds?.names).toEqual(['nope.example:1', 'ratings.default.svc.cluster.local:9090']);
    });

    it('serves the per-type services, whose resources point at per-type config sources', async () => {
      const cds = h.sotw('/envoy.service.cluster.v3.ClusterDiscoveryService/StreamClusters');
      cds.send({ node: ENVOY_NODE });
      const response = await cds.next();
      const cluster = response.resources.find(
        (c) => c.name === 'outbound|9080||reviews.default.svc.cluster.local',
      );
      expect(cluster?.eds_cluster_config).toEqual({
        eds_config: {
          api_config_source: {
            api_type: 'GRPC',
            transport_api_version: 'V3',
            grpc_services: [{ envoy_grpc: { cluster_name: 'xds_cluster' } }],
          },
          resource_api_version: 'V3',
        },
        service_name: REVIEWS_KEY,
      });
      const [status] = await streamsOf(h);
      expect(status).toMatchObject({ api: 'CDS', protocol: 'sotw' });
    });

    it('refuses streams it cannot serve, saying why', async () => {
      const noNode = h.sotw();
      noNode.send({ type_url: CLUSTER });
      expect(await noNode.ended).toMatchObject({
        code: GrpcStatus.INVALID_ARGUMENT,
        details: expect.stringContaining('node'),
      });

      const badId = h.sotw();
      badId.send({ node: { id: 'sidecar~not-an-ip~x~y' }, type_url: CLUSTER });
      expect(await badId.ended).toMatchObject({
        code: GrpcStatus.INVALID_ARGUMENT,
        details: expect.stringContaining('is not an IP address'),
      });

      const noType = h.sotw();
      noType.send({ node: ENVOY_NODE });
      expect(await noType.ended).toMatchObject({
        code: GrpcStatus.INVALID_ARGUMENT,
        details: 'type_url is required on an aggregated (ADS) stream',
      });

      const wrongType = h.sotw('/envoy.service.cluster.v3.ClusterDiscoveryService/StreamClusters');
      wrongType.send({ node: ENVOY_NODE, type_url: LISTENER });
      expect(await wrongType.ended).toMatchObject({ code: GrpcStatus.INVALID_ARGUMENT });
    });

    it('records types it does not serve and keeps serving the others', async () => {
      const ads = h.sotw();
      ads.send({
        node: ENVOY_NODE,
        type_url: 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret',
      });
      ads.send({ node: ENVOY_NODE, type_url: ROUTE, resource_names: ['9080'] });
      expect((await ads.next()).type_url).toBe(ROUTE);
      const [status] = await streamsOf(h);
      expect(status?.unsupportedTypes).toEqual([
        'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret',
      ]);
    });
  });
});
