import { envoyProtos } from '@sextant/envoy';
import { waitFor } from '@sextant/testkit';
import { RawGrpcStream } from '@sextant/testkit/grpc';
import { servicesFile, startDaemon, type Daemon } from './lib-daemon';
import { printTable, type SummaryRow } from './table';

export const description =
  'memory: the daemon RSS before and after 5,000 of each hostile request kind, beside 5,000 ordinary ones';

const SERVICES = 1000;
const ADS = '/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources';
const DELTA = '/envoy.service.discovery.v3.AggregatedDiscoveryService/DeltaAggregatedResources';
const ROUTES = 'type.googleapis.com/envoy.config.route.v3.RouteConfiguration';
const ENDPOINTS = 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment';
const NODE = 'sidecar~10.2.0.1~svc-1~ns-1.svc.cluster.local';

interface Kind {
  readonly name: string;
  /** The hostile request, the i-th time. */
  readonly attack: (daemon: Daemon, i: number) => Promise<void>;
  /** The same kind of request, the same every time. */
  readonly ordinary: (daemon: Daemon, i: number) => Promise<void>;
}

const post = async (daemon: Daemon, noun: string, body: object) => {
  const response = await fetch(`${daemon.discovery}/v3/discovery:${noun}`, {
    method: 'POST',
    body: JSON.stringify(body),
  });
  await response.arrayBuffer();
};
const get = async (url: string) => {
  await (await fetch(url)).arrayBuffer();
};

function sotwRequest(fields: Record<string, unknown>): Uint8Array {
  const type = envoyProtos().discoveryRequest;
  return type.encode(type.fromObject(fields)).finish();
}

function deltaRequest(fields: Record<string, unknown>): Uint8Array {
  const type = envoyProtos().deltaDiscoveryRequest;
  return type.encode(type.fromObject(fields)).finish();
}

/** Opens an ADS stream as `node`, asks for route table 8080, waits for the answer, hangs up. */
async function shortStream(daemon: Daemon, node: string): Promise<void> {
  const stream = new RawGrpcStream(daemon.xds, ADS);
  stream.send(sotwRequest({ node: { id: node }, type_url: ROUTES, resource_names: ['8080'] }));
  await waitFor(() => stream.messages.length > 0, { timeoutMs: 20_000, intervalMs: 2 });
  stream.close();
}

/** Streams kept open across requests of one kind, replaced when the server closes one. */
class StreamPool {
  private stream: RawGrpcStream | undefined;
  private sent = 0;
  constructor(
    private readonly open: () => RawGrpcStream,
    private readonly perStream: number,
  ) {}
  send(message: Uint8Array): void {
    if (!this.stream || this.stream.status !== undefined || this.sent >= this.perStream) {
      this.stream?.close();
      this.stream = this.open();
      this.sent = 0;
    }
    this.stream.send(message);
    this.sent += 1;
  }
  close(): void {
    this.stream?.close();
  }
}

function kinds(pools: StreamPool[]): Kind[] {
  const subsetKeys = (base: number) =>
    Array.from({ length: 60 }, (_, j) => `svc-${j}.ns-${j % 20}.svc.cluster.local|http|version=v${base + j}`);
  const pool = (open: () => RawGrpcStream, perStream: number) => {
    const p = new StreamPool(open, perStream);
    pools.push(p);
    return p;
  };
  let delta: StreamPool | undefined;
  let deltaOrdinary: StreamPool | undefined;
  let stalled: StreamPool | undefined;
  let stalledOrdinary: StreamPool | undefined;
  let unserved: StreamPool | undefined;
  let unservedOrdinary: StreamPool | undefined;
  return [
    {
      name: 'v3 RDS, new proxy domain each',
      attack: (d, i) => post(d, 'routes', { node: { id: `sidecar~10.9.0.1~x~t-${i}.example.org` } }),
      ordinary: (d) => post(d, 'routes', { node: { id: NODE } }),
    },
    {
      name: 'v1 RDS, new proxy domain each',
      attack: (d, i) => get(`${d.discovery}/v1/routes/8080/c/sidecar~10.9.0.1~x~d-${i}.example`),
      ordinary: (d) => get(`${d.discovery}/v1/routes/8080/c/${NODE}`),
    },
    {
      name: 'v3 CDS, new proxy IP each',
      attack: (d, i) =>
        post(d, 'clusters', { node: { id: `sidecar~10.200.${i >> 8}.${i & 255}~x~ns-0.svc.cluster.local` } }),
      ordinary: (d) => post(d, 'clusters', { node: { id: NODE } }),
    },
    {
      name: 'v1 CDS and LDS, new node id each',
      attack: async (d, i) => {
        const node = `sidecar~10.201.${i >> 8}.${i & 255}~x-${i}~n-${i}.example`;
        await get(`${d.discovery}/v1/clusters/c/${node}`);
        await get(`${d.discovery}/v1/listeners/c/${node}`);
      },
      ordinary: async (d) => {
        await get(`${d.discovery}/v1/clusters/c/${NODE}`);
        await get(`${d.discovery}/v1/listeners/c/${NODE}`);
      },
    },
    {
      name: 'EDS naming 60 new subset keys each',
      attack: (d, i) => post(d, 'endpoints', { node: { id: NODE }, resource_names: subsetKeys(i * 60) }),
      ordinary: (d) => post(d, 'endpoints', { node: { id: NODE }, resource_names: subsetKeys(0) }),
    },
    {
      name: 'short gRPC stream, new domain each',
      attack: (d, i) => shortStream(d, `sidecar~10.8.1.1~g-${i}~grpc-${i}.example`),
      ordinary: (d) => shortStream(d, NODE),
    },
    {
      name: 'delta subscription growing by 100 names',
      attack: (d, i) => {
        delta ??= pool(() => new RawGrpcStream(d.xds, DELTA), 2000);
        delta.send(
          deltaRequest({
            node: { id: NODE },
            type_url: ENDPOINTS,
            resource_names_subscribe: Array.from({ length: 100 }, (_, j) => `x${i}-${j}.example|http`),
          }),
        );
        return Promise.resolve();
      },
      ordinary: (d) => {
        deltaOrdinary ??= pool(() => new RawGrpcStream(d.xds, DELTA), 2000);
        deltaOrdinary.send(
          deltaRequest({
            node: { id: NODE },
            type_url: ENDPOINTS,
            resource_names_subscribe: ['x.example|http'],
          }),
        );
        return Promise.resolve();
      },
    },
    {
      name: 'client that never reads, asking again',
      attack: (d, i) => {
        stalled ??= pool(() => new RawGrpcStream(d.xds, ADS, { initialWindowSize: 0 }), 1_000_000);
        stalled.send(
          sotwRequest({
            node: { id: NODE },
            type_url: ENDPOINTS,
            resource_names: subsetKeys(i % 2 === 0 ? 0 : 60),
          }),
        );
        return Promise.resolve();
      },
      ordinary: (d) => {
        stalledOrdinary ??= pool(() => new RawGrpcStream(d.xds, ADS), 1_000_000);
        stalledOrdinary.send(
          sotwRequest({ node: { id: NODE }, type_url: ENDPOINTS, resource_names: subsetKeys(0) }),
        );
        return Promise.resolve();
      },
    },
    {
      name: 'unserved type URL, new each',
      attack: (d, i) => {
        unserved ??= pool(() => new RawGrpcStream(d.xds, ADS), 20);
        unserved.send(sotwRequest({ node: { id: NODE }, type_url: `type.googleapis.com/made.up.T${i}` }));
        return Promise.resolve();
      },
      ordinary: (d) => {
        unservedOrdinary ??= pool(() => new RawGrpcStream(d.xds, ADS), 1_000_000);
        unservedOrdinary.send(sotwRequest({ node: { id: NODE }, type_url: 'type.googleapis.com/made.up.T' }));
        return Promise.resolve();
      },
    },
  ];
}

