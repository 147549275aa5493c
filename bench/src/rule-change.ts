import { parseProxyIdentity, readRuleDocuments, Registry, type Snapshot } from '@sextant/core';
import { CLUSTER_TYPE, Renderer, ROUTE_TYPE, type ResourceGroup, type SubscribedNames } from '@sextant/envoy';
import { seedFleet } from './lib-mesh';
import { elapsedMs, median, printTable, rssMiB } from './table';

export const description =
  'rules: the cost of one rule change at 1,000 services beside 0, 100 and 1,000 unrelated rules';

const SERVICES = 1000;
const REPEATS = 15;
const NODE = 'sidecar~10.0.1.1~svc-1.ns-1~ns-1.svc.cluster.local';
/** The changed rule's host: svc-0, port 8000 (lib-mesh spreads services over ports 8000-8019). */
const CHANGED_HOST = 'svc-0.ns-0.svc.cluster.local';
const CHANGED_PORT = '8000';

const destinationRule = (name: string, host: string) => `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: ${name}, namespace: ns-0 }
spec:
  host: ${host}
  trafficPolicy: { connectionPool: { http: { http1MaxPendingRequests: 64 } } }
  subsets:
    - { name: v0, labels: { version: v0 } }
    - { name: v1, labels: { version: v1 } }
`;

const virtualService = (name: string, host: string, weight: number) => `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: ${name}, namespace: ns-0 }
spec:
  hosts: [${host}]
  http:
    - match: [{ headers: { end-user: { exact: jason } } }]
      route: [{ destination: { host: ${host}, subset: v1 } }]
    - route:
        - { destination: { host: ${host}, subset: v0 }, weight: ${weight} }
        - { destination: { host: ${host}, subset: v1 }, weight: ${100 - weight} }
      timeout: 2s
      retries: { attempts: 3, retryOn: "5xx,connect-failure" }
`;

/** `count` rules for hosts other than the changed one: a DestinationRule and a VirtualService per host. */
function unrelatedRules(count: number): string[] {
  return Array.from({ length: count }, (_, k) => {
    const host = `svc-${1 + (Math.floor(k / 2) % (SERVICES - 1))}.ns-0.svc.cluster.local`;
    return k % 2 === 0 ? destinationRule(`dr-${k}`, host) : virtualService(`vs-${k}`, host, 50);
  });
}

/** What an ADS stream of one sidecar does after a change: its clusters and its port's route table, diffed. */
class Sidecar {
  private readonly proxy = parseProxyIdentity(NODE);
  private clusters: ResourceGroup | undefined;
  private routes: ResourceGroup | undefined;

  constructor(private readonly renderer: Renderer) {}

  /** Resources that changed since the last call. */
  update(snapshot: Snapshot): number {
    const requester = { proxy: this.proxy, kind: 'ads' as const, target: 'v3' as const };
    const clusters = this.renderer.v3.resourceSet(snapshot, CLUSTER_TYPE, requester).wildcard();
    const route = this.renderer.v3.resourceSet(snapshot, ROUTE_TYPE, requester).get(CHANGED_PORT);
    const routes = this.renderer.v3.subscribedGroup(
      this.renderer.v3.resourceSet(snapshot, ROUTE_TYPE, requester),
      fixedNames([CHANGED_PORT]),
    );
    if (!route) throw new Error(`no route configuration ${CHANGED_PORT}`);
    const changed =
      (this.clusters?.diffTo(clusters).upserted.length ?? clusters.size) +
      (this.routes?.diffTo(routes).upserted.length ?? routes.size);
    this.clusters = clusters;
    this.routes = routes;
    // v1: the same sidecar polling RDS and CDS.
    this.renderer.v1.rds(snapshot, CHANGED_PORT, this.proxy);
    this.renderer.v1.cds(snapshot, this.proxy);
    return changed;
  }
}

function fixedNames(names: readonly string[]): SubscribedNames {
  const set = new Set(names);
  const digest = names.join(',');
  return { isWildcard: () => false, resourceNames: () => set, digest: () => digest };
}

interface Layout {
  readonly name: string;
  /** Rules files: each a source of its own. The changed rule is in the first. */
  files(unrelated: readonly string[], changed: string): string[];
}

const LAYOUTS: Layout[] = [
  { name: 'a file per rule', files: (unrelated, changed) => [changed, ...unrelated] },
  { name: 'one file', files: (unrelated, changed) => [[changed, ...unrelated].join('---\n')] },
];

function measure(unrelatedCount: number, layout: Layout) {
  const registry = new Registry({
    adapters: ['bench'],
    debounce: { afterMs: 1_000_000, maxMs: 1_000_000 },
  });
  const sink = registry.sink('bench');
  seedFleet(sink, SERVICES, 3);
  sink.setStatus('ready');
  const unrelated = unrelatedRules(unrelatedCount);
  const changedRule = (weight: number) =>
    destinationRule('changed', CHANGED_HOST) + '---\n' + virtualService('changed', CHANGED_HOST, weight);
  const files = layout.files(unrelated, changedRule(90));
  files.forEach((text, i) => {
    const { inputs, problems } = readRuleDocuments(text, `rules-${i}.yaml`);
    if (problems.length > 0) throw new Error(problems.map((p) => p.message).join('\n'));
    registry.ruleSink(`rules-${i}.yaml`).replace(inputs, problems);
  });
  registry.flush();
  const renderer = new Renderer();
  const sidecar = new Sidecar(renderer);
  sidecar.update(registry.current() as Snapshot);

  const read: number[] = [];
  const publish: number[] = [];
  const render: number[] = [];
  const total: number[] = [];
  let changedResources = 0;
  for (let round = 1; round <= REPEATS; round += 1) {
    const text = layout.files(unrelated, changedRule(round % 2 === 0 ? 90 : 10))[0] ?? '';
    const start = process.hrtime.bigint();
    const { inputs, problems } = readRuleDocuments(text, 'rules-0.yaml');
    read.push(elapsedMs(start));
    let t = process.hrtime.bigint();
    registry.ruleSink('rules-0.yaml').replace(inputs, problems);
    registry.flush();
    publish.push(elapsedMs(t));
    t = process.hrtime.bigint();
    changedResources = sidecar.update(registry.current() as Snapshot);
    render.push(elapsedMs(t));
    total.push(elapsedMs(start));
  }
  const changedHosts = (registry.current() as Snapshot).changed.size;
  registry.close();
  return {
    'unrelated rules': unrelatedCount,
    layout: layout.name,
    'read file (ms)': median(read),
    'registry publish (ms)': median(publish),
    're-render + diff (ms)': median(render),
    'total (ms)': median(total),
    'hosts changed': changedHosts,
    'resources sent': changedResources,
    'rss (MiB)': Math.round(rssMiB()),
  };
}

export async function run(): Promise<void> {
  console.log(
    `${SERVICES} services; the changed rule (a DestinationRule and a VirtualService for one host) flips a 90/10 split; ` +
      `median of ${REPEATS}. Render: one sidecar's v3 clusters (wildcard) and route table, diffed as its ADS stream does, and its v1 RDS and CDS.\n` +
      `Baseline: the same change with 0 unrelated rules. Goal: with rules in a file each, the cost does not grow with unrelated rules.\n`,
  );
  // A throwaway run first, so the first row does not pay for compiling the code it measures.
  measure(100, LAYOUTS[0] as Layout);
  const rows = [];
  for (const layout of LAYOUTS) {
    for (const count of [0, 100, 1000]) rows.push(measure(count, layout));
  }
  printTable(rows);
  await Promise.resolve();
}
