import { fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http2 from 'node:http2';
import inspector from 'node:inspector';
import path from 'node:path';
import v8 from 'node:v8';
import type * as Core from '@sextant/core';
import type * as Envoy from '@sextant/envoy';
import { CLUSTER_TYPE, ENDPOINT_TYPE, envoyProtos } from '@sextant/envoy';
import type * as Server from '@sextant/server';
import type Pino from 'pino';
import { LoadClient } from './lib-file-mesh';
import { serveFloor } from './lib-http2-floor';
import { reportRound, sendToBench, statusMessage, type ServerMessage } from './lib-xds-server-process';
import { syntheticService } from './lib-mesh';
import { elapsedMs, median, percentile, printTable, times, type SummaryRow } from './table';

export const description =
  'v3 xDS: ADS streams held, time for one endpoint change to reach and be ACKed by all, server RSS, v1 latency during the push';

/**
 * The xDS server runs in a child process (this file, with SEXTANT_BENCH_XDS_SERVER=1) over a
 * synthetic mesh, beside a v1 discovery listener on the same event loop. The streams are opened
 * by client processes (this file, with SEXTANT_BENCH_XDS_CLIENT=1), each stream on its own
 * HTTP/2 connection as a fleet of Envoys would, speaking gRPC framing by hand with requests
 * encoded once and responses read no further than their version, nonce and type, so that the
 * load driver stays light beside the server. Each stream behaves like an Envoy sidecar: wildcard
 * CDS, then EDS for every cluster, ACKing every response.
 *
 * A round changes one endpoint of one service every stream subscribes to and times, in the
 * server process, how long until the server has recorded every stream's ACK; a probe process
 * times a v1 request every few ms, idle and during the rounds.
 *
 * `--before <tree>` runs a second server from another checkout (built), interleaved with this
 * one, with the same clients: the baseline of a change. At each size the same clients first
 * meet the raw HTTP/2 floor (lib-http2-floor.ts, `--no-floor` skips it): what Node's HTTP/2
 * costs on this machine for the same bytes, the baseline of the figures against their goals.
 */

const INSTANCES = 5;
const ROUNDS = 5;
const CONNECT_BATCH = 250;
const PROBE_EVERY_MS = 5;
const IDLE_PROBE_MS = 1500;
const GOAL_MS = 500;
const GOAL_MIB = 300;
const PROBE_GOAL_MS = 50;
const ADS_PATH = '/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources';

type ClientMessage = { type: 'synced' } | { type: 'reached'; at: string };

function serviceCount(): number {
  return Number(process.env.SEXTANT_BENCH_SERVICES ?? 50);
}

// ---------------------------------------------------------------- the server process

/** The packages of the tree under test: this one, or the `--before` one (SEXTANT_BENCH_SERVER_ROOT). */
function load<T>(name: string): T {
  const root = process.env.SEXTANT_BENCH_SERVER_ROOT;
  // The server under test may be another checkout's build, found at run time.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(root ? require.resolve(name, { paths: [root] }) : name) as T;
}

/** What the bench needs of the server: its public API, and for older builds the stream set. */
interface XdsUnderTest {
  listen(address: string): Promise<string>;
  close(): Promise<void>;
  pushing(): boolean;
  proxies(): { types: Record<string, { upToDate: boolean } | undefined> }[];
  upToDate?(typeUrl: string): number;
}

/**
 * Streams whose latest EDS response the server has recorded as ACKed. Counted without building
 * /debug/proxies views (which would cost more than what is measured); a build without
 * `upToDate` is read through its stream set.
 */
function edsAcked(xds: XdsUnderTest): number {
  if (xds.upToDate) return xds.upToDate(ENDPOINT_TYPE);
  const streams = (xds as unknown as { streams: Set<{ subscribers(): Iterable<TypeStatusHolder> }> }).streams;
  let count = 0;
  for (const stream of streams) {
    for (const subscriber of stream.subscribers()) {
      if (subscriber.typeUrl === ENDPOINT_TYPE && subscriber.status.upToDate()) count += 1;
    }
  }
  return count;
}

interface TypeStatusHolder {
  readonly typeUrl: string;
  readonly status: { upToDate(): boolean };
}

async function serve(): Promise<void> {
  const core = load<typeof Core>('@sextant/core');
  const envoy = load<typeof Envoy>('@sextant/envoy');
  const server = load<typeof Server>('@sextant/server');
  const pino = load<typeof Pino>('pino');
  const services = serviceCount();
  const registry = new core.Registry({
    adapters: ['bench'],
    debounce: { afterMs: 1_000_000, maxMs: 1_000_000 },
  });
  const sink = registry.sink('bench');
  for (let i = 0; i < services; i += 1) {
    const { service, instances } = syntheticService(i, INSTANCES);
    sink.upsertService(service, instances);
  }
  sink.setStatus('ready');
  const renderer = new envoy.Renderer();
  const metrics = new server.ServerMetrics(registry, () => renderer.cache.stats());
  const logger = pino({ level: 'silent' });
  const xds = server.createXdsServer(registry, renderer, metrics, logger) as unknown as XdsUnderTest;
  const address = await xds.listen('127.0.0.1:0');
  const discovery = server.createDiscoveryServer(registry, renderer, metrics, logger);
  const v1 = await server.listenOn(discovery, '127.0.0.1:0');
  const profiler = new RoundsProfiler(process.env.SEXTANT_BENCH_PROFILE);
  process.on('message', (message: { type: string; round?: number; streams?: number }) => {
    if (message.type === 'change') {
      const changed = syntheticService(0, INSTANCES, message.round ?? 1);
      const streams = message.streams ?? 0;
      profiler.start();
      const start = process.hrtime.bigint();
      const cpu = process.cpuUsage();
      sink.upsertService(changed.service, changed.instances);
      registry.flush(); // publishes; the xDS server then pushes to the concerned streams, a batch per turn
      // Done when the server has no stream left to bring up to date, and has every stream's ACK.
      reportRound(
        start,
        cpu,
        streams,
        () => !xds.pushing(),
        () => edsAcked(xds),
      );
    } else if (message.type === 'status') {
      sendToBench(statusMessage(xds.proxies().length, edsAcked(xds)));
    } else if (message.type === 'heap-snapshot') {
      // For finding what a stream costs: SEXTANT_BENCH_HEAP_SNAPSHOT=<dir> writes one with every stream open.
      const file = v8.writeHeapSnapshot(
        path.join(process.env.SEXTANT_BENCH_HEAP_SNAPSHOT ?? '.', 'xds-streams.heapsnapshot'),
      );
      sendToBench({ type: 'heap-snapshot', file });
    } else if (message.type === 'exit') {
      void Promise.all([profiler.stop(), xds.close(), discovery.close()]).then(() => process.exit(0));
    }
  });
  sendToBench({ type: 'listening', address, v1: `http://${v1}`, rss: process.memoryUsage().rss });
}

/**
 * SEXTANT_BENCH_PROFILE=<dir>: a CPU profile of the server during the rounds only (not the
 * connections and initial sync), written to <dir>/xds-streams-<pid>.cpuprofile at exit. With
 * SEXTANT_BENCH_PROFILE_KIND=allocations, a sampling profile of every allocation during the
 * rounds instead, collected or not (<dir>/xds-streams-<pid>.heapprofile): what a push and its
 * ACKs allocate, the work the garbage collector is given.
 */
class RoundsProfiler {
  private session: inspector.Session | undefined;
  private readonly allocations = process.env.SEXTANT_BENCH_PROFILE_KIND === 'allocations';

  constructor(private readonly dir: string | undefined) {}

  start(): void {
    if (!this.dir || this.session) return;
    this.session = new inspector.Session();
    this.session.connect();
    if (this.allocations) {
      this.session.post('HeapProfiler.enable');
      // Node's inspector types lack the two flags (V8 has them): without them, only what is still alive is counted.
      this.session.post('HeapProfiler.startSampling', {
        samplingInterval: 16_384,
        includeObjectsCollectedByMajorGC: true,
        includeObjectsCollectedByMinorGC: true,
      } as inspector.HeapProfiler.StartSamplingParameterType);
    } else {
      this.session.post('Profiler.enable');
      this.session.post('Profiler.start');
    }
  }

  stop(): Promise<void> {
    const { session, dir } = this;
    if (!session || !dir) return Promise.resolve();
    const [method, extension, what] = this.allocations
      ? (['HeapProfiler.stopSampling', 'heapprofile', 'Allocation'] as const)
      : (['Profiler.stop', 'cpuprofile', 'CPU'] as const);
    return new Promise((resolve) =>
      session.post(method, (error, result: { profile: object }) => {
        if (!error) {
          const file = path.join(dir, `xds-streams-${process.pid}.${extension}`);
          fs.writeFileSync(file, JSON.stringify(result.profile));
          console.log(`${what} profile of the rounds: ${file}`);
        }
        resolve();
      }),
    );
  }
}

/** A child process of this file, answering requests one at a time over IPC. */
class Child<M extends { type: string }> {
  private readonly child: ChildProcess;
  private readonly waiting: ((message: M) => void)[] = [];

  constructor(env: Record<string, string>) {
    // SEXTANT_BENCH_SERVER_NODE_ARGS (e.g. `--cpu-prof`) applies to the server process only.
    const execArgv =
      env.SEXTANT_BENCH_XDS_SERVER === '1'
        ? (process.env.SEXTANT_BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean)
        : [];
    this.child = fork(__filename, [], { env: { ...process.env, ...env }, execArgv });
    this.child.on('message', (message: M) => this.waiting.shift()?.(message));
  }

  next<T extends M['type']>(type: T): Promise<Extract<M, { type: T }>> {
    return new Promise((resolve, reject) => {
      this.waiting.push((message) =>
        message.type === type
          ? resolve(message as Extract<M, { type: T }>)
          : reject(new Error(`expected ${type}, got ${message.type}`)),
      );
    });
  }

  request<T extends M['type']>(message: object, reply: T): Promise<Extract<M, { type: T }>> {
    const answer = this.next(reply);
    this.child.send(message);
    return answer;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.send({ type: 'exit' });
    await exited;
  }
}

// ---------------------------------------------------------------- the client processes

/** One Envoy-like ADS stream on its own HTTP/2 connection, gRPC framing written by hand. */
class AdsStream {
  private readonly session: http2.ClientHttp2Session;
  private readonly stream: http2.ClientHttp2Stream;
  private chunks: Buffer[] = [];
  private buffered = 0;
  private edsSubscribed = false;
  /** When the last EDS response arrived and was ACKed (hrtime). */
  lastEds = 0n;
  readonly synced: Promise<void>;
  private markSynced!: () => void;

  constructor(
    address: string,
    index: number,
    private readonly requests: RequestEncoder,
  ) {
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
    this.send(requests.first(`sidecar~${ip}~proxy-${index}.ns~ns.svc.cluster.local`, CLUSTER_TYPE));
  }

  close(): void {
    this.stream.close();
    this.session.close();
  }

  /** Chunks are kept apart until a whole message has arrived: one copy per message, however large. */
  private receive(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    while (this.buffered >= 5) {
      if ((this.chunks[0]?.length ?? 0) < 5) this.chunks = [Buffer.concat(this.chunks)];
      const head = this.chunks[0] as Buffer;
      const length = head.readUInt32BE(1);
      if (this.buffered < 5 + length) return;
      const all = this.chunks.length === 1 ? head : Buffer.concat(this.chunks);
      this.respond(all.subarray(5, 5 + length));
      const rest = all.subarray(5 + length);
      this.chunks = rest.length > 0 ? [rest] : [];
      this.buffered = rest.length;
    }
  }

  /**
   * One gRPC message written as its parts, corked: HTTP/2 frames it exactly as one contiguous
   * write (the same DATA frames an Envoy sends), and the shared names are not copied per request.
   */
  private send(message: readonly Uint8Array[]): void {
    this.stream.cork();
    for (const part of message) this.stream.write(part);
    this.stream.uncork();
  }

  private respond(bytes: Buffer): void {
    const response = readResponseHeader(bytes);
    const eds = response.typeUrl === ENDPOINT_TYPE;
    this.send(this.requests.answer(response, eds));
    if (response.typeUrl === CLUSTER_TYPE && !this.edsSubscribed) {
      this.edsSubscribed = true;
      this.send(this.requests.subscribeEds());
    } else if (eds) {
      this.lastEds = process.hrtime.bigint();
      this.markSynced();
    }
  }
}

interface ResponseHeader {
  versionInfo: string;
  typeUrl: string;
  nonce: string;
}

/** A DiscoveryResponse's version, type and nonce, its resources skipped unread. */
function readResponseHeader(bytes: Buffer): ResponseHeader {
  const header: ResponseHeader = { versionInfo: '', typeUrl: '', nonce: '' };
  let pos = 0;
  const varint = () => {
    let value = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      const byte = bytes[pos++] ?? 0;
      value += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) break;
    }
    return value;
  };
  // Fields 1, 4 and 5, as bits: once all three are read, the rest (resources) is not walked.
  let found = 0;
  while (pos < bytes.length && found !== 0b110010) {
    const tag = varint();
    const wire = tag & 7;
    if (wire === 0) varint();
    else if (wire === 2) {
      const length = varint();
      const field = tag >>> 3;
      const text = () => bytes.toString('utf8', pos, pos + length);
      if (field === 1) header.versionInfo = text();
      else if (field === 4) header.typeUrl = text();
      else if (field === 5) header.nonce = text();
      if (field === 1 || field === 4 || field === 5) found |= 1 << field;
      pos += length;
    } else throw new Error(`unexpected wire type ${wire} in a DiscoveryResponse`);
  }
  return header;
}

