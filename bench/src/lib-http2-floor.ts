import http from 'node:http';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { CLUSTER_TYPE, ENDPOINT_TYPE, envoyProtos } from '@sextant/envoy';
import { reportRound, sendToBench, statusMessage } from './lib-xds-server-process';

/**
 * The floor under the xds-streams benchmark: a raw Node HTTP/2 server that takes the same
 * clients, the same connections and the same bytes, and does no more than the wire asks of
 * it. It frames gRPC messages by hand and counts them without decoding one (no grpc-js, no
 * protobuf, no xDS state): the first request of a stream is answered with a canned CDS
 * response, the EDS subscription with a canned EDS response, and every later message is an
 * ACK. A round writes one canned EDS response (one resource, the size of the change Sextant
 * pushes) to every stream, 50 streams per turn of the event loop as Sextant does, and ends
 * when every stream has answered. What Sextant measures above this is what it adds to Node's
 * HTTP/2; what this measures is the machine.
 *
 * It speaks the bench server's IPC protocol (xds-streams.ts), beside a raw `http` server that
 * answers the v1 probe with a fixed body.
 */

/** About one ClusterLoadAssignment of five endpoints, encoded. */
const RESOURCE_BYTES = 256;
const PUSH_BATCH = 50;

/** A DiscoveryResponse carrying `resources` opaque resources, framed for gRPC. */
function cannedResponse(typeUrl: string, version: string, resources: number): Buffer {
  const value = Buffer.alloc(RESOURCE_BYTES, 0x61);
  const message = envoyProtos()
    .discoveryResponse.encode({
      version_info: version,
      type_url: typeUrl,
      nonce: version,
      resources: Array.from({ length: resources }, () => ({ type_url: typeUrl, value })),
    })
    .finish();
  const framed = Buffer.alloc(5 + message.length);
  framed.writeUInt32BE(message.length, 1);
  framed.set(message, 5);
  return framed;
}

/** One stream: counts the gRPC messages it receives, across DATA chunks, without copying them. */
class FloorStream {
  /** Bytes of the current message's 5-byte prefix read so far (0 between messages). */
  private prefixRead = 0;
  private length = 0;
  private remaining = 0;
  private messages = 0;
  /** The last round whose response this stream has answered. */
  answered = -1;

  constructor(
    private readonly stream: http2.ServerHttp2Stream,
    private readonly server: FloorServer,
  ) {
    stream.respond({ ':status': 200, 'content-type': 'application/grpc' });
    stream.on('data', (chunk: Buffer) => this.receive(chunk));
    stream.on('error', () => undefined);
  }

  write(response: Buffer): void {
    this.stream.write(response);
  }

  private receive(chunk: Buffer): void {
    let pos = 0;
    while (pos < chunk.length) {
      if (this.remaining > 0) {
        const take = Math.min(this.remaining, chunk.length - pos);
        pos += take;
        this.remaining -= take;
        if (this.remaining === 0) this.received();
        continue;
      }
      const byte = chunk[pos] as number;
      pos += 1;
      if (this.prefixRead > 0) this.length = this.length * 256 + byte;
      this.prefixRead += 1;
      if (this.prefixRead < 5) continue;
      this.remaining = this.length;
      this.prefixRead = 0;
      this.length = 0;
      if (this.remaining === 0) this.received();
    }
  }

  /** A whole message: the CDS request, its ACK, the EDS subscription, then ACKs. */
  private received(): void {
    this.messages += 1;
    if (this.messages === 1) this.write(this.server.clusters);
    else if (this.messages === 3) this.write(this.server.endpoints);
    else if (this.messages > 3) this.answered = this.server.round;
  }
}

class FloorServer {
  readonly clusters: Buffer;
  readonly endpoints: Buffer;
  readonly streams = new Set<FloorStream>();
  round = 0;

  constructor(services: number) {
    this.clusters = cannedResponse(CLUSTER_TYPE, 'v0', services);
    this.endpoints = cannedResponse(ENDPOINT_TYPE, 'v0', services);
  }

  accept(stream: http2.ServerHttp2Stream): void {
    const floorStream = new FloorStream(stream, this);
    this.streams.add(floorStream);
    stream.once('close', () => this.streams.delete(floorStream));
  }

  answered(): number {
    let count = 0;
    for (const stream of this.streams) if (stream.answered === this.round) count += 1;
    return count;
  }

  /** Writes the round's response to every stream, a batch per turn; resolves when all are written. */
  push(): Promise<void> {
    this.round += 1;
    const response = cannedResponse(ENDPOINT_TYPE, `v${this.round}`, 1);
    const streams = [...this.streams];
    return new Promise((resolve) => {
      let next = 0;
      const batch = () => {
        for (const end = Math.min(next + PUSH_BATCH, streams.length); next < end; next += 1)
          streams[next]?.write(response);
        if (next < streams.length) setImmediate(batch);
        else resolve();
      };
      batch();
    });
  }
}

/** Runs the floor in this process, answering the bench's IPC messages as the Sextant server does. */
export async function serveFloor(services: number): Promise<void> {
  const floor = new FloorServer(services);
  const h2 = http2.createServer({ maxSessionMemory: Number.MAX_SAFE_INTEGER });
  h2.on('stream', (stream) => floor.accept(stream));
  h2.on('sessionError', () => undefined);
  const probeBody = Buffer.alloc(842, 0x20);
  const v1 = http.createServer((_request, response) => response.end(probeBody));
  await Promise.all([
    new Promise<void>((resolve) => h2.listen(0, '127.0.0.1', resolve)),
    new Promise<void>((resolve) => v1.listen(0, '127.0.0.1', resolve)),
  ]);
  process.on('message', (message: { type: string; streams?: number }) => {
    if (message.type === 'change') {
      const streams = message.streams ?? 0;
      const start = process.hrtime.bigint();
      const cpu = process.cpuUsage();
      let pushed = false;
      void floor.push().then(() => (pushed = true));
      reportRound(
        start,
        cpu,
        streams,
        () => pushed,
        () => floor.answered(),
      );
    } else if (message.type === 'status') {
      sendToBench(statusMessage(floor.streams.size, floor.answered()));
    } else if (message.type === 'exit') {
      process.exit(0);
    }
  });
  sendToBench({
    type: 'listening',
    address: `127.0.0.1:${(h2.address() as AddressInfo).port}`,
    v1: `http://127.0.0.1:${(v1.address() as AddressInfo).port}`,
    rss: process.memoryUsage().rss,
  });
}
