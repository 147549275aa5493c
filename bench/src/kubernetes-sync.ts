import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, waitFor } from '@sextant/testkit';
import {
  FakeKubernetesApi,
  k8sEndpointSlice,
  k8sNode,
  k8sPod,
  k8sService,
  type EndpointSpec,
} from '@sextant/testkit/kubernetes';
import { elapsedMs, median, printTable } from './table';
import { CLI } from './lib-daemon';

export const description =
  'kubernetes adapter: first sync, daemon RSS and slice-change-to-SDS latency at 5,000 Services x 10 endpoints, vs the file adapter';

const TOKEN = 'bench-token';
const NAMESPACES = 50;
const NODES = 100;
const ZONES = ['zone-a', 'zone-b', 'zone-c'];
const CHANGES = 15;

interface Mesh {
  readonly services: number;
  readonly endpoints: number;
}

/** Service `i` of the synthetic cluster: name, namespace, VIP, and the address of its endpoint `j`. */
const serviceName = (i: number) => `svc-${i}`;
const namespaceOf = (i: number) => `ns-${i % NAMESPACES}`;
const vip = (i: number) => `10.96.${Math.floor(i / 250)}.${(i % 250) + 1}`;
/** Endpoint `j` of service `i`; a replacement made in change `generation` gets an address of its own. */
const podAddress = (i: number, j: number, generation = 0) =>
  generation === 0
    ? `10.${16 + Math.floor(i / 256)}.${i % 256}.${j + 1}`
    : `10.${200 + (generation % 50)}.${i % 256}.${Math.floor(i / 256) + 1}`;
const hostname = (i: number) => `${serviceName(i)}.${namespaceOf(i)}.svc.cluster.local`;

function endpoint(i: number, j: number, generation = 0): EndpointSpec {
  const node = (i * 7 + j) % NODES;
  return {
    address: podAddress(i, j, generation),
    pod: `${serviceName(i)}-${j}-${generation}`,
    nodeName: `node-${node}`,
    zone: ZONES[node % ZONES.length] ?? 'zone-a',
  };
}

function slice(i: number, endpoints: EndpointSpec[]) {
  return k8sEndpointSlice({
    name: `${serviceName(i)}-abcde`,
    namespace: namespaceOf(i),
    service: serviceName(i),
    endpoints,
    ports: [{ name: 'http', port: 8080 }],
  });
}

/** A fake API server holding the mesh as the controllers would write it. */
async function seedCluster(mesh: Mesh): Promise<FakeKubernetesApi> {
  const fake = await FakeKubernetesApi.start({ tokens: [TOKEN], historyLimit: 1000, bookmarkIntervalMs: 0 });
  for (let n = 0; n < NODES; n += 1) {
    fake.put(k8sNode({ name: `node-${n}`, region: 'eu-west-1', zone: ZONES[n % ZONES.length] ?? 'zone-a' }));
  }
  for (let i = 0; i < mesh.services; i += 1) {
    const namespace = namespaceOf(i);
    fake.put(
      k8sService({
        name: serviceName(i),
        namespace,
        clusterIP: vip(i),
        ports: [{ name: 'http', port: 80, targetPort: 8080 }],
      }),
    );
    const endpoints: EndpointSpec[] = [];
    for (let j = 0; j < mesh.endpoints; j += 1) {
      const e = endpoint(i, j);
      endpoints.push(e);
      fake.put(
        k8sPod({
          name: e.pod ?? '',
          namespace,
          labels: { app: serviceName(i), version: `v${j % 2}`, 'pod-template-hash': `h${i}` },
          ip: e.address,
          nodeName: e.nodeName ?? '',
          containerPort: 8080,
        }),
      );
    }
    fake.put(slice(i, endpoints));
  }
  return fake;
}

/** The same mesh as a services file, for the file adapter: the baseline. */
function servicesFile(mesh: Mesh, changed?: { service: number; generation: number }): string {
  const services = [];
  for (let i = 0; i < mesh.services; i += 1) {
    const generation = changed?.service === i ? changed.generation : 0;
    services.push({
      hostname: hostname(i),
      ports: [{ name: 'http', port: 80, protocol: 'http' }],
      addresses: [vip(i)],
      instances: Array.from({ length: mesh.endpoints }, (_, j) => {
        const e = endpoint(i, j, j === 0 ? generation : 0);
        return {
          address: e.address,
          port: 8080,
          labels: { app: serviceName(i), version: `v${j % 2}`, 'pod-template-hash': `h${i}` },
          locality: { region: 'eu-west-1', zone: e.zone },
        };
      }),
    });
  }
  return JSON.stringify({ services });
}

interface Daemon {
  readonly child: ChildProcess;
  readonly discovery: string;
  readonly admin: string;
  /** Spawn to /healthz, and spawn to /readyz (every adapter synced), in ms. */
  readonly upMs: number;
  readonly readyMs: number;
}

async function startDaemon(dir: string, adapter: string): Promise<Daemon> {
  const [discoveryPort, adminPort] = [await freePort(), await freePort()];
  const config = path.join(dir, 'sextant.yaml');
  fs.writeFileSync(
    config,
    [
      'listen:',
      `  discovery: 127.0.0.1:${discoveryPort}`,
      `  admin: 127.0.0.1:${adminPort}`,
      '  xds: 127.0.0.1:0',
      'log: { level: warn }',
      'adapters:',
      adapter,
      '',
    ].join('\n'),
  );
  const started = process.hrtime.bigint();
  const child = spawn(process.execPath, [CLI, '--config', config], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const admin = `http://127.0.0.1:${adminPort}`;
  const ok = async (url: string) => (await fetch(url).catch(() => undefined))?.ok === true;
  await waitFor(() => ok(`${admin}/healthz`), {
    timeoutMs: 30_000,
    intervalMs: 5,
    message: 'the daemon to start',
  });
  const upMs = elapsedMs(started);
  await waitFor(() => ok(`${admin}/readyz`), {
    timeoutMs: 300_000,
    intervalMs: 5,
    message: 'the first sync',
  });
  return { child, discovery: `http://127.0.0.1:${discoveryPort}`, admin, upMs, readyMs: elapsedMs(started) };
}

/** Resident and peak resident memory of a process, in MiB (Linux /proc). */
function memoryMiB(pid: number | undefined): { rss: number; peak: number } {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rss: kib('VmRSS') / 1024, peak: kib('VmHWM') / 1024 };
}