/**
 * gRPC messages of DiscoveryRequests, each as the parts to write in order: the 5-byte prefix and
 * the fields encoded per request, then, for EDS, the names, the bulk of every EDS request, encoded
 * once and shared by every request (protobuf merges concatenated encodings), as an Envoy keeps
 * its request. A load driver that copied 40 KB per ACK would take CPU from the server beside it.
 */
class RequestEncoder {
  private readonly type = envoyProtos().discoveryRequest;
  private readonly edsNames: Uint8Array;

  constructor(names: readonly string[]) {
    this.edsNames = this.type.encode({ resource_names: names }).finish();
  }

  first(node: string, typeUrl: string): Uint8Array[] {
    return message(
      this.type.encode({ node: { id: node, user_agent_name: 'envoy' }, type_url: typeUrl }).finish(),
    );
  }

  subscribeEds(): Uint8Array[] {
    return message(this.type.encode({ type_url: ENDPOINT_TYPE }).finish(), this.edsNames);
  }

  answer(response: ResponseHeader, eds: boolean): Uint8Array[] {
    const head = this.type
      .encode({
        type_url: response.typeUrl,
        version_info: response.versionInfo,
        response_nonce: response.nonce,
      })
      .finish();
    return eds ? message(head, this.edsNames) : message(head);
  }
}

