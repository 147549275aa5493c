import { fork, type ChildProcess } from 'node:child_process';
import http2 from 'node:http2';
import path from 'node:path';
import v8 from 'node:v8';
import { Registry } from '@sextant/core';
import { CLUSTER_TYPE, ENDPOINT_TYPE, envoyProtos } from '@sextant/envoy';
import { Renderer } from '@sextant/envoy';
import { createXdsServer, ServerMetrics } from '@sextant/server';
import pino from 'pino';
import { seedFleet, syntheticService } from './lib-mesh';
import { elapsedMs, median, printTable } from './table';

export const description =
  'v3 xDS: ADS streams held, time for one endpoint change to reach and be ACKed by all, server RSS';

/**
 * The xDS server runs in a child process (this file, with SEXTANT_BENCH_XDS_SERVER=1) over a
 * synthetic mesh; this process opens the streams, each on its own HTTP/2 connection as a fleet of
 * Envoys would, speaking gRPC framing directly so that the load driver stays light. Each stream
 * behaves like an Envoy sidecar: wildcard CDS, then EDS for every cluster, ACKing every response.
 * A round changes one endpoint of one service every stream subscribes to and times how long
 * until every stream has received the push and sent its ACK.
 */

/** Services in the mesh: `SEXTANT_BENCH_SERVICES` (50 by default), as the server process reads it too. */
const SERVICES = Number(process.env.SEXTANT_BENCH_SERVICES ?? 50);
const INSTANCES = 5;
const ROUNDS = 5;
const CONNECT_BATCH = 250;
const ADS_PATH = '/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources';

type ServerMessage =
  | { type: 'listening'; address: string; rss: number }
  | { type: 'published'; pushMs: number }
  | { type: 'status'; streams: number; edsUpToDate: number; rss: number; heap: number }
  | { type: 'heap-snapshot'; file: string };

// ---------------------------------------------------------------- the server process

async function serve(): Promise<void> {
  const registry = new Registry({ adapters: ['bench'], debounce: { afterMs: 1_000_000, maxMs: 1_000_000 } });
  const sink = registry.sink('bench');
  seedFleet(sink, SERVICES, INSTANCES);
  sink.setStatus('ready');
  const renderer = new Renderer();
  const metrics = new ServerMetrics(registry, () => renderer.cache.stats());
  const xds = createXdsServer(registry, renderer, metrics, pino({ level: 'silent' }));
  const address = await xds.listen('127.0.0.1:0');
  const send = (message: ServerMessage) => process.send?.(message);
  process.on('message', (message: { type: string; round?: number }) => {
    if (message.type === 'change') {
      const changed = syntheticService(0, INSTANCES, message.round ?? 1);
      const start = process.hrtime.bigint();
      sink.upsertService(changed.service, changed.instances);
      registry.flush(); // publishes; the xDS server then pushes to the concerned streams, a batch per turn
      const published = elapsedMs(start);
      // The push is done when the server has no stream left to bring up to date.
      const pushed = setInterval(() => {
        if (xds.pushing()) return;
        clearInterval(pushed);
        send({ type: 'published', pushMs: Math.max(published, elapsedMs(start)) });
      }, 1);
    } else if (message.type === 'status') {
      const streams = xds.proxies();
      send({
        type: 'status',
        streams: streams.length,
        edsUpToDate: streams.filter((s) => s.types.eds?.state === 'SYNCED').length,
        rss: process.memoryUsage().rss,
        heap: process.memoryUsage().heapUsed,
      });
    } else if (message.type === 'heap-snapshot') {
      // For finding what a stream costs: SEXTANT_BENCH_HEAP_SNAPSHOT=<dir> writes one with every stream open.
      const file = v8.writeHeapSnapshot(
        path.join(process.env.SEXTANT_BENCH_HEAP_SNAPSHOT ?? '.', 'xds-streams.heapsnapshot'),
      );
      send({ type: 'heap-snapshot', file });
    } else if (message.type === 'exit') {
      void xds.close().then(() => process.exit(0));
    }
  });
  send({ type: 'listening', address, rss: process.memoryUsage().rss });
}

