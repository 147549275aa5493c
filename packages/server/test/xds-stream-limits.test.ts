import { status as GrpcStatus } from '@grpc/grpc-js';
import { waitFor } from '@sextant/testkit';
import { DEFAULT_XDS_LIMITS, type ProxyStatus } from '../src';
import { envoyProtos } from '@sextant/envoy';
import { RawGrpcStream } from '@sextant/testkit/grpc';
import {
  CLUSTER,
  ENDPOINT,
  ENVOY_NODE,
  getJson,
  seedMesh,
  startXdsHarness,
  type XdsHarness,
} from './xds-harness';

const REVIEWS = {
  hostname: 'reviews.default.svc.cluster.local',
  ports: [{ name: 'http', port: 9080, protocol: 'http' as const }],
};
const REVIEWS_KEY = 'reviews.default.svc.cluster.local|http';

const ADS = '/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources';

function request(fields: Record<string, unknown>): Uint8Array {
  const type = envoyProtos().discoveryRequest;
  return type.encode(type.fromObject(fields)).finish();
}

function response(bytes: Buffer): { type_url: string; version_info: string } {
  const type = envoyProtos().discoveryResponse;
  return type.decode(bytes) as unknown as { type_url: string; version_info: string };
}

/** Streams open now (closed ones stay listed a while as disconnected). */
async function streamsOf(h: XdsHarness): Promise<ProxyStatus[]> {
  return ((await getJson(`${h.admin}/debug/proxies`)).body as { clients: ProxyStatus[] }).clients.filter(
    (c) => c.status === 'connected',
  );
}

describe('xDS per-stream bounds', () => {
  let h: XdsHarness;
  afterEach(() => h.close());

  it('closes a stream whose subscription grows past the limit with RESOURCE_EXHAUSTED', async () => {
    h = await startXdsHarness({
      xds: {
        limits: { ...DEFAULT_XDS_LIMITS, maxNamesPerType: 50, maxUnservedTypes: 4, maxResponsesInFlight: 8 },
      },
    });
    seedMesh(h.sink);
    h.sink.setStatus('ready');
    const delta = h.delta();
    delta.send({ node: ENVOY_NODE, type_url: ENDPOINT, resource_names_subscribe: [REVIEWS_KEY] });
    await delta.next();
    // A client adding names request after request, each a subset nobody has.
    for (let i = 0; i < 10; i += 1) {
      delta.send({
        type_url: ENDPOINT,
        resource_names_subscribe: Array.from({ length: 10 }, (_, j) => `${REVIEWS_KEY}|n=${i * 10 + j}`),
      });
    }
    const error = await delta.ended;
    expect(error?.code).toBe(GrpcStatus.RESOURCE_EXHAUSTED);
    expect(error?.details).toMatch(/at most 50 per type/);
    // Its state is gone with it: it is listed only as disconnected, without the names it sent.
    await waitFor(async () => (await streamsOf(h)).length === 0, { message: 'stream still listed' });
    const [closed] = ((await getJson(`${h.admin}/debug/proxies`)).body as { clients: ProxyStatus[] }).clients;
    expect(closed?.status).toBe('disconnected');
    expect(JSON.stringify(closed).length).toBeLessThan(4000);
  });

  it('closes a stream asking for too many types it does not serve, and keeps at most that many', async () => {
    h = await startXdsHarness({
      xds: {
        limits: { ...DEFAULT_XDS_LIMITS, maxNamesPerType: 50, maxUnservedTypes: 4, maxResponsesInFlight: 8 },
      },
    });
    seedMesh(h.sink);
    h.sink.setStatus('ready');
    const ads = h.sotw();
    ads.send({ node: ENVOY_NODE, type_url: CLUSTER });
    await ads.next();
    for (let i = 0; i < 4; i += 1)
      ads.send({ type_url: `type.googleapis.com/made.up.T${i}${'x'.repeat(500)}` });
    await waitFor(async () => (await streamsOf(h))[0]?.unsupportedTypes.length === 4, {
      message: 'unserved types not recorded',
    });
    // Client text is kept short.
    expect(Math.max(...((await streamsOf(h))[0]?.unsupportedTypes ?? []).map((t) => t.length))).toBeLessThan(
      210,
    );
    ads.send({ type_url: 'type.googleapis.com/made.up.Fifth' });
    const error = await ads.ended;
    expect(error?.code).toBe(GrpcStatus.RESOURCE_EXHAUSTED);
  });

  it('costs a client that stops reading one pending state per type, not one response per change', async () => {
    h = await startXdsHarness({
      xds: {
        limits: {
          ...DEFAULT_XDS_LIMITS,
          maxNamesPerType: 1000,
          maxUnservedTypes: 4,
          maxResponsesInFlight: 2,
        },
      },
    });
    seedMesh(h.sink);
    h.sink.setStatus('ready');
    // A client that offers no flow-control window: the server can write, the connection takes nothing.
    const stalled = new RawGrpcStream(h.address, ADS, { initialWindowSize: 0 });
    try {
      stalled.send(request({ node: ENVOY_NODE, type_url: CLUSTER }));
      stalled.send(request({ node: ENVOY_NODE, type_url: ENDPOINT, resource_names: [REVIEWS_KEY] }));
      await waitFor(async () => (await streamsOf(h))[0]?.types.eds?.lastSent !== null, {
        message: 'first responses not written',
      });
      // 200 changes of the endpoints it subscribed to, while it reads nothing.
      for (let i = 1; i <= 200; i += 1) {
        h.sink.upsertService(REVIEWS, [{ address: `10.0.9.${i}`, port: 9080, portName: 'http' }]);
        h.publish();
        await new Promise((resolve) => setImmediate(resolve));
      }
      const [stream] = await streamsOf(h);
      // Responses are numbered by nonce: only the first few were ever written.
      const written = Number(stream?.types.cds?.lastSent?.nonce ?? 0);
      const lastNonce = Math.max(
        Number(stream?.types.cds?.lastSent?.nonce ?? 0),
        Number(stream?.types.eds?.lastSent?.nonce ?? 0),
      );
      expect(written).toBeGreaterThan(0);
      expect(lastNonce).toBeLessThanOrEqual(4);
      expect(stream?.waitingForClient).toBe(true);

      // Once it reads, it is brought straight to the latest state.
      stalled.resume();
      const endpoints = () => stalled.messages.filter((m) => response(m).type_url === ENDPOINT);
      await waitFor(() => endpoints().at(-1)?.includes(Buffer.from('10.0.9.200')) === true, {
        message: () => `latest endpoints never arrived: ${stalled.messages.length} responses`,
      });
      expect(endpoints().length).toBeLessThanOrEqual(3);
      expect(stalled.messages.length).toBeLessThanOrEqual(6);
    } finally {
      stalled.close();
    }
  });
});