/** A gRPC message: the prefix (uncompressed, the length of both parts) and the head in one buffer, then the shared tail. */
function message(head: Uint8Array, tail?: Uint8Array): Uint8Array[] {
  const prefixed = Buffer.allocUnsafe(5 + head.length);
  prefixed.writeUInt8(0, 0);
  prefixed.writeUInt32BE(head.length + (tail?.length ?? 0), 1);
  prefixed.set(head, 5);
  return tail ? [prefixed, tail] : [prefixed];
}

function serviceKeys(services: number): string[] {
  return Array.from(
    { length: services },
    (_, i) => `${String(syntheticService(i, 0).service.hostname)}|http`,
  );
}

/** A client process: opens its share of the streams, then tells when a round has reached them all. */
function clients(): void {
  const requests = new RequestEncoder(serviceKeys(serviceCount()));
  let streams: AdsStream[] = [];
  const send = (message: ClientMessage) => process.send?.(message);
  process.on(
    'message',
    (message: { type: string; address?: string; from?: number; count?: number; since?: string }) => {
      if (message.type === 'open') {
        void (async () => {
          const { address = '', from = 0, count = 0 } = message;
          for (let i = 0; i < count; i += CONNECT_BATCH) {
            const batch = Array.from(
              { length: Math.min(CONNECT_BATCH, count - i) },
              (_, j) => new AdsStream(address, from + i + j, requests),
            );
            streams.push(...batch);
            await Promise.all(batch.map((s) => s.synced));
          }
          send({ type: 'synced' });
        })();
      } else if (message.type === 'reached') {
        const since = BigInt(message.since ?? '0');
        const check = () => {
          if (!streams.every((s) => s.lastEds > since)) return void setTimeout(check, 2);
          const last = streams.reduce((max, s) => (s.lastEds > max ? s.lastEds : max), 0n);
          send({ type: 'reached', at: String(last) });
        };
        check();
      } else if (message.type === 'exit') {
        for (const stream of streams) stream.close();
        streams = [];
        process.exit(0);
      }
    },
  );
}

