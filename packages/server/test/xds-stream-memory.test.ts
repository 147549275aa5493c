import http2 from 'node:http2';
import v8 from 'node:v8';
import vm from 'node:vm';
import { envoyProtos } from '@sextant/envoy';
import { waitFor } from '@sextant/testkit';
import { CLUSTER, ENDPOINT, ENVOY_NODE, seedMesh, startXdsHarness, type XdsHarness } from './xds-harness';

v8.setFlagsFromString('--expose-gc');
/** A full collection, so that what is measured is what something still holds. */
const gc = vm.runInNewContext('gc') as () => void;

const STREAMS = 20;
/** Some 400 KB of names per request: what an Envoy of a 10,000-service mesh repeats in every ACK. */
const NAMES = Array.from({ length: 10_000 }, (_, i) => `service-${i}.some-namespace.svc.cluster.local|http`);

function arrayBufferBytes(): number {
  gc();
  return process.memoryUsage().arrayBuffers;
}

/**
 * The least held over a while: under load, writes and frees the sockets still owe complete
 * later, and one reading can catch them; memory something keeps stays in every reading.
 */
async function settledArrayBufferBytes(): Promise<number> {
  let least = arrayBufferBytes();
  for (let reading = 0; reading < 15; reading += 1) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    least = Math.min(least, arrayBufferBytes());
  }
  return least;
}

describe('xDS streams: what they hold in memory', () => {
  let h: XdsHarness | undefined;

  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('holds no request bytes for an idle stream whose client sent large name lists', async () => {
    h = await startXdsHarness();
    seedMesh(h.sink);
    h.sink.setStatus('ready');
    h.publish();
    // The same list from every stream: the server keeps one copy of it (RecentNameLists), shared.
    const streams = Array.from({ length: STREAMS }, () => h!.sotw());
    await Promise.all(
      streams.map(async (stream) => {
        stream.send({ node: ENVOY_NODE, type_url: ENDPOINT, resource_names: NAMES });
        await stream.next(30_000);
      }),
    );
    const requestBytes = Buffer.byteLength(NAMES.join('')) * STREAMS;
    // Measured with every stream open and idle: their last requests arrived and were answered.
    const held = await settledArrayBufferBytes();
    streams.forEach((stream) => stream.close());
    await h.close();
    h = undefined;
    const after = await settledArrayBufferBytes();
    // Without the release, each stream held its last request's chunks: all of requestBytes.
    expect(held - after).toBeLessThan(requestBytes / 2);
  }, 60_000);

  it('holds a response owed to many clients that do not read once, not once per stream', async () => {
    h = await startXdsHarness();
    // Some 1,000 clusters: a CDS response of a few hundred KB.
    for (let i = 0; i < 1000; i += 1) {
      h.sink.upsertService(
        {
          hostname: `service-${i}.some-namespace.svc.cluster.local`,
          ports: [{ name: 'http', port: 8080, protocol: 'http' }],
        },
        [{ address: `10.0.${Math.floor(i / 250)}.${(i % 250) + 1}`, port: 8080, portName: 'http' }],
      );
    }
    h.sink.setStatus('ready');
    h.publish();
    const first = h.sotw();
    first.send({ node: ENVOY_NODE, type_url: CLUSTER });
    const responseBytes = (await first.nextBytes(30_000)).length;
    expect(responseBytes).toBeGreaterThan(150_000);
    const before = arrayBufferBytes();
    // Clients that ask for every cluster and never read: the server keeps what it wrote until they do.
    const request = envoyProtos().discoveryRequest;
    const message = request.encode({ node: ENVOY_NODE, type_url: CLUSTER }).finish();
    const frame = Buffer.concat([Buffer.from([0, 0, 0, 0, 0]), message]);
    frame.writeUInt32BE(message.length, 1);
    const sessions = Array.from({ length: STREAMS }, () => {
      const session = http2.connect(`http://${h!.address}`);
      session.on('error', () => undefined);
      const stream = session.request({
        ':method': 'POST',
        ':path': '/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources',
        'content-type': 'application/grpc',
        te: 'trailers',
      });
      stream.on('error', () => undefined);
      stream.pause();
      stream.write(frame);
      return session;
    });
    try {
      await waitFor(() => h!.xds.proxies().filter((p) => p.types.cds?.lastSent).length === STREAMS + 1, {
        timeoutMs: 30_000,
      });
      const held = arrayBufferBytes() - before;
      // Written as copies, STREAMS responses; written as one, one (and what the clients took in
      // before their flow-control windows closed, some 64 KB each, on this side of the test too).
      expect(held).toBeLessThan((STREAMS * responseBytes) / 2);
    } finally {
      for (const session of sessions) session.destroy();
    }
  }, 60_000);
});
