import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, waitFor } from '@sextant/testkit';
import { FakeConsul, type FakeInstanceRef } from '@sextant/testkit/consul';
import { median, printTable } from './table';
import { CLI } from './lib-daemon';

export const description =
  'consul adapter: first ready, daemon RSS, sockets, Consul load and change-to-SDS latency at 2,000 services x 5 instances, bounded pool vs one socket per watch';

const SERVICES = 2000;
const INSTANCES = 5;
/** Instances per node: a VM fleet runs several services per machine. */
const PER_NODE = 10;
const FLAPS = 7;
const REGISTRATIONS = 3;
const STEADY_MS = 10_000;
/** Extra start-ups per variant, interleaved across variants: time to ready is noisy on a shared machine. */
const READY_ROUNDS = 3;

interface Variant {
  readonly name: string;
  /** Extra adapter options. */
  readonly options: string;
}

const VARIANTS: readonly Variant[] = [
  {
    name: 'baseline: one socket per watch (maxConcurrentRequests 2100)',
    options: 'maxConcurrentRequests: 2100',
  },
  { name: 'bounded: defaults (100 requests, maxStaleness 30s)', options: '' },
  { name: 'bounded: 100 requests, maxStaleness 10s', options: 'maxStaleness: 10s' },
];

const address = (n: number) => `10.${20 + Math.floor(n / 65536)}.${Math.floor(n / 256) % 256}.${n % 256}`;

/** 2,000 services of 5 instances on 1,000 nodes, each instance with a passing service check. */
function seed(consul: FakeConsul): FakeInstanceRef[] {
  const refs: FakeInstanceRef[] = [];
  let n = 0;
  for (let i = 0; i < SERVICES; i += 1) {
    for (let j = 0; j < INSTANCES; j += 1) {
      const slot = n++;
      const node = Math.floor(slot / PER_NODE);
      refs.push(
        consul.addInstance({
          service: `svc-${i}`,
          id: `svc-${i}-${j}`,
          node: `node-${node}`,
          address: address(node),
          port: 20000 + (slot % PER_NODE),
          tags: [`version=v${j % 2}`],
          nodeMeta: { zone: `zone-${node % 3}` },
        }),
      );
    }
  }
  return refs;
}

interface Daemon {
  readonly child: ChildProcess;
  readonly discovery: string;
  readonly admin: string;
  readonly dir: string;
}

async function startDaemon(consul: FakeConsul, variant: Variant): Promise<Daemon> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sextant-bench-consul-'));
  const [discoveryPort, adminPort] = [await freePort(), await freePort()];
  const config = [
    'listen:',
    `  discovery: 127.0.0.1:${discoveryPort}`,
    `  admin: 127.0.0.1:${adminPort}`,
    '  xds: 127.0.0.1:0',
    'log: { level: warn }',
    'adapters:',
    '  - type: consul',
    `    address: ${consul.url}`,
    `    datacenters: [dc1]`,
    ...(variant.options ? [`    ${variant.options}`] : []),
    '',
  ].join('\n');
  fs.writeFileSync(path.join(dir, 'sextant.yaml'), config);
  const child = spawn(process.execPath, [CLI, '--config', path.join(dir, 'sextant.yaml')], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return {
    child,
    discovery: `http://127.0.0.1:${discoveryPort}`,
    admin: `http://127.0.0.1:${adminPort}`,
    dir,
  };
}

async function stopDaemon(daemon: Daemon): Promise<void> {
  if (daemon.child.exitCode === null) {
    const exited = new Promise((resolve) => daemon.child.once('exit', resolve));
    daemon.child.kill('SIGTERM');
    await exited;
  }
  fs.rmSync(daemon.dir, { recursive: true, force: true });
}

function rssMiBOf(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0);
  return kib / 1024;
}

async function sdsHosts(daemon: Daemon, service: number): Promise<string[]> {
  const response = await fetch(`${daemon.discovery}/v1/registration/svc-${service}.service.dc1.consul|http`);
  const body = (await response.json()) as { hosts?: { ip_address: string; port: number }[] };
  return (body.hosts ?? []).map((h) => `${h.ip_address}:${h.port}`);
}

/** Milliseconds from `change()` until SDS for `service` satisfies `done`, polling every 5 ms. */
async function latency(
  daemon: Daemon,
  service: number,
  change: () => void,
  done: (hosts: string[]) => boolean,
): Promise<number> {
  const started = performance.now();
  change();
  await waitFor(async () => done(await sdsHosts(daemon, service)), { timeoutMs: 120_000, intervalMs: 5 });
  return performance.now() - started;
}

