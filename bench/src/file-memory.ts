import { instanceAddress, serviceHostname, servicesFile, startDaemon, type Daemon } from './lib-daemon';
import { sdsPath } from './lib-file-mesh';
import { printTable, type SummaryRow } from './table';

export const description =
  'file adapter, 10k × 10 mesh: daemon RSS once ready and serving (v1 SDS of every service, v1 CDS/LDS for 20 proxies, v3 REST CDS/EDS/LDS/RDS for 1), beside a 1-service mesh';

const GOAL_MIB = 200;
const OPTIMIZE_FOR_SIZE = '--optimize-for-size';
const V1_NODES = 20;
/** Each v3 CDS answer of a 10k mesh is megabytes, kept in the render cache (limits.renderCache, 128 MiB): a few proxies fill it. */
const V3_NODES = 1;

function node(k: number): string {
  return `sidecar~${instanceAddress(k, 0)}~svc-${k}~ns-${k % 20}.svc.cluster.local`;
}

/** What proxies would ask of a daemon: every service's SDS, and CDS, LDS and v3 for a few nodes. */
async function serve(daemon: Daemon, services: number): Promise<void> {
  const get = async (url: string) => (await fetch(url)).arrayBuffer();
  const post = async (noun: string, body: object) =>
    (
      await fetch(`${daemon.discovery}/v3/discovery:${noun}`, { method: 'POST', body: JSON.stringify(body) })
    ).arrayBuffer();
  for (let i = 0; i < services; i += 16) {
    await Promise.all(
      Array.from({ length: Math.min(16, services - i) }, (_, k) =>
        get(`${daemon.discovery}${sdsPath(i + k)}`),
      ),
    );
  }
  for (let k = 0; k < Math.min(V1_NODES, services); k += 1) {
    await get(`${daemon.discovery}/v1/clusters/istio-proxy/${node(k)}`);
    await get(`${daemon.discovery}/v1/listeners/istio-proxy/${node(k)}`);
  }
  for (let k = 0; k < Math.min(V3_NODES, services); k += 1) {
    await post('clusters', { node: { id: node(k) } });
    await post('listeners', { node: { id: node(k) } });
    await post('routes', { node: { id: node(k) } });
    await post('endpoints', {
      node: { id: node(k) },
      resource_names: Array.from({ length: Math.min(100, services) }, (_, j) => `${serviceHostname(j)}|http`),
    });
  }
}

interface Figures {
  /** RSS a few seconds after ready, before any request. */
  readonly readyMiB: number;
  /** RSS once every request has been served (twice) and a few seconds have passed. */
  readonly servingMiB: number;
  /** What the render cache holds then. */
  readonly renderCacheMiB: number;
}

async function rssServing(services: number, instances: number, nodeArgs: string[] = []): Promise<Figures> {
  const daemon = await startDaemon(servicesFile({ services, instances }), { nodeArgs });
  const settle = () => new Promise((resolve) => setTimeout(resolve, 3000));
  try {
    await settle();
    const readyMiB = await daemon.rss();
    await serve(daemon, services);
    await serve(daemon, services);
    await settle();
    const metrics = await (await fetch(`${daemon.admin}/metrics`)).text();
    const held = Number(/^sextant_render_cache_bytes\{of="held"\} (\d+)/m.exec(metrics)?.[1] ?? 0);
    return { readyMiB, servingMiB: await daemon.rss(), renderCacheMiB: held / 1024 / 1024 };
  } finally {
    await daemon.stop();
  }
}

async function measure(services: number, instances: number) {
  return {
    small: await rssServing(1, 1),
    mesh: await rssServing(services, instances),
    // What an operator short of memory can trade CPU for (docs/operations.md, "Memory").
    compact: await rssServing(services, instances, [OPTIMIZE_FOR_SIZE]),
  };
}

export async function run(args: readonly string[]): Promise<void> {
  const services = Number(args[0] ?? 10_000);
  const instances = Number(args[1] ?? 10);
  const { small, mesh, compact } = await measure(services, instances);
  const row = (daemon: string, f: Figures) => ({
    daemon,
    'RSS ready MiB': f.readyMiB,
    'RSS serving MiB': f.servingMiB,
    'of which render cache MiB': f.renderCacheMiB,
  });
  printTable([
    row('sextant, 1 service', small),
    row(`sextant, ${services} × ${instances}`, mesh),
    row(`sextant, ${services} × ${instances}, node ${OPTIMIZE_FOR_SIZE}`, compact),
  ]);
  console.log(
    `Goal: ${services} × ${instances} serving under ${GOAL_MIB} MiB: ${mesh.servingMiB < GOAL_MIB ? 'met' : 'NOT met'}.`,
  );
}

export async function summary(): Promise<SummaryRow[]> {
  const { small, mesh, compact } = await measure(10_000, 10);
  return [
    {
      measure: '10k × 10: RSS ready and serving',
      figure: `${mesh.servingMiB.toFixed(0)} MiB (render cache ${mesh.renderCacheMiB.toFixed(0)})`,
      baseline: `1 service ${small.servingMiB.toFixed(0)} MiB; node ${OPTIMIZE_FOR_SIZE} ${compact.servingMiB.toFixed(0)} MiB`,
      ratio: '',
      goal: `< ${GOAL_MIB} MiB`,
      met: mesh.servingMiB < GOAL_MIB,
    },
  ];
}
