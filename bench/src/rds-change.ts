import { parseProxyIdentity, Registry, type Snapshot } from '@sextant/core';
import { Renderer, ROUTE_TYPE } from '@sextant/envoy';
import { coldCopy } from './lib-mesh';
import { elapsedMs, median, printTable } from './table';

export const description =
  "v1 and v3 RDS: every domain's route table after one service's VIP changes, vs the same tables rendered from nothing";

const PORT = 8080;
/** Namespaces of the mesh; a sidecar in each of the first DOMAINS polls (their tables differ). */
const NAMESPACES = 10;
const DOMAINS = 5;
const ROUNDS = 5;

const proxies = Array.from({ length: DOMAINS }, (_, d) =>
  parseProxyIdentity(`sidecar~10.200.0.${d + 1}~tool-${d}.ns-${d}~ns-${d}.svc.cluster.local`),
);

function service(i: number, vip: string) {
  return {
    hostname: `svc-${i}.ns-${i % NAMESPACES}.svc.cluster.local`,
    ports: [{ name: 'http', port: PORT, protocol: 'http' as const }],
    addresses: [vip],
  };
}

/** Every domain's table on PORT, v1 and v3, through `renderer`. */
function renderTables(renderer: Renderer, snapshot: Snapshot): void {
  for (const proxy of proxies) {
    renderer.v1.rds(snapshot, String(PORT), proxy);
    renderer.v3.resourceSet(snapshot, ROUTE_TYPE, { proxy, kind: 'ads' }).get(String(PORT));
  }
}

async function measure(services: number) {
  const registry = new Registry({ adapters: ['bench'], debounce: { afterMs: 1_000_000, maxMs: 1_000_000 } });
  const sink = registry.sink('bench');
  for (let i = 0; i < services; i += 1) {
    sink.upsertService(service(i, `10.100.${i >> 8}.${i & 255}`), []);
  }
  sink.setStatus('ready');
  registry.flush();
  const renderer = new Renderer();
  renderTables(renderer, registry.current() as Snapshot);
  const incremental: number[] = [];
  const cold: number[] = [];
  for (let round = 1; round <= ROUNDS; round += 1) {
    // One service moves to another VIP: its virtual host's domains change, so does the port's version.
    const i = (round * 7919) % services;
    sink.upsertService(service(i, `10.101.${round}.${i & 255}`), []);
    registry.flush();
    const snapshot = registry.current() as Snapshot;
    let t = process.hrtime.bigint();
    renderTables(renderer, snapshot);
    incremental.push(elapsedMs(t));
    // Baseline: the same tables from a renderer with nothing cached.
    const copy = coldCopy(snapshot);
    t = process.hrtime.bigint();
    renderTables(new Renderer(), copy);
    cold.push(elapsedMs(t));
  }
  registry.close();
  return { incremental: median(incremental), cold: median(cold) };
}

export async function run(args: readonly string[]): Promise<void> {
  const sizes = args.length > 0 ? args.map(Number) : [1000, 10_000];
  const rows = [];
  for (const services of sizes) {
    const m = await measure(services);
    rows.push({
      services,
      tables: `${DOMAINS} domains × v1 and v3`,
      'after 1 VIP change ms': m.incremental,
      'from nothing ms (baseline)': m.cold,
      'baseline / after change': m.cold / m.incremental,
    });
  }
  console.log(
    `Every service on port ${PORT}, in ${NAMESPACES} namespaces; a sidecar in each of ${DOMAINS} of them; medians of ${ROUNDS} rounds\n`,
  );
  printTable(rows);
}