/** Starts the daemon and waits for /readyz; leaves it running. */
async function startAndAwaitReady(consul: FakeConsul, variant: Variant) {
  consul.resetPeaks();
  const requestsAtStart = consul.requests.length;
  const started = performance.now();
  const daemon = await startDaemon(consul, variant);
  await waitFor(async () => (await fetch(`${daemon.admin}/readyz`).catch(() => undefined))?.ok === true, {
    timeoutMs: 300_000,
    intervalMs: 10,
    message: `${variant.name}: ready`,
  });
  return {
    daemon,
    readyMs: performance.now() - started,
    requestsToReady: consul.requests.length - requestsAtStart,
  };
}

async function measure(consul: FakeConsul, refs: readonly FakeInstanceRef[], variant: Variant) {
  const { daemon, readyMs, requestsToReady } = await startAndAwaitReady(consul, variant);
  try {
    const pid = daemon.child.pid as number;
    const rssReady = rssMiBOf(pid);

    // Steady state: nothing changes; what does watching cost Consul?
    const steadyFrom = consul.requests.length;
    await new Promise((resolve) => setTimeout(resolve, STEADY_MS));
    const steadyRate = ((consul.requests.length - steadyFrom) * 1000) / STEADY_MS;

    // A health check fails (the accelerator's case), then passes again.
    const flaps: number[] = [];
    for (let k = 0; k < FLAPS; k += 1) {
      const service = (k * 277 + 13) % SERVICES;
      const ref = refs[service * INSTANCES] as FakeInstanceRef;
      const endpoint = `${address(Math.floor((service * INSTANCES) / PER_NODE))}:${20000 + ((service * INSTANCES) % PER_NODE)}`;
      flaps.push(
        await latency(
          daemon,
          service,
          () => consul.setInstanceStatus(ref, 'critical'),
          (h) => !h.includes(endpoint),
        ),
      );
      await latency(
        daemon,
        service,
        () => consul.setInstanceStatus(ref, 'passing'),
        (h) => h.includes(endpoint),
      );
    }
    // A new instance registers (no check changes state: only the rotation finds it when slots are scarce).
    const registrations: number[] = [];
    for (let k = 0; k < REGISTRATIONS; k += 1) {
      const service = (k * 613 + 101) % SERVICES;
      const extra = `10.99.${k}.${Math.floor(Math.random() * 250) + 1}`;
      let ref: FakeInstanceRef | undefined;
      registrations.push(
        await latency(
          daemon,
          service,
          () => (ref = consul.addInstance({ service: `svc-${service}`, address: extra, port: 8080 })),
          (h) => h.includes(`${extra}:8080`),
        ),
      );
      if (ref) consul.removeInstance(ref);
    }
    return {
      readyMs,
      rss: rssReady,
      peakSockets: consul.peakConnections,
      peakInFlight: consul.peakInFlight,
      requestsToReady,
      steadyRate,
      flapMedian: median(flaps),
      flapMax: Math.max(...flaps),
      registrationMedian: median(registrations),
      registrationMax: Math.max(...registrations),
    };
  } finally {
    await stopDaemon(daemon);
  }
}

export async function run(): Promise<void> {
  const consul = await FakeConsul.start();
  try {
    const seeding = performance.now();
    const refs = seed(consul);
    console.log(
      `fake Consul: ${SERVICES} services x ${INSTANCES} instances on ${(SERVICES * INSTANCES) / PER_NODE} nodes, seeded in ${Math.round(performance.now() - seeding)} ms`,
    );
    console.log(
      `change latency = from the write in Consul to the v1 SDS answer showing it (default debounce 100 ms/1 s); ${FLAPS} flaps, ${REGISTRATIONS} registrations\n`,
    );
    const readySamples = new Map<Variant, number[]>(VARIANTS.map((v) => [v, []]));
    for (let round = 0; round < READY_ROUNDS; round += 1) {
      for (const variant of VARIANTS) {
        const { daemon, readyMs } = await startAndAwaitReady(consul, variant);
        readySamples.get(variant)?.push(readyMs);
        await stopDaemon(daemon);
      }
    }
    const rows: Record<string, string | number>[] = [];
    let baseline: { ready: number; sockets: number; rss: number } | undefined;
    for (const variant of VARIANTS) {
      const m = await measure(consul, refs, variant);
      const ready = median([...(readySamples.get(variant) ?? []), m.readyMs]);
      baseline ??= { ready, sockets: m.peakSockets, rss: m.rss };
      rows.push({
        variant: variant.name,
        'ready s (median of 4)': ready / 1000,
        'RSS MiB': m.rss,
        'sockets (peak)': m.peakSockets,
        'requests to ready': m.requestsToReady,
        'steady req/s': m.steadyRate,
        'flap→SDS p50 ms': m.flapMedian,
        'flap→SDS max ms': m.flapMax,
        'register→SDS p50 ms': m.registrationMedian,
        'register→SDS max ms': m.registrationMax,
        'sockets vs baseline': m.peakSockets / baseline.sockets,
        'RSS vs baseline': m.rss / baseline.rss,
        'ready vs baseline': ready / baseline.ready,
      });
    }
    printTable(rows);
  } finally {
    await consul.close();
  }
}
