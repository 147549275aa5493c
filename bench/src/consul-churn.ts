import { FakeConsul } from '@sextant/testkit/consul';
import {
  DEFAULT_LIMIT_BOUND,
  runChurn,
  STORM_EVERY_MS,
  STORM_MS,
  summarizeChurn,
  WAKE_UPS,
  type ChurnPlatform,
  type ChurnSetup,
  type ChurnVariant,
} from './lib-churn';
import { median, type SummaryRow } from './table';

export const description =
  'consul adapter: after 16 identical wake-ups, one deregistration → gone from v1 SDS; requests/s to Consul meanwhile and in a storm';

const SERVICES = 50;
const INSTANCES = 3;
const TARGET = 'svc-0';

/** Watches of this mesh: one per service and the catalog's. */
const WATCHES = SERVICES + 1;

/** This tree with its defaults. */
const DEFAULTS: ChurnVariant = {
  name: 'this change: defaults (rateLimit: 100, then 1 per 20ms, all watches)',
  options: [],
  bound: DEFAULT_LIMIT_BOUND,
  cooldownMs: 2500,
};

/** With `--before`, the build before the change first, measured alike. */
function variants(before: string | undefined): ChurnVariant[] {
  const baseline: ChurnVariant = {
    name: 'baseline: the build before (a limit per watch: 3, then 1 per 1s)',
    options: [],
    bound: (s: number) => WATCHES * (3 / s + 1),
    cooldownMs: 3500,
    cli: before,
  };
  return before ? [baseline, DEFAULTS] : [DEFAULTS];
}

function consulPlatform(consul: FakeConsul): ChurnPlatform {
  return {
    key: `${TARGET}.service.dc1.consul|http`,
    addInstance: (round) => {
      const ref = consul.addInstance({ service: TARGET, address: `10.99.0.${round}`, port: 9000 });
      return { endpoint: `10.99.0.${round}:9000`, remove: () => consul.removeInstance(ref) };
    },
    wakeUp: () => consul.touchService(TARGET),
    held: () => consul.heldQueries(),
    requests: () => consul.requests.length,
    serviceReads: () => consul.requestsTo(`/v1/health/service/${TARGET}`).length,
  };
}

/**
 * The floor: a bare blocking query on the service (Node's fetch, nothing done with the answer)
 * woken by a deregistration, plus the daemon's default debounce (100 ms of quiet).
 */
async function bareWakeUp(consul: FakeConsul, round: number): Promise<number> {
  const ref = consul.addInstance({ service: 'bare-probe', address: `10.98.0.${round}`, port: 9000 });
  const index = (await fetch(`${consul.url}/v1/health/service/bare-probe`)).headers.get('x-consul-index');
  const held = consul.heldQueries();
  const query = fetch(`${consul.url}/v1/health/service/bare-probe?index=${index}&wait=1m`);
  while (consul.heldQueries() === held) await new Promise((resolve) => setImmediate(resolve));
  const started = performance.now();
  consul.removeInstance(ref);
  await (await query).json();
  return performance.now() - started;
}

/** A fake Consul holding the mesh, and the floor measured on it (median of 7 bare wake-ups plus the debounce). */
async function consulSetup(): Promise<ChurnSetup> {
  const consul = await FakeConsul.start();
  try {
    for (let i = 0; i < SERVICES; i += 1) {
      for (let j = 0; j < INSTANCES; j += 1) {
        consul.addInstance({ service: `svc-${i}`, address: `10.${20 + i}.0.${j + 1}`, port: 8080 });
      }
    }
    const bare: number[] = [];
    for (let round = 1; round <= 7; round += 1) bare.push(await bareWakeUp(consul, round));
    return {
      platform: consulPlatform(consul),
      floorMs: median(bare) + 100,
      adapterLines: (variant) => [
        '- type: consul',
        `  address: ${consul.url}`,
        '  datacenters: [dc1]',
        ...variant.options.map((line) => `  ${line}`),
      ],
      wakeUpAll: () => {
        for (let i = 0; i < SERVICES; i += 1) consul.touchService(`svc-${i}`);
      },
      close: () => consul.close(),
    };
  } catch (error) {
    await consul.close();
    throw error;
  }
}

const ABOUT = [
  `fake Consul: ${SERVICES} services x ${INSTANCES} instances; the daemon with one consul adapter (default debounce 100 ms / 1 s)`,
  `per round: ${WAKE_UPS} idempotent re-registrations of ${TARGET} (each wakes its health watch and the catalog watch), ` +
    `then one of its instances deregisters; time until v1 SDS no longer lists it (median and max of 7 rounds)`,
  `storm: every service re-registered unchanged every ${STORM_EVERY_MS} ms for ${STORM_MS / 1000} s; requests/s Consul received (bound: burst / 5 s + rate), and 3 deregistrations of ${TARGET} during it, timed to SDS`,
];

export function run(args: readonly string[]): Promise<void> {
  return runChurn(consulSetup, variants, ABOUT, args);
}

export function summary(): Promise<SummaryRow[]> {
  return summarizeChurn('Consul', consulSetup, DEFAULTS);
}