async function repeat(
  count: number,
  concurrency: number,
  one: (i: number) => Promise<void>,
): Promise<number> {
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const i = next;
        next += 1;
        await one(i);
      }
    }),
  );
  return performance.now() - started;
}

/** Hostile RSS growth may exceed ordinary growth by at most this (limits.renderCache bounds the caches). */
const GOAL_MIB = 64;

interface Figures {
  readonly kind: string;
  readonly ordinaryMiB: number;
  readonly hostileMiB: number;
  readonly rssMiB: number;
  readonly ordinaryMs: number;
  readonly hostileMs: number;
}

async function measure(
  count: number,
  only: string | undefined,
): Promise<{ figures: Figures[]; alive: boolean }> {
  const daemon = await startDaemon(servicesFile({ services: SERVICES, instances: 2 }));
  const figures: Figures[] = [];
  const pools: StreamPool[] = [];
  let alive = false;
  try {
    for (const kind of kinds(pools).filter((k) => only === undefined || k.name.includes(only))) {
      const before = await daemon.rss();
      const ordinaryMs = await repeat(count, 8, (i) => kind.ordinary(daemon, i));
      const afterOrdinary = await daemon.rss();
      const hostileMs = await repeat(count, 8, (i) => kind.attack(daemon, i));
      // Let queued writes, closed streams and garbage settle before reading the figure.
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const afterAttack = await daemon.rss();
      figures.push({
        kind: kind.name,
        ordinaryMiB: afterOrdinary - before,
        hostileMiB: afterAttack - afterOrdinary,
        rssMiB: afterAttack,
        ordinaryMs,
        hostileMs,
      });
    }
  } finally {
    for (const p of pools) p.close();
    alive = daemon.child.exitCode === null && daemon.child.signalCode === null;
    await daemon.stop();
  }
  return { figures, alive };
}

export async function run(args: readonly string[]): Promise<void> {
  const count = Number(args[0] ?? 5000);
  const { figures, alive } = await measure(count, args[1]);
  printTable(
    figures.map((f) => ({
      'request kind': f.kind,
      count,
      'ordinary: RSS +MiB': f.ordinaryMiB,
      'hostile: RSS +MiB': f.hostileMiB,
      'hostile RSS MiB': f.rssMiB,
      'ordinary s': f.ordinaryMs / 1000,
      'hostile s': f.hostileMs / 1000,
    })),
  );
  console.log(`The daemon ${alive ? 'was still up and answering' : 'DIED'} at the end.`);
  console.log(
    `Goal: every hostile row within ${GOAL_MIB} MiB of its ordinary row (limits.renderCache bounds the caches).`,
  );
}

export async function summary(): Promise<SummaryRow[]> {
  const { figures, alive } = await measure(5000, undefined);
  return [
    ...figures.map((f) => ({
      measure: `RSS after 5,000 × ${f.kind}`,
      figure: `+${f.hostileMiB.toFixed(1)} MiB`,
      baseline: `ordinary +${f.ordinaryMiB.toFixed(1)} MiB`,
      ratio: '',
      goal: `≤ ordinary + ${GOAL_MIB} MiB`,
      met: f.hostileMiB <= f.ordinaryMiB + GOAL_MIB,
    })),
    {
      measure: 'daemon up after the hostile requests',
      figure: alive ? 'up' : 'DIED',
      baseline: '',
      ratio: '',
      goal: 'up',
      met: alive,
    },
  ];
}
