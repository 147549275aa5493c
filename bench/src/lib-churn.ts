/**
 * What the churn benchmarks (consul-churn, nomad-churn) share: the real daemon on a fake
 * platform, v1 SDS polled over HTTP, and the measure itself: identical wake-ups of one watch,
 * then a deregistration, timed until the instance is gone from SDS, with the requests the
 * platform received meanwhile.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { freePort, waitFor } from '@sextant/testkit';
import { median, printTable, times, type SummaryRow } from './table';
import { CLI } from './lib-daemon';

/** The row's goal (the Performance issue): from the deregistration to SDS without the instance. */
const GOAL_MS = 300;
/** Identical wake-ups before the deregistration, as the issue's table has it. */
export const WAKE_UPS = 16;
const ROUNDS = 7;
/** The storm: every service re-registered unchanged this often, for this long. */
export const STORM_EVERY_MS = 20;
export const STORM_MS = 5000;
/**
 * Requests/s the adapters' default `rateLimit` allows over a storm of `seconds` (a burst of 100,
 * then one per 20 ms, over all of an adapter's watches): its documented bound.
 */
export const DEFAULT_LIMIT_BOUND = (seconds: number): number => 100 / seconds + 50;

interface Daemon {
  readonly child: ChildProcess;
  readonly discovery: string;
  readonly admin: string;
  readonly dir: string;
}

/**
 * Starts the daemon (this tree's, or the CLI at `cli`: a build of another commit, for the
 * baseline) with one adapter (its YAML lines, indented under `adapters:`) and waits for /readyz.
 */
async function startDaemon(adapterLines: readonly string[], cli = CLI): Promise<Daemon> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sextant-bench-churn-'));
  const [discoveryPort, adminPort] = [await freePort(), await freePort()];
  const config = [
    'listen:',
    `  discovery: 127.0.0.1:${discoveryPort}`,
    `  admin: 127.0.0.1:${adminPort}`,
    '  xds: 127.0.0.1:0',
    'log: { level: warn }',
    'adapters:',
    ...adapterLines.map((line) => `  ${line}`),
    '',
  ].join('\n');
  fs.writeFileSync(path.join(dir, 'sextant.yaml'), config);
  const child = spawn(process.execPath, [cli, '--config', path.join(dir, 'sextant.yaml')], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const daemon = {
    child,
    discovery: `http://127.0.0.1:${discoveryPort}`,
    admin: `http://127.0.0.1:${adminPort}`,
    dir,
  };
  await waitFor(async () => (await fetch(`${daemon.admin}/readyz`).catch(() => undefined))?.ok === true, {
    timeoutMs: 60_000,
    intervalMs: 20,
    message: 'the daemon to be ready',
  });
  return daemon;
}

async function stopDaemon(daemon: Daemon): Promise<void> {
  if (daemon.child.exitCode === null) {
    const exited = new Promise((resolve) => daemon.child.once('exit', resolve));
    daemon.child.kill('SIGTERM');
    await exited;
  }
  fs.rmSync(daemon.dir, { recursive: true, force: true });
}

/** The v1 SDS hosts of a service key, as `ip:port`. */
async function sdsHosts(daemon: Daemon, key: string): Promise<string[]> {
  const response = await fetch(`${daemon.discovery}/v1/registration/${encodeURIComponent(key)}`);
  if (response.status !== 200) return [];
  const body = (await response.json()) as { hosts?: { ip_address: string; port: number }[] };
  return (body.hosts ?? []).map((h) => `${h.ip_address}:${h.port}`);
}

/** What a churn benchmark drives on its platform fake. */
export interface ChurnPlatform {
  /** v1 SDS key of the watched service. */
  readonly key: string;
  /** Registers one more instance of the watched service; returns its `ip:port` and its removal. */
  addInstance(round: number): { endpoint: string; remove: () => void };
  /** A write that changes nothing the watch reports, but wakes it. */
  wakeUp(): void;
  /** Blocking queries the platform holds now. */
  held(): number;
  /** Requests received so far, all of them and those reading the watched service. */
  requests(): number;
  serviceReads(): number;
}