class ServerProcess {
  private readonly child: ChildProcess;
  private readonly waiting: ((message: ServerMessage) => void)[] = [];

  constructor() {
    this.child = fork(__filename, [], { env: { ...process.env, SEXTANT_BENCH_XDS_SERVER: '1' } });
    this.child.on('message', (message: ServerMessage) => this.waiting.shift()?.(message));
  }

  next<T extends ServerMessage['type']>(type: T): Promise<Extract<ServerMessage, { type: T }>> {
    return new Promise((resolve, reject) => {
      this.waiting.push((message) =>
        message.type === type
          ? resolve(message as Extract<ServerMessage, { type: T }>)
          : reject(new Error(`expected ${type}, got ${message.type}`)),
      );
    });
  }

  request<T extends ServerMessage['type']>(message: object, reply: T) {
    const answer = this.next(reply);
    this.child.send(message);
    return answer;
  }

  async stop(): Promise<void> {
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.send({ type: 'exit' });
    await exited;
  }
}

// ---------------------------------------------------------------- the clients

const SERVICE_KEYS = Array.from(
  { length: SERVICES },
  (_, i) => `${String(syntheticService(i, 0).service.hostname)}|http`,
);

/** One Envoy-like ADS stream on its own HTTP/2 connection, gRPC framing written by hand. */
class AdsStream {
  private readonly session: http2.ClientHttp2Session;
  private readonly stream: http2.ClientHttp2Stream;
  private pending: Buffer = Buffer.alloc(0);
  private edsSubscribed = false;
  /** When the last EDS response arrived and was ACKed (hrtime). */
  lastEds = 0n;
  synced: Promise<void>;
  private markSynced!: () => void;

  constructor(address: string, index: number) {
    this.synced = new Promise((resolve) => (this.markSynced = resolve));
    this.session = http2.connect(`http://${address}`);
    this.session.on('error', () => undefined);
    this.stream = this.session.request({
      ':method': 'POST',
      ':path': ADS_PATH,
      'content-type': 'application/grpc',
      te: 'trailers',
    });
    this.stream.on('data', (chunk: Buffer) => this.receive(chunk));
    this.stream.on('error', () => undefined);
    const ip = `10.${200 + Math.floor(index / 65536)}.${Math.floor(index / 256) % 256}.${index % 256}`;
    this.send({
      node: { id: `sidecar~${ip}~proxy-${index}.ns~ns.svc.cluster.local`, user_agent_name: 'envoy' },
      type_url: CLUSTER_TYPE,
    });
  }

  close(): void {
    this.stream.close();
    this.session.close();
  }

  private send(request: object): void {
    const type = envoyProtos().discoveryRequest;
    const message = type.encode(type.fromObject(request)).finish();
    const frame = Buffer.alloc(5 + message.length);
    frame.writeUInt32BE(message.length, 1);
    frame.set(message, 5);
    this.stream.write(frame);
  }

  private receive(chunk: Buffer): void {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    while (this.pending.length >= 5) {
      const length = this.pending.readUInt32BE(1);
      if (this.pending.length < 5 + length) return;
      const message = this.pending.subarray(5, 5 + length);
      this.pending = this.pending.subarray(5 + length);
      this.respond(message);
    }
  }

  private respond(bytes: Buffer): void {
    const type = envoyProtos().discoveryResponse;
    const response = type.decode(bytes) as unknown as {
      version_info: string;
      nonce: string;
      type_url: string;
    };
    const names = response.type_url === ENDPOINT_TYPE ? SERVICE_KEYS : [];
    this.send({
      type_url: response.type_url,
      version_info: response.version_info,
      response_nonce: response.nonce,
      resource_names: names,
    });
    if (response.type_url === CLUSTER_TYPE && !this.edsSubscribed) {
      this.edsSubscribed = true;
      this.send({ type_url: ENDPOINT_TYPE, resource_names: SERVICE_KEYS });
    } else if (response.type_url === ENDPOINT_TYPE) {
      this.lastEds = process.hrtime.bigint();
      this.markSynced();
    }
  }
}

