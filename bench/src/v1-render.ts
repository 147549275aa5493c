import { parseProxyIdentity, parseServiceKey, Registry, type Snapshot } from '@sextant/core';
import { MeshIndexes, Renderer, renderCds, renderLds, renderSds } from '@sextant/envoy';
import { createDiscoveryServer, listenOn, ServerMetrics } from '@sextant/server';
import autocannon from 'autocannon';
import pino from 'pino';
import { coldCopy, seedFleet, syntheticService } from './lib-mesh';
import { elapsedMs, median, printTable, rssMiB } from './table';

export const description =
  'v1: publish and re-render after one change vs. from scratch; HTTP throughput of cached answers';

const NODE = 'sidecar~10.0.1.1~svc-1.ns-1~ns-1.svc.cluster.local';
const REPEATS = 7;
/** Distinct sidecars polling after a change (each has its own inbound listeners and clusters). */
const FLEET = 200;
const fleet = Array.from({ length: FLEET }, (_, i) =>
  parseProxyIdentity(
    `sidecar~10.${Math.floor(i / 256) % 256}.${i % 256}.1~svc-${i}.ns-${i % 50}~ns-${i % 50}.svc.cluster.local`,
  ),
);

/** Renders one sidecar's CDS, LDS and a route table through a renderer's caches. */
function renderAll(renderer: Renderer, snapshot: Snapshot): void {
  const proxy = parseProxyIdentity(NODE);
  renderer.v1.cds(snapshot, proxy);
  renderer.v1.lds(snapshot, proxy);
  renderer.v1.rds(snapshot, '8001', proxy);
}

async function measure(services: number, instances: number) {
  const registry = new Registry({ adapters: ['bench'], debounce: { afterMs: 1_000_000, maxMs: 1_000_000 } });
  const sink = registry.sink('bench');
  const start = process.hrtime.bigint();
  seedFleet(sink, services, instances);
  sink.setStatus('ready');
  const firstSyncMs = elapsedMs(start);

  const publishOne: number[] = [];
  const publishAll: number[] = [];
  const renderIncremental: number[] = [];
  const renderCold: number[] = [];
  const fleetShared: number[] = [];
  const fleetStringify: number[] = [];
  const renderer = new Renderer();
  const indexes = new MeshIndexes();
  renderAll(renderer, registry.current() as Snapshot);
  for (let round = 1; round <= REPEATS; round += 1) {
    // One service changes: re-merge that hostname, reuse every other entry.
    const changed = syntheticService(round % services, instances, round);
    let t = process.hrtime.bigint();
    sink.upsertService(changed.service, changed.instances);
    registry.flush();
    publishOne.push(elapsedMs(t));

    const snapshot = registry.current() as Snapshot;
    t = process.hrtime.bigint();
    renderAll(renderer, snapshot);
    renderIncremental.push(elapsedMs(t));

    // Baseline: the same answers from a renderer with nothing cached.
    const cold = coldCopy(snapshot);
    t = process.hrtime.bigint();
    renderAll(new Renderer(), cold);
    renderCold.push(elapsedMs(t));

    // Every sidecar of the fleet polls CDS and LDS after the change: shared encoded parts…
    t = process.hrtime.bigint();
    for (const proxy of fleet) {
      renderer.v1.cds(snapshot, proxy);
      renderer.v1.lds(snapshot, proxy);
    }
    fleetShared.push(elapsedMs(t));
    // …against the baseline: a whole JSON.stringify (and encoding) per sidecar.
    t = process.hrtime.bigint();
    for (const proxy of fleet) {
      Buffer.from(JSON.stringify(renderCds(indexes, snapshot, proxy)));
      Buffer.from(JSON.stringify(renderLds(indexes, snapshot, proxy)));
    }
    fleetStringify.push(elapsedMs(t));

    // Baseline: the same change reported as a full resync of every service.
    const all = Array.from({ length: services }, (_, i) =>
      syntheticService(i, instances, i === (round + 1) % services ? round : 0),
    );
    t = process.hrtime.bigint();
    sink.replaceAll({
      services: all.map((s) => s.service),
      instances: all.flatMap((s) => s.instances.map((i) => ({ ...i, hostname: s.service.hostname }))),
    });
    registry.flush();
    publishAll.push(elapsedMs(t));
  }
  const snapshot = registry.current() as Snapshot;
  const sds = renderSds(snapshot, parseServiceKey('svc-1.ns-1.svc.cluster.local|http')).hosts.length;
  registry.close();
  return {
    firstSyncMs,
    publishOne: median(publishOne),
    publishAll: median(publishAll),
    renderIncremental: median(renderIncremental),
    renderCold: median(renderCold),
    fleetShared: median(fleetShared),
    fleetStringify: median(fleetStringify),
    sds,
    rss: rssMiB(),
  };
}

async function throughput(services: number) {
  const registry = new Registry({ adapters: ['bench'] });
  const sink = registry.sink('bench');
  seedFleet(sink, services, 5);
  sink.setStatus('ready');
  const renderer = new Renderer();
  const app = createDiscoveryServer(
    registry,
    renderer,
    new ServerMetrics(registry, () => renderer.cache.stats()),
    pino({ level: 'silent' }),
  );
  const address = await listenOn(app, '127.0.0.1:0');
  const rows = [];
  for (const [api, path] of [
    ['SDS', '/v1/registration/svc-1.ns-1.svc.cluster.local|http'],
    ['CDS', `/v1/clusters/istio-proxy/${NODE}`],
  ] as const) {
    const result = await autocannon({ url: `http://${address}${path}`, connections: 32, duration: 3 });
    rows.push({
      services,
      api,
      'req/s': Math.round(result.requests.average),
      'p50 ms': result.latency.p50,
      'p99 ms': result.latency.p99,
      'KiB/resp': Math.round(result.throughput.average / Math.max(1, result.requests.average) / 102.4) / 10,
      errors: result.errors + result.non2xx,
    });
  }
  await app.close();
  registry.close();
  return rows;
}

export async function run(args: readonly string[]): Promise<void> {
  const sizes = args.length > 0 ? args.map(Number) : [1000, 5000];
  const rows = [];
  for (const services of sizes) {
    const m = await measure(services, 5);
    rows.push({
      services,
      instances: services * 5,
      'first sync ms': m.firstSyncMs,
      'publish 1 change ms': m.publishOne,
      'publish full resync ms (baseline)': m.publishAll,
      'resync/1-change': m.publishAll / m.publishOne,
      'render after 1 change ms': m.renderIncremental,
      'render cold ms (baseline)': m.renderCold,
      'cold/incremental': m.renderCold / m.renderIncremental,
      [`${FLEET} sidecars' CDS+LDS ms`]: m.fleetShared,
      'stringify each ms (baseline)': m.fleetStringify,
      'stringify/shared': m.fleetStringify / m.fleetShared,
      'RSS MiB': m.rss,
    });
  }
  console.log('Registry and renderers (medians of 7 rounds; render = CDS + LDS + one RDS for one sidecar)\n');
  printTable(rows);
  console.log('HTTP, 32 connections, 3 s each, answers served from the response cache\n');
  const http = [];
  for (const services of sizes) http.push(...(await throughput(services)));
  printTable(http);
}