interface ChurnRound {
  /** Deregistration → gone from v1 SDS. */
  readonly convergeMs: number;
  /** Reads of the watched service during the wake-ups: how many wake-ups the watch really saw. */
  readonly wakeUpsSeen: number;
  /** Requests to the platform from the first wake-up to convergence, and over how long. */
  readonly requests: number;
  readonly windowMs: number;
}

/**
 * One round: an extra instance registers and reaches SDS; after `cooldownMs` (a rate limit's
 * burst refills meanwhile) the watches settle (held again); then
 * 16 writes that change nothing wake the watch, each as soon as it is held again (at most 10 ms
 * apart, so a watch that stopped listening does not slow the storm down); then the instance is
 * deregistered and SDS polled every 2 ms until it is gone.
 */
async function churnRound(
  daemon: Daemon,
  platform: ChurnPlatform,
  round: number,
  cooldownMs: number,
): Promise<ChurnRound> {
  const { endpoint, remove } = platform.addInstance(round);
  await waitFor(async () => (await sdsHosts(daemon, platform.key)).includes(endpoint), {
    timeoutMs: 30_000,
    intervalMs: 5,
    message: `${endpoint} to reach SDS`,
  });
  // The registration was a change the watch read: let the limit's burst refill before the storm.
  await delay(cooldownMs);
  const settledHeld = await settle(platform);
  const readsBefore = platform.serviceReads();
  const requestsBefore = platform.requests();
  const started = performance.now();
  for (let n = 0; n < WAKE_UPS; n += 1) {
    const reads = platform.serviceReads();
    platform.wakeUp();
    const deadline = performance.now() + 10;
    while (
      performance.now() < deadline &&
      !(platform.serviceReads() > reads && platform.held() >= settledHeld)
    )
      await delay(1);
  }
  const wakeUpsSeen = platform.serviceReads() - readsBefore;
  const deregistered = performance.now();
  remove();
  await waitFor(async () => !(await sdsHosts(daemon, platform.key)).includes(endpoint), {
    timeoutMs: 30_000,
    intervalMs: 2,
    message: `${endpoint} to leave SDS`,
  });
  const converged = performance.now();
  return {
    convergeMs: converged - deregistered,
    wakeUpsSeen,
    requests: platform.requests() - requestsBefore,
    windowMs: converged - started,
  };
}

/** Waits until the number of held queries has been steady for 300 ms (the watches are all listening). */
async function settle(platform: ChurnPlatform): Promise<number> {
  let last = platform.held();
  let since = performance.now();
  const deadline = since + 10_000;
  while (performance.now() < deadline) {
    await delay(20);
    const now = platform.held();
    if (now !== last) [last, since] = [now, performance.now()];
    else if (performance.now() - since >= 300) break;
  }
  return last;
}

/** `ROUNDS` rounds of `churnRound`: medians and the worst. */
async function churnRounds(daemon: Daemon, platform: ChurnPlatform, cooldownMs: number) {
  const rounds: ChurnRound[] = [];
  for (let round = 1; round <= ROUNDS; round += 1) {
    rounds.push(await churnRound(daemon, platform, round, cooldownMs));
  }
  const converge = rounds.map((r) => r.convergeMs);
  return {
    p50: median(converge),
    max: Math.max(...converge),
    wakeUpsSeen: median(rounds.map((r) => r.wakeUpsSeen)),
    requests: median(rounds.map((r) => r.requests)),
    windowMs: median(rounds.map((r) => r.windowMs)),
  };
}

/**
 * `--before <cli.js>`: the daemon of the commit before the change (built elsewhere), measured in
 * the same run as the baseline row. Exits with a usage line on anything else.
 */