/** How long from a change until SDS for that service shows its new endpoint. */
async function timeToSds(
  daemon: Daemon,
  service: number,
  address: string,
  change: () => void,
): Promise<number> {
  const url = `${daemon.discovery}/v1/registration/${hostname(service)}|http`;
  const started = process.hrtime.bigint();
  change();
  await waitFor(async () => (await (await fetch(url)).text()).includes(`"${address}"`), {
    timeoutMs: 120_000,
    intervalMs: 2,
    message: `SDS of ${hostname(service)} to show ${address}`,
  });
  return elapsedMs(started);
}

interface Result {
  readonly readyMs: number;
  readonly syncMs: number;
  readonly rss: number;
  readonly peak: number;
  readonly changeMs: number[];
}

async function measureKubernetes(mesh: Mesh, dir: string): Promise<Result> {
  const fake = await seedCluster(mesh);
  const kubeconfig = fake.writeKubeconfig(path.join(dir, 'kubeconfig'), { token: TOKEN });
  const daemon = await startDaemon(dir, `  - { name: k8s, type: kubernetes, kubeconfig: ${kubeconfig} }`);
  try {
    const { rss } = memoryMiB(daemon.child.pid);
    const changeMs: number[] = [];
    for (let round = 1; round <= CHANGES; round += 1) {
      const service = (round * 331) % mesh.services;
      const endpoints = Array.from({ length: mesh.endpoints }, (_, j) =>
        endpoint(service, j, j === 0 ? round : 0),
      );
      const address = endpoints[0]?.address ?? '';
      changeMs.push(await timeToSds(daemon, service, address, () => fake.put(slice(service, endpoints))));
    }
    const lists = fake.requestsFor(undefined, 'list').length;
    console.log(`kubernetes: ${lists} list requests (chunks of 500) for ${fake.list('Pod').length} pods`);
    return {
      readyMs: daemon.readyMs,
      syncMs: daemon.readyMs - daemon.upMs,
      rss,
      peak: memoryMiB(daemon.child.pid).peak,
      changeMs,
    };
  } finally {
    daemon.child.kill('SIGTERM');
    await new Promise((resolve) => daemon.child.once('exit', resolve));
    await fake.close();
  }
}

async function measureFile(mesh: Mesh, dir: string): Promise<Result> {
  const file = path.join(dir, 'services.json');
  fs.writeFileSync(file, servicesFile(mesh));
  const daemon = await startDaemon(dir, `  - { name: file, type: file, path: ${file} }`);
  try {
    const { rss } = memoryMiB(daemon.child.pid);
    const changeMs: number[] = [];
    for (let round = 1; round <= CHANGES; round += 1) {
      const service = (round * 331) % mesh.services;
      const address = endpoint(service, 0, round).address;
      const text = servicesFile(mesh, { service, generation: round });
      changeMs.push(
        await timeToSds(daemon, service, address, () => {
          // Atomically, as a careful tool writes it, so the adapter never reads half a file.
          fs.writeFileSync(`${file}.tmp`, text);
          fs.renameSync(`${file}.tmp`, file);
        }),
      );
    }
    return {
      readyMs: daemon.readyMs,
      syncMs: daemon.readyMs - daemon.upMs,
      rss,
      peak: memoryMiB(daemon.child.pid).peak,
      changeMs,
    };
  } finally {
    daemon.child.kill('SIGTERM');
    await new Promise((resolve) => daemon.child.once('exit', resolve));
  }
}

export async function run(args: readonly string[]): Promise<void> {
  const [services = 5000, endpoints = 10] = args.map(Number);
  const mesh: Mesh = { services, endpoints };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sextant-bench-k8s-'));
  try {
    const kube = await measureKubernetes(mesh, dir);
    const file = await measureFile(mesh, dir);
    const p90 = (values: number[]) =>
      [...values].sort((a, b) => a - b)[Math.ceil(values.length * 0.9) - 1] ?? NaN;
    const row = (name: string, r: Result) => ({
      adapter: name,
      services,
      endpoints: services * endpoints,
      'spawn to ready ms': r.readyMs,
      'first sync ms (healthz to readyz)': r.syncMs,
      'RSS after sync MiB': r.rss,
      'peak RSS MiB': r.peak,
      'change to SDS p50 ms': median(r.changeMs),
      'change to SDS p90 ms': p90(r.changeMs),
    });
    console.log(
      `\nOne daemon per adapter, default debounce (100 ms quiet, 1 s max); ${CHANGES} changes of one endpoint of one service each.\n` +
        'kubernetes: the fake API server in this process, the daemon a child process; file: the same mesh as one JSON services file.\n',
    );
    printTable([row('kubernetes', kube), row('file (baseline)', file)]);
    printTable([
      {
        'first sync kubernetes/file': kube.syncMs / file.syncMs,
        'RSS kubernetes/file': kube.rss / file.rss,
        'change to SDS file/kubernetes (p50)': median(file.changeMs) / median(kube.changeMs),
      },
    ]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