// ---------------------------------------------------------------- the measurement

interface Measured {
  held: number;
  syncMs: number;
  pushMs: number;
  reachedMs: number;
  ackedMs: number;
  /** Server CPU time (user + system) per round. */
  cpuMs: number;
  idleRss: number;
  rss: number;
  heap: number;
  /** Memory of Buffers and other objects outside V8's heap (process.memoryUsage().external). */
  external: number;
  probeIdle: number[];
  probePush: number[];
}

/** What serves the streams: Sextant's xDS server (this tree's, or a built tree's), or the raw HTTP/2 floor. */
type Subject = { readonly kind: 'sextant'; readonly root?: string } | { readonly kind: 'floor' };

const THIS_TREE: Subject = { kind: 'sextant' };
const FLOOR: Subject = { kind: 'floor' };

function subjectEnv(subject: Subject): Record<string, string> {
  if (subject.kind === 'floor') return { SEXTANT_BENCH_XDS_SERVER: 'floor' };
  return {
    SEXTANT_BENCH_XDS_SERVER: '1',
    ...(subject.root ? { SEXTANT_BENCH_SERVER_ROOT: subject.root } : {}),
  };
}

async function measure(
  count: number,
  services: number,
  clientProcesses: number,
  subject: Subject,
): Promise<Measured> {
  const common = { SEXTANT_BENCH_SERVICES: String(services) };
  const server = new Child<ServerMessage>({ ...common, ...subjectEnv(subject) });
  const { address, v1, rss: idleRss } = await server.next('listening');
  const probe = await LoadClient.start({
    kind: 'probe',
    url: `${v1}/v1/registration/${serviceKeys(2)[1]}`,
    everyMs: PROBE_EVERY_MS,
  });
  const loads = Array.from(
    { length: clientProcesses },
    () => new Child<ClientMessage>({ ...common, SEXTANT_BENCH_XDS_CLIENT: '1' }),
  );
  try {
    const start = process.hrtime.bigint();
    const share = Math.ceil(count / clientProcesses);
    await Promise.all(
      loads.map((load, k) =>
        load.request(
          { type: 'open', address, from: k * share, count: Math.max(0, Math.min(share, count - k * share)) },
          'synced',
        ),
      ),
    );
    const syncMs = elapsedMs(start);
    let status = await server.request({ type: 'status' }, 'status');
    for (let tries = 0; status.edsUpToDate < count && tries < 1000; tries += 1) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      status = await server.request({ type: 'status' }, 'status');
    }

    await probe.take();
    await new Promise((resolve) => setTimeout(resolve, IDLE_PROBE_MS));
    const probeIdle = (await probe.take()).latencies;

    const pushMs: number[] = [];
    const reachedMs: number[] = [];
    const ackedMs: number[] = [];
    const cpuMs: number[] = [];
    const probePush: number[] = [];
    for (let round = 1; round <= ROUNDS; round += 1) {
      await probe.take();
      const sent = process.hrtime.bigint();
      const reached = Promise.all(
        loads.map((load) => load.request({ type: 'reached', since: String(sent) }, 'reached')),
      );
      const changed = await server.request({ type: 'change', round, streams: count }, 'changed');
      const last = (await reached).reduce((max, r) => (BigInt(r.at) > max ? BigInt(r.at) : max), 0n);
      probePush.push(...(await probe.take()).latencies);
      pushMs.push(changed.pushMs);
      ackedMs.push(changed.ackedMs);
      cpuMs.push(changed.cpuMs);
      reachedMs.push(Number(last - sent) / 1e6);
    }
    const { streams: held, rss, heap, external } = await server.request({ type: 'status' }, 'status');
    if (process.env.SEXTANT_BENCH_HEAP_SNAPSHOT) {
      const { file } = await server.request({ type: 'heap-snapshot' }, 'heap-snapshot');
      console.log(`heap snapshot with ${held} streams open: ${file}`);
    }
    return {
      held,
      syncMs,
      pushMs: median(pushMs),
      reachedMs: median(reachedMs),
      ackedMs: median(ackedMs),
      cpuMs: median(cpuMs),
      idleRss: idleRss / 1024 / 1024,
      rss: rss / 1024 / 1024,
      heap: heap / 1024 / 1024,
      external: external / 1024 / 1024,
      probeIdle,
      probePush,
    };
  } finally {
    await Promise.all(loads.map((load) => load.stop()));
    await probe.stop();
    await server.stop();
  }
}

