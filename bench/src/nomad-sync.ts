import adapter from '@sextant/adapter-nomad';
import {
  silentLogger,
  type AdapterState,
  type InstanceInput,
  type RegistrySink,
  type ServiceInput,
} from '@sextant/core';
import { FakeNomad, type RegistrationInput } from '@sextant/testkit/nomad';
import { elapsedMs, median, printTable } from './table';

export const description =
  'nomad: first sync and change latency against a fake Nomad, vs. bare HTTP reads of the same data';

const REGISTRATIONS_PER_SERVICE = 3;
const ROUNDS = 7;
/** The service the baseline watches, which the adapter is told to leave out. */
const PROBE = 'bare-probe';

/** A sink that counts reports and lets the benchmark wait for one service to reach a size. */
class WatchingSink implements RegistrySink {
  ready = false;
  reports = 0;
  private readonly sizes = new Map<string, number>();
  private waiter: { hostname: string; size: number; resolve: () => void } | undefined;
  private readyWaiter: (() => void) | undefined;

  replaceAll(state: AdapterState): void {
    this.reports += 1;
    for (const service of state.services) {
      this.sizes.set(service.hostname, state.instances.filter((i) => i.hostname === service.hostname).length);
    }
  }

  upsertService(service: ServiceInput, instances: readonly InstanceInput[]): void {
    this.reports += 1;
    this.sizes.set(service.hostname, instances.length);
    const waiter = this.waiter;
    if (waiter && waiter.hostname === service.hostname && instances.length >= waiter.size) {
      this.waiter = undefined;
      waiter.resolve();
    }
  }

  removeService(hostname: string): void {
    this.reports += 1;
    this.sizes.delete(hostname);
  }

  replaceRules(): void {
    // The benchmark's mesh has no rules.
  }

  setStatus(status: string): void {
    if (status !== 'ready') return;
    this.ready = true;
    this.readyWaiter?.();
  }

  untilReady(): Promise<void> {
    return this.ready ? Promise.resolve() : new Promise((resolve) => (this.readyWaiter = resolve));
  }

  untilSize(hostname: string, size: number): Promise<void> {
    if ((this.sizes.get(hostname) ?? 0) >= size) return Promise.resolve();
    return new Promise((resolve) => (this.waiter = { hostname, size, resolve }));
  }
}

function fleet(services: number): RegistrationInput[] {
  return Array.from({ length: services }, (_, s) =>
    Array.from({ length: REGISTRATIONS_PER_SERVICE }, (_, r) => ({
      ServiceName: `svc-${s}`,
      Address: `10.${Math.floor(s / 250)}.${s % 250}.${r + 1}`,
      Port: 20000 + r,
      AllocID: `alloc-${s}-${r}`,
      Tags: ['version=v1', `team=${s % 7}`],
    })),
  ).flat();
}

/** Baseline: the same reads with Node's fetch and nothing done with the answers, `slots` at a time. */
async function bareSync(url: string, services: number, slots: number): Promise<number> {
  const start = process.hrtime.bigint();
  await (await fetch(`${url}/v1/services?namespace=*`)).json();
  let next = 0;
  const worker = async () => {
    while (next < services) {
      const name = `svc-${next++}`;
      await (await fetch(`${url}/v1/service/${name}?namespace=default`)).json();
    }
  };
  await Promise.all(Array.from({ length: Math.min(slots, services) }, worker));
  return elapsedMs(start);
}

/**
 * Baseline: one bare blocking query woken by a registration, on a service the adapter leaves
 * out (`services.exclude`), so the baseline's changes are no work for the adapter.
 */
async function bareChange(nomad: FakeNomad, round: number): Promise<number> {
  const parked = nomad.parkedQueries();
  const query = fetch(`${nomad.url}/v1/service/${PROBE}?namespace=default&index=${nomad.index}`);
  while (nomad.parkedQueries() === parked) await new Promise((resolve) => setImmediate(resolve));
  const start = process.hrtime.bigint();
  nomad.register({ ServiceName: PROBE, Address: `10.200.${round}.1`, Port: 1, AllocID: `probe-${round}` });
  await (await query).json();
  return elapsedMs(start);
}

/**
 * Steady state: the watches' blocking queries are parked (all of them, or as many as there are
 * slots), not still being sent right after the first sync.
 */
async function settled(nomad: FakeNomad, parked: number): Promise<void> {
  const deadline = performance.now() + 30_000;
  while (nomad.parkedQueries() < parked && performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function measure(services: number, slots: number) {
  const nomad = await FakeNomad.start({ seed: 1, recordRequests: false });
  nomad.register(...fleet(services));
  const bare = await bareSync(nomad.url, services, slots);

  const sink = new WatchingSink();
  const controller = new AbortController();
  const options = {
    address: nomad.url,
    maxConcurrentRequests: slots,
    maxStaleness: '5s',
    services: { exclude: [PROBE] },
  };
  const context = {
    name: 'bench',
    logger: silentLogger,
    baseDir: process.cwd(),
    resolvePath: (p: string) => p,
    env: {},
  };
  let start = process.hrtime.bigint();
  const done = adapter.create(options, context).run(sink, controller.signal);
  await sink.untilReady();
  const firstSync = elapsedMs(start);
  await settled(nomad, Math.min(slots, services + 1));

  const latencies: number[] = [];
  const reports: number[] = [];
  const bareLatencies: number[] = [];
  for (let round = 1; round <= ROUNDS; round += 1) {
    const service = (round * 7919) % services;
    const hostname = `svc-${service}.default.nomad`;
    const size =
      REGISTRATIONS_PER_SERVICE + latencies.filter((_, r) => (r * 7919) % services === service).length + 1;
    const before = sink.reports;
    start = process.hrtime.bigint();
    nomad.register({
      ServiceName: `svc-${service}`,
      Address: `10.100.${round}.1`,
      Port: 1,
      AllocID: `new-${round}`,
    });
    await sink.untilSize(hostname, size);
    latencies.push(elapsedMs(start));
    reports.push(sink.reports - before);
    bareLatencies.push(await bareChange(nomad, round));
  }
  controller.abort();
  await done;
  await nomad.close();
  return {
    firstSync,
    bare,
    change: median(latencies),
    bareChange: median(bareLatencies),
    reports: median(reports),
  };
}

export async function run(args: readonly string[]): Promise<void> {
  const scenarios: [number, number][] =
    args.length > 0
      ? args.map((arg) => arg.split('x').map(Number) as [number, number])
      : [
          [10, 64],
          [200, 64],
          [200, 256],
          [1000, 64],
          [1000, 1024],
        ];
  const rows = [];
  for (const [services, slots] of scenarios) {
    const m = await measure(services, slots);
    rows.push({
      services,
      registrations: services * REGISTRATIONS_PER_SERVICE,
      'request slots': slots,
      'first sync ms': m.firstSync,
      'bare reads ms (baseline)': m.bare,
      'sync/bare': m.firstSync / m.bare,
      'change → sink p50 ms': m.change,
      'bare blocking wake-up p50 ms (baseline)': m.bareChange,
      'change/bare': m.change / m.bareChange,
      'reports per change': m.reports,
    });
  }
  console.log(
    `Adapter against an in-process fake Nomad, ${REGISTRATIONS_PER_SERVICE} registrations per service, ` +
      `medians of ${ROUNDS} changes (maxStaleness 5s: with more watches than slots, watches take turns)\n`,
  );
  printTable(rows);
}
