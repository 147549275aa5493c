import { instanceAddress, serviceHostname, servicesFile, startDaemon, type Daemon } from './lib-daemon';
import { sdsPath } from './lib-file-mesh';
import { printTable, type SummaryRow } from './table';

export const description =
  'file adapter, 10k × 10 mesh: daemon RSS once ready and serving (v1 SDS/CDS/LDS and v3 REST polled), beside a 1-service mesh';

const GOAL_MIB = 200;
const NODES = 20;

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
  for (let k = 0; k < Math.min(NODES, services); k += 1) {
    await get(`${daemon.discovery}/v1/clusters/istio-proxy/${node(k)}`);
    await get(`${daemon.discovery}/v1/listeners/istio-proxy/${node(k)}`);
    await post('clusters', { node: { id: node(k) } });
    await post('endpoints', {
      node: { id: node(k) },
      resource_names: Array.from({ length: Math.min(100, services) }, (_, j) => `${serviceHostname(j)}|http`),
    });
  }
}

async function rssServing(services: number, instances: number): Promise<number> {
  const daemon = await startDaemon(servicesFile({ services, instances }));
  try {
    await serve(daemon, services);
    await serve(daemon, services);
    // Let garbage of the start-up and the requests be collected as it would be in a while.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    return await daemon.rss();
  } finally {
    await daemon.stop();
  }
}

async function measure(services: number, instances: number) {
  return { small: await rssServing(1, 1), mesh: await rssServing(services, instances) };
}

export async function run(args: readonly string[]): Promise<void> {
  const services = Number(args[0] ?? 10_000);
  const instances = Number(args[1] ?? 10);
  const { small, mesh } = await measure(services, instances);
  printTable([
    { daemon: 'sextant, 1 service', 'RSS MiB': small },
    { daemon: `sextant, ${services} × ${instances}`, 'RSS MiB': mesh },
  ]);
  console.log(
    `Goal: ${services} × ${instances} under ${GOAL_MIB} MiB: ${mesh < GOAL_MIB ? 'met' : 'NOT met'}.`,
  );
}

export async function summary(): Promise<SummaryRow[]> {
  const { small, mesh } = await measure(10_000, 10);
  return [
    {
      measure: '10k × 10: RSS ready and serving',
      figure: `${mesh.toFixed(0)} MiB`,
      baseline: `1 service ${small.toFixed(0)} MiB`,
      ratio: '',
      goal: `< ${GOAL_MIB} MiB`,
      met: mesh < GOAL_MIB,
    },
  ];
}