interface Options {
  sizes: number[];
  services: number[];
  clients: number;
  before?: string;
  /** Measure the raw HTTP/2 floor at each size (`--no-floor` skips it). */
  floor: boolean;
}

function parse(args: readonly string[]): Options {
  const options: Options = {
    sizes: [],
    services: process.env.SEXTANT_BENCH_SERVICES ? [serviceCount()] : [50, 1000],
    clients: Number(process.env.SEXTANT_BENCH_XDS_CLIENTS ?? 2),
    floor: true,
  };
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i] ?? '';
    if (arg === '--before') options.before = path.resolve(args[(i += 1)] ?? '');
    else if (arg === '--no-floor') options.floor = false;
    else if (arg === '--services') options.services = (args[(i += 1)] ?? '').split(',').map(Number);
    else options.sizes.push(Number(arg));
  }
  if (options.sizes.length === 0) options.sizes = [500, 5000];
  return options;
}

function row(variant: string, services: number, count: number, m: Measured, floor: Measured | undefined) {
  return {
    variant,
    services,
    streams: count,
    'held by server': m.held,
    'connect + sync s': m.syncMs / 1000,
    'fan-out ms': m.pushMs,
    'reached all ms': m.reachedMs,
    'ACKed by all ms': m.ackedMs,
    'ACKed / goal': m.ackedMs / GOAL_MS,
    'ACKed / floor': floor ? m.ackedMs / floor.ackedMs : Number.NaN,
    'server CPU ms': m.cpuMs,
    'CPU / floor': floor ? m.cpuMs / floor.cpuMs : Number.NaN,
    'RSS MiB (idle)': m.idleRss,
    'RSS MiB': m.rss,
    'RSS / floor': floor ? m.rss / floor.rss : Number.NaN,
    'heap MiB': m.heap,
    'external MiB': m.external,
    'KiB per stream': ((m.rss - m.idleRss) * 1024) / count,
    'v1 p99 idle ms': percentile(m.probeIdle, 99),
    'v1 p99 push ms': percentile(m.probePush, 99),
    'v1 max push ms': percentile(m.probePush, 100),
  };
}