function beforeCli(args: readonly string[]): string | undefined {
  if (args.length === 0) return undefined;
  const [flag, cli] = args;
  if (flag === '--before' && cli !== undefined && args.length === 2 && fs.existsSync(cli))
    return path.resolve(cli);
  throw new Error(
    `usage: --before <path to packages/sextant/dist/cli.js of a build before the change>${cli && !fs.existsSync(cli) ? ` (no file ${cli})` : ''}`,
  );
}

/**
 * A storm: `wakeUpAll` every `everyMs` for `forMs`, every service re-registered unchanged. Three
 * times during it (a quarter, half and three quarters in) one more instance of the watched
 * service deregisters, timed until gone from SDS: how long a real change waits while the budget
 * is contended. Returns the requests per second the platform received, and those times.
 */
async function storm(
  daemon: Daemon,
  platform: ChurnPlatform,
  wakeUpAll: () => void,
  everyMs: number,
  forMs: number,
) {
  const extra = [101, 102, 103].map((round) => platform.addInstance(round));
  await waitFor(
    async () => {
      const hosts = await sdsHosts(daemon, platform.key);
      return extra.every(({ endpoint }) => hosts.includes(endpoint));
    },
    { timeoutMs: 30_000, intervalMs: 5, message: 'the extra instances to reach SDS' },
  );
  await delay(2500);
  const before = platform.requests();
  const started = performance.now();
  const changes = (async () => {
    const times: number[] = [];
    for (const [k, { endpoint, remove }] of extra.entries()) {
      await delay(started + ((k + 1) * forMs) / 4 - performance.now());
      const deregistered = performance.now();
      remove();
      await waitFor(async () => !(await sdsHosts(daemon, platform.key)).includes(endpoint), {
        timeoutMs: 60_000,
        intervalMs: 2,
        message: `${endpoint} to leave SDS`,
      });
      times.push(performance.now() - deregistered);
    }
    return times;
  })();
  while (performance.now() - started < forMs) {
    wakeUpAll();
    await delay(everyMs);
  }
  const rate = ((platform.requests() - before) * 1000) / (performance.now() - started);
  const times = await changes;
  return { rate, changeP50: median(times), changeMax: Math.max(...times) };
}

/** One way of running the daemon on a platform, measured alike. */
export interface ChurnVariant {
  readonly name: string;
  /** Extra adapter options (YAML lines). */
  readonly options: readonly string[];
  /** The documented bound on requests/s during a storm of `seconds`. */
  readonly bound: (seconds: number) => number;
  /** Wait between rounds: long enough for the limit's burst to refill. */
  readonly cooldownMs: number;
  /** Another build's CLI (the baseline). */
  readonly cli?: string;
}

interface ChurnResult {
  readonly variant: ChurnVariant;
  readonly churn: Awaited<ReturnType<typeof churnRounds>>;
  readonly stormed: Awaited<ReturnType<typeof storm>>;
}

/** A platform fake holding the mesh, ready for the daemon's variants. */
export interface ChurnSetup {
  readonly platform: ChurnPlatform;
  /** A bare blocking query woken by a deregistration, plus the default debounce: what no adapter beats. */
  readonly floorMs: number;
  /** The adapter's YAML lines for a variant (indented under `adapters:`). */
  adapterLines(variant: ChurnVariant): readonly string[];
  /** A write that wakes every service's watch, nothing changed. */
  wakeUpAll(): void;
  close(): Promise<void>;
}

/** Each variant's daemon on the platform: the rounds, then the storm. */
async function measureVariants(setup: ChurnSetup, variants: readonly ChurnVariant[]): Promise<ChurnResult[]> {
  const results: ChurnResult[] = [];
  for (const variant of variants) {
    const daemon = await startDaemon(setup.adapterLines(variant), variant.cli);
    try {
      const churn = await churnRounds(daemon, setup.platform, variant.cooldownMs);
      const stormed = await storm(daemon, setup.platform, () => setup.wakeUpAll(), STORM_EVERY_MS, STORM_MS);
      results.push({ variant, churn, stormed });
    } finally {
      await stopDaemon(daemon);
    }
  }
  return results;
}

