import { setTimeout as delay } from 'node:timers/promises';
import { startDaemon } from './lib-daemon';
import { EditableMesh, LoadClient, sdsPath, writeAtomically } from './lib-file-mesh';
import { percentile, printTable, times, type SummaryRow } from './table';

export const description =
  "file adapter, 1,000 × 10 mesh: a probe's latency while 1,000 keep-alive pollers poll v1 SDS and the file is rewritten, beside no rewrites";

const GOAL_MS = 50;

interface Options {
  readonly seconds: number;
  readonly services: number;
  readonly pollers: number;
  readonly rewriteEveryMs: number;
}

async function measure({ seconds, services, pollers, rewriteEveryMs }: Options) {
  const mesh = new EditableMesh({ services, instances: 10 });
  const daemon = await startDaemon(mesh.content);
  const paths = Array.from({ length: services }, (_, i) => sdsPath(i));
  const load = await LoadClient.start({
    kind: 'pollers',
    base: daemon.discovery,
    paths,
    count: pollers,
    periodMs: 1000,
  });
  // The probe asks for a service no rewrite touches: what it waits for is the daemon's turn.
  const probe = await LoadClient.start({
    kind: 'probe',
    url: `${daemon.discovery}${sdsPath(0)}`,
    everyMs: 10,
  });
  try {
    await delay(2000);
    await probe.take();
    await load.take();
    await delay(seconds * 1000);
    const quiet = await probe.take();
    const quietLoad = await load.take();
    let rewrites = 0;
    const until = performance.now() + seconds * 1000;
    while (performance.now() < until) {
      mesh.edit();
      await writeAtomically(daemon.servicesFile, mesh.content);
      rewrites += 1;
      await delay(rewriteEveryMs);
    }
    const busy = await probe.take();
    const busyLoad = await load.take();
    return { quiet, busy, quietLoad, busyLoad, rewrites };
  } finally {
    await probe.stop();
    await load.stop();
    await daemon.stop();
  }
}

function defaults(args: readonly string[]): Options {
  return {
    seconds: Number(args[0] ?? 15),
    services: Number(args[1] ?? 1000),
    pollers: Number(args[2] ?? 1000),
    rewriteEveryMs: Number(args[3] ?? 300),
  };
}

export async function run(args: readonly string[]): Promise<void> {
  const options = defaults(args);
  const { quiet, busy, quietLoad, busyLoad, rewrites } = await measure(options);
  const row = (phase: string, probe: typeof quiet, load: typeof quietLoad) => ({
    phase,
    'probe requests': probe.latencies.length,
    'p50 ms': percentile(probe.latencies, 50),
    'p99 ms': percentile(probe.latencies, 99),
    'max ms': Math.max(...probe.latencies),
    'poller req/s': load.done / options.seconds,
    failed: probe.failed + load.failed,
  });
  console.log(
    `${options.services} services × 10, ${options.pollers} pollers (each every ~1 s), ${options.seconds} s per phase\n`,
  );
  printTable([
    row('no rewrites', quiet, quietLoad),
    row(`file rewritten every ${options.rewriteEveryMs} ms (${rewrites} rewrites)`, busy, busyLoad),
  ]);
  const p99 = percentile(busy.latencies, 99);
  console.log(`Goal: probe p99 during rewrites ≤ ${GOAL_MS} ms: ${p99 <= GOAL_MS ? 'met' : 'NOT met'}.`);
}

export async function summary(): Promise<SummaryRow[]> {
  const { quiet, busy } = await measure(defaults([]));
  const p99 = percentile(busy.latencies, 99);
  const quietP99 = percentile(quiet.latencies, 99);
  return [
    {
      measure: '1,000 × 10: probe p99, file rewritten every 300 ms',
      figure: `${p99.toFixed(1)} ms`,
      baseline: `no rewrites ${quietP99.toFixed(1)} ms`,
      ratio: times(p99 / quietP99),
      goal: `≤ ${GOAL_MS} ms`,
      met: p99 <= GOAL_MS,
    },
  ];
}