/** Each row on stderr as it is measured: a long run shows what it has so far. */
function progress<R extends ReturnType<typeof row>>(measured: R): R {
  console.error(JSON.stringify(measured));
  return measured;
}

export async function run(args: readonly string[]): Promise<void> {
  const options = parse(args);
  const rows = [];
  for (const services of options.services) {
    for (const count of options.sizes) {
      // Interleaved at each size: the floor, the baseline tree, this one.
      const floor = options.floor ? await measure(count, services, options.clients, FLOOR) : undefined;
      if (floor) rows.push(progress(row('raw HTTP/2 floor', services, count, floor, floor)));
      if (options.before) {
        const before = await measure(count, services, options.clients, {
          kind: 'sextant',
          root: options.before,
        });
        rows.push(progress(row('before', services, count, before, floor)));
      }
      const m = await measure(count, services, options.clients, THIS_TREE);
      rows.push(progress(row(options.before ? 'after' : 'this tree', services, count, m, floor)));
    }
  }
  console.log(
    `services × ${INSTANCES} instances; every stream is an Envoy-like sidecar on its own connection (wildcard CDS, ` +
      `EDS for every cluster), opened by ${options.clients} client processes; one endpoint change per round, ` +
      `medians of ${ROUNDS} rounds. "ACKed by all" ends when the server has recorded every stream's ACK. ` +
      `The raw HTTP/2 floor is a node:http2 server taking the same clients and bytes, counting messages ` +
      `without decoding them (lib-http2-floor.ts). ` +
      `A v1 SDS request every ${PROBE_EVERY_MS} ms, idle (${IDLE_PROBE_MS} ms) and during the rounds. ` +
      `Goals: ACKed by all ≤ ${GOAL_MS} ms, RSS ≤ ${GOAL_MIB} MiB, v1 p99 during pushes ≤ ${PROBE_GOAL_MS} ms.\n`,
  );
  printTable(rows);
}

