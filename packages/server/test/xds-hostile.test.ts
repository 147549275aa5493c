import { status as GrpcStatus } from '@grpc/grpc-js';
import { waitFor } from '@sextant/testkit';
import pino from 'pino';
import type { ProxyStatus } from '../src';
import { CLUSTER, ENVOY_NODE, getJson, seedMesh, startXdsHarness, type XdsHarness } from './xds-harness';

/** Protobuf wire encoding by hand, for messages protobufjs's own encoder refuses to write (too deep). */
function varint(n: number): Buffer {
  const bytes: number[] = [];
  let rest = n;
  while (rest > 127) {
    bytes.push((rest & 127) | 128);
    rest >>>= 7;
  }
  bytes.push(rest);
  return Buffer.from(bytes);
}

/** A length-delimited field. */
function field(number: number, value: Buffer | string): Buffer {
  const bytes = typeof value === 'string' ? Buffer.from(value) : value;
  return Buffer.concat([varint((number << 3) | 2), varint(bytes.length), bytes]);
}

/** A google.protobuf.Struct nested `levels` deep: {"a": {"a": … "leaf"}}, a Struct and a Value per level. */
function deepStruct(levels: number): Buffer {
  let value: Buffer = field(3, 'leaf'); // Value.string_value
  let struct: Buffer = Buffer.alloc(0);
  for (let i = 0; i < levels; i += 1) {
    struct = field(1, Buffer.concat([field(1, 'a'), field(2, value)])); // Struct.fields entry a → value
    value = field(5, struct); // Value.struct_value
  }
  return struct;
}

/** A Node with node.id and a node.metadata nested `levels` deep. */
function deepNode(levels: number): Buffer {
  return Buffer.concat([field(1, 'deep-node'), field(3, deepStruct(levels))]);
}

describe('xDS streams given hostile input', () => {
  let h: XdsHarness;
  let lines: Record<string, unknown>[];

  beforeEach(async () => {
    lines = [];
    const logger = pino(
      { level: 'info' },
      { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) },
    );
    h = await startXdsHarness({ logger });
    seedMesh(h.sink);
    h.sink.setStatus('ready');
  });
  afterEach(() => h.close());

  const streams = async () =>
    ((await getJson(`${h.admin}/debug/proxies`)).body as { clients: ProxyStatus[] }).clients.filter(
      (c) => c.status === 'connected',
    );

  it('refuses a node.metadata nested past protobuf limits with INVALID_ARGUMENT and the reason (SotW)', async () => {
    const deep = h.sotw();
    // DiscoveryRequest.node (2), DiscoveryRequest.type_url (4)
    deep.sendBytes(Buffer.concat([field(2, deepNode(60)), field(4, CLUSTER)]));
    expect(await deep.ended).toMatchObject({
      code: GrpcStatus.INVALID_ARGUMENT,
      details: expect.stringMatching(/^the request is not a valid DiscoveryRequest: .*nesting depth/),
    });
    // The refused stream is gone, and the server serves the next client.
    const ads = h.sotw();
    ads.send({ node: ENVOY_NODE, type_url: CLUSTER });
    expect((await ads.next()).type_url).toBe(CLUSTER);
    expect((await streams()).map((s) => s.node)).toEqual([ENVOY_NODE.id]);
  });

  it('refuses the same on a delta stream, and bytes that are not a request at all', async () => {
    const deep = h.delta();
    // DeltaDiscoveryRequest.node (1), DeltaDiscoveryRequest.type_url (2)
    deep.sendBytes(Buffer.concat([field(1, deepNode(60)), field(2, CLUSTER)]));
    expect(await deep.ended).toMatchObject({
      code: GrpcStatus.INVALID_ARGUMENT,
      details: expect.stringMatching(/^the request is not a valid DeltaDiscoveryRequest: .*nesting depth/),
    });

    const garbage = h.sotw();
    garbage.sendBytes(Buffer.from([0x12, 0xff, 0xff, 0xff, 0x0f, 0x01]));
    expect(await garbage.ended).toMatchObject({
      code: GrpcStatus.INVALID_ARGUMENT,
      details: expect.stringContaining('the request is not a valid DiscoveryRequest'),
    });
  });

  it('still serves a node.metadata as deep as protobuf allows', async () => {
    const ads = h.sotw();
    // 49 levels: DiscoveryRequest, Node, then a Struct and a Value per level, 100 messages in all.
    ads.sendBytes(Buffer.concat([field(2, deepNode(49)), field(4, CLUSTER)]));
    expect((await ads.next()).type_url).toBe(CLUSTER);
  });

  it('logs the same refusal from many streams once', async () => {
    const refused = Array.from({ length: 8 }, () => h.sotw());
    for (const stream of refused) stream.send({ node: { id: '' }, type_url: CLUSTER });
    for (const stream of refused) {
      expect(await stream.ended).toMatchObject({ code: GrpcStatus.INVALID_ARGUMENT });
    }
    const refusals = lines.filter((line) => line.msg === 'xDS stream refused');
    expect(refusals).toHaveLength(1);
    expect(refusals[0]?.details).toBe('node.id is empty; set it in the bootstrap (node.id)');
  });

  it('logs the same NACK from many clients once, cut to size, and counts every one', async () => {
    const huge = `cluster outbound|80||web.example: bad\r\nforged line ${'x'.repeat(1024 * 1024)}`;
    const clients = Array.from({ length: 12 }, () => h.sotw());
    for (const [index, client] of clients.entries()) {
      client.send({ node: { ...ENVOY_NODE, id: `${ENVOY_NODE.id}-${index}` }, type_url: CLUSTER });
    }
    const firsts = await Promise.all(clients.map((client) => client.next()));
    for (const [index, client] of clients.entries()) {
      client.send({
        type_url: CLUSTER,
        response_nonce: firsts[index]?.nonce,
        error_detail: { code: 3, message: huge },
      });
    }
    await waitFor(async () => (await h.xds.metrics.nacks.get()).values[0]?.value === clients.length, {
      message: 'not every NACK was counted',
    });
    const nacks = lines.filter((line) => String(line.msg).endsWith('(NACK)'));
    expect(nacks).toHaveLength(1);
    const error = String(nacks[0]?.error);
    expect(error.length).toBeLessThan(400);
    expect(error).toMatch(
      /^cluster outbound\|80\|\|web\.example: bad\\r\\nforged line x+… \(\d+ more characters\)$/,
    );

    // Another message is another kind of event: logged.
    const other = h.sotw();
    other.send({ node: ENVOY_NODE, type_url: CLUSTER });
    other.send({
      type_url: CLUSTER,
      response_nonce: (await other.next()).nonce,
      error_detail: { message: 'other' },
    });
    await waitFor(() => lines.some((line) => line.error === 'other'), {
      message: 'the other NACK was not logged',
    });
  });
});
