import { launchDaemon, prepareDaemon, servicesFile } from './lib-daemon';
import { parseFloor } from './lib-file-mesh';
import { median, printTable, times, type SummaryRow } from './table';

export const description =
  'file adapter, 10k × 10 mesh: spawn → /readyz 200, beside `node -e` parsing the same JSON file in a fresh process';

const GOAL = 3;

interface Figures {
  readonly floorMs: readonly number[];
  readonly parseMs: readonly number[];
  readonly smallMs: readonly number[];
  readonly meshMs: readonly number[];
  readonly fileBytes: number;
}

async function measure(runs: number, services: number, instances: number): Promise<Figures> {
  const mesh = await prepareDaemon(servicesFile({ services, instances }));
  const small = await prepareDaemon(servicesFile({ services: 1, instances: 1 }));
  const figures = {
    floorMs: [] as number[],
    parseMs: [] as number[],
    smallMs: [] as number[],
    meshMs: [] as number[],
  };
  // One unmeasured round first (file cache, code cache); then the three interleaved, so that a
  // busy moment of the machine falls on all of them alike.
  for (let round = 0; round <= runs; round += 1) {
    const floor = await parseFloor(mesh.servicesFile);
    const smallDaemon = await launchDaemon(small);
    await smallDaemon.stop();
    const meshDaemon = await launchDaemon(mesh);
    await meshDaemon.stop();
    if (round === 0) continue;
    figures.floorMs.push(floor.spawnToParsedMs);
    figures.parseMs.push(floor.parseMs);
    figures.smallMs.push(smallDaemon.readyMs);
    figures.meshMs.push(meshDaemon.readyMs);
  }
  return { ...figures, fileBytes: (await import('node:fs')).statSync(mesh.servicesFile).size };
}

function rows(figures: Figures, services: number, instances: number) {
  const floor = median(figures.floorMs);
  const row = (what: string, ms: readonly number[]) => ({
    'spawn → …': what,
    'median ms': median(ms),
    'min ms': Math.min(...ms),
    'max ms': Math.max(...ms),
    'vs parse floor': times(median(ms) / floor),
  });
  return [
    row(`node -e JSON.parse (parse floor), → parsed`, figures.floorMs),
    row('  of which read + JSON.parse', figures.parseMs),
    row('sextant, 1 service, → ready', figures.smallMs),
    row(`sextant, ${services} × ${instances}, → ready`, figures.meshMs),
  ];
}

export async function run(args: readonly string[]): Promise<void> {
  const runs = Number(args[0] ?? 5);
  const services = Number(args[1] ?? 10_000);
  const instances = Number(args[2] ?? 10);
  const figures = await measure(runs, services, instances);
  console.log(
    `services file: ${(figures.fileBytes / 1024 / 1024).toFixed(1)} MiB of JSON; ${runs} runs, medians\n`,
  );
  printTable(rows(figures, services, instances));
  const ratio = median(figures.meshMs) / median(figures.floorMs);
  console.log(
    `Goal: spawn → ready ≤ ${GOAL}× the parse floor: ${times(ratio)} (${ratio <= GOAL ? 'met' : 'NOT met'}).`,
  );
}

export async function summary(): Promise<SummaryRow[]> {
  const figures = await measure(5, 10_000, 10);
  const mesh = median(figures.meshMs);
  const floor = median(figures.floorMs);
  return [
    {
      measure: '10k × 10: spawn → ready',
      figure: `${(mesh / 1000).toFixed(2)} s`,
      baseline: `node parsing the file ${(floor / 1000).toFixed(2)} s`,
      ratio: times(mesh / floor),
      goal: `≤ ${GOAL}×`,
      met: mesh / floor <= GOAL,
    },
  ];
}