/**
 * Runs of the floor and of this tree, alternating; of each, the run with the median ACK time.
 * The machine's speed drifts between runs (the floor alone read 293 to 873 ms at 1,000
 * services within minutes); alternating runs see the same drift.
 */
async function medianRuns(services: number, runs: number): Promise<{ floor: Measured; m: Measured }> {
  const floors: Measured[] = [];
  const ours: Measured[] = [];
  for (let run = 0; run < runs; run += 1) {
    floors.push(await measure(5000, services, 2, FLOOR));
    ours.push(await measure(5000, services, 2, THIS_TREE));
  }
  const medianRun = (list: Measured[]) =>
    [...list].sort((a, b) => a.ackedMs - b.ackedMs)[Math.floor(list.length / 2)] as Measured;
  return { floor: medianRun(floors), m: medianRun(ours) };
}

/** Alternating runs of each, per mesh size, in the summary. */
const SUMMARY_RUNS = 3;

export async function summary(): Promise<SummaryRow[]> {
  const rows: SummaryRow[] = [];
  for (const services of [50, 1000]) {
    const { floor, m } = await medianRuns(services, SUMMARY_RUNS);
    const mesh = `5,000 ADS streams, ${services.toLocaleString('en')} services`;
    rows.push(
      {
        measure: `${mesh}: endpoint change ACKed by all`,
        figure: `${m.ackedMs.toFixed(0)} ms (median of ${SUMMARY_RUNS} runs)`,
        baseline: `raw HTTP/2 floor ${floor.ackedMs.toFixed(0)} ms`,
        ratio: times(m.ackedMs / floor.ackedMs),
        goal: `≤ ${GOAL_MS} ms`,
        met: m.ackedMs <= GOAL_MS,
      },
      {
        measure: `${mesh}: server RSS`,
        figure: `${m.rss.toFixed(0)} MiB`,
        baseline: `raw HTTP/2 floor ${floor.rss.toFixed(0)} MiB`,
        ratio: times(m.rss / floor.rss),
        goal: `≤ ${GOAL_MIB} MiB`,
        met: m.rss <= GOAL_MIB,
      },
    );
    const idle = percentile(m.probeIdle, 99);
    const push = percentile(m.probePush, 99);
    rows.push({
      measure: `${mesh}: v1 probe p99 during pushes`,
      figure: `${push.toFixed(1)} ms`,
      baseline: `idle ${idle.toFixed(1)} ms`,
      ratio: times(push / idle),
      goal: `≤ ${PROBE_GOAL_MS} ms`,
      met: push <= PROBE_GOAL_MS,
    });
  }
  return rows;
}

if (require.main === module) {
  const fail = (error: unknown) => {
    console.error(error);
    process.exit(1);
  };
  if (process.env.SEXTANT_BENCH_XDS_SERVER === '1') serve().catch(fail);
  else if (process.env.SEXTANT_BENCH_XDS_SERVER === 'floor') serveFloor(serviceCount()).catch(fail);
  else if (process.env.SEXTANT_BENCH_XDS_CLIENT === '1') {
    clients();
  }
}