async function waitUntil(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

async function measure(count: number) {
  const server = new ServerProcess();
  const { address, rss: idleRss } = await server.next('listening');
  const streams: AdsStream[] = [];
  const start = process.hrtime.bigint();
  for (let i = 0; i < count; i += CONNECT_BATCH) {
    const batch = Array.from(
      { length: Math.min(CONNECT_BATCH, count - i) },
      (_, j) => new AdsStream(address, i + j),
    );
    streams.push(...batch);
    await Promise.all(batch.map((s) => s.synced));
  }
  const syncMs = elapsedMs(start);

  const pushMs: number[] = [];
  const reachedMs: number[] = [];
  const ackedMs: number[] = [];
  for (let round = 1; round <= ROUNDS; round += 1) {
    const sent = process.hrtime.bigint();
    const { pushMs: push } = await server.request({ type: 'change', round }, 'published');
    await waitUntil(
      () => streams.every((s) => s.lastEds > sent),
      60_000,
      `round ${round} to reach every stream`,
    );
    const reached = Number(streams.reduce((max, s) => (s.lastEds > max ? s.lastEds : max), 0n) - sent) / 1e6;
    // The server has recorded every ACK: each stream's EDS is up to date.
    let status = await server.request({ type: 'status' }, 'status');
    while (status.edsUpToDate < count) status = await server.request({ type: 'status' }, 'status');
    pushMs.push(push);
    reachedMs.push(reached);
    ackedMs.push(elapsedMs(sent));
  }
  const { streams: held, rss, heap } = await server.request({ type: 'status' }, 'status');
  if (process.env.SEXTANT_BENCH_HEAP_SNAPSHOT) {
    const { file } = await server.request({ type: 'heap-snapshot' }, 'heap-snapshot');
    console.log(`heap snapshot with ${held} streams open: ${file}`);
  }
  for (const stream of streams) stream.close();
  await server.stop();
  return {
    held,
    syncMs,
    pushMs: median(pushMs),
    reachedMs: median(reachedMs),
    ackedMs: median(ackedMs),
    idleRss: idleRss / 1024 / 1024,
    rss: rss / 1024 / 1024,
    heap: heap / 1024 / 1024,
  };
}

export async function run(args: readonly string[]): Promise<void> {
  const sizes = args.length > 0 ? args.map(Number) : [500, 5000];
  const rows = [];
  let baseline: Awaited<ReturnType<typeof measure>> | undefined;
  for (const count of sizes) {
    const m = await measure(count);
    baseline ??= m;
    rows.push({
      streams: count,
      'held by server': m.held,
      'connect + initial sync s': m.syncMs / 1000,
      'server fan-out ms': m.pushMs,
      'reached all ms': m.reachedMs,
      'ACKed by all ms': m.ackedMs,
      'streams / baseline': count / baseline.held,
      'ACKed-by-all / baseline': m.ackedMs / baseline.ackedMs,
      'server RSS MiB (idle)': m.idleRss,
      'server RSS MiB': m.rss,
      'server heap MiB': m.heap,
      'RSS / baseline': m.rss / baseline.rss,
      'KiB per stream': ((m.rss - m.idleRss) * 1024) / count,
    });
  }
  console.log(
    `${SERVICES} services × ${INSTANCES} instances; every stream is an Envoy-like sidecar on its own connection ` +
      `(wildcard CDS, EDS for all ${SERVICES} clusters); one endpoint change per round, medians of ${ROUNDS} rounds. ` +
      `"ACKed by all" ends when the server has recorded every stream's ACK.\n`,
  );
  printTable(rows);
}

if (process.env.SEXTANT_BENCH_XDS_SERVER === '1' && require.main === module) {
  serve().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
