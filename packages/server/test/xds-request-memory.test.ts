import v8 from 'node:v8';
import vm from 'node:vm';
import { ENDPOINT, ENVOY_NODE, seedMesh, startXdsHarness, type XdsHarness } from './xds-harness';

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

describe('xDS streams keep nothing of the requests they have read', () => {
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
    const held = arrayBufferBytes();
    streams.forEach((stream) => stream.close());
    await h.close();
    h = undefined;
    const after = arrayBufferBytes();
    // Without the release, each stream held its last request's chunks: all of requestBytes.
    expect(held - after).toBeLessThan(requestBytes / 2);
  }, 60_000);
});