/**
 * A churn benchmark's `run`: what it does (`about`, printed first), then a row per variant
 * (with `--before`, the baseline's first).
 */
export async function runChurn(
  start: () => Promise<ChurnSetup>,
  variants: (before: string | undefined) => readonly ChurnVariant[],
  about: readonly string[],
  args: readonly string[],
): Promise<void> {
  const before = beforeCli(args);
  const setup = await start();
  try {
    for (const line of about) console.log(line);
    console.log('');
    const results = await measureVariants(setup, variants(before));
    printTable(results.map((result) => churnTableRow(result, setup.floorMs)));
    if (!before)
      console.log(
        'baseline: run again with --before <packages/sextant/dist/cli.js of a build before the change> for its row (docs/development.md)',
      );
  } finally {
    await setup.close();
  }
}

/** A churn benchmark's `summary`: the `defaults` variant's rows for `bench all`. */
export async function summarizeChurn(
  platformName: string,
  start: () => Promise<ChurnSetup>,
  defaults: ChurnVariant,
): Promise<SummaryRow[]> {
  const setup = await start();
  try {
    const [result] = await measureVariants(setup, [defaults]);
    if (!result) throw new Error(`${platformName}: the defaults were not measured`);
    return churnSummary(platformName, result, setup.floorMs);
  } finally {
    await setup.close();
  }
}

/** A variant's figures as one row of the benchmark's own table, beside the floor. */
function churnTableRow({ variant, churn, stormed }: ChurnResult, floorMs: number) {
  return {
    variant: variant.name,
    'dereg→SDS p50 ms': churn.p50,
    'dereg→SDS max ms': churn.max,
    'goal ms': `≤ ${GOAL_MS}`,
    'floor ms (bare wake-up + debounce)': floorMs,
    'wake-ups seen': churn.wakeUpsSeen,
    'requests in round': `${churn.requests} in ${Math.round(churn.windowMs)} ms`,
    'storm req/s': stormed.rate,
    'storm bound req/s': variant.bound(STORM_MS / 1000),
    'dereg in storm→SDS p50 / max ms': `${Math.round(stormed.changeP50)} / ${Math.round(stormed.changeMax)}`,
  };
}

/**
 * The Performance issue's row for a platform, as `bench all` shows it: convergence after the
 * wake-ups against its goal, and the request rate of a storm against its documented bound.
 */
function churnSummary(
  platform: string,
  { variant, churn, stormed }: ChurnResult,
  floorMs: number,
): SummaryRow[] {
  const bound = variant.bound(STORM_MS / 1000);
  return [
    {
      measure: `${platform}: after ${WAKE_UPS} identical wake-ups, a deregistration → gone from v1 SDS (p50 of ${ROUNDS})`,
      figure: `${Math.round(churn.p50)} ms (max ${Math.round(churn.max)})`,
      baseline: `bare blocking query + debounce ${Math.round(floorMs)} ms`,
      ratio: times(churn.p50 / floorMs),
      goal: `≤ ${GOAL_MS} ms`,
      met: churn.p50 <= GOAL_MS,
    },
    {
      measure: `${platform}: requests/s to it, every service woken every ${STORM_EVERY_MS} ms for ${STORM_MS / 1000} s`,
      figure: `${stormed.rate.toFixed(1)} req/s (a change meanwhile → SDS p50 ${Math.round(stormed.changeP50)} ms)`,
      baseline: `documented bound ${Math.round(bound)} req/s`,
      ratio: times(stormed.rate / bound),
      goal: '≤ the bound',
      met: stormed.rate <= bound,
    },
  ];
}
