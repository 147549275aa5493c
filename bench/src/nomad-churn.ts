import { FakeNomad } from '@sextant/testkit/nomad';
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
  'nomad adapter: after 16 identical wake-ups, one deregistration → gone from v1 SDS; requests/s to Nomad meanwhile and in a storm';

const SERVICES = 50;
const INSTANCES = 3;
const TARGET = 'svc-0';
const PROBE = 'bare-probe';

/** Watches of this mesh: one per service and the list's. */
const WATCHES = SERVICES + 1;

/** This tree with its defaults. */
const DEFAULTS: ChurnVariant = {
  name: 'this change: defaults (rateLimit: 100, then 1 per 20ms, all watches; event stream)',
  options: [],
  bound: DEFAULT_LIMIT_BOUND,
  cooldownMs: 2500,
};

/**
 * The defaults, and without the event stream; with `--before` the build before the change
 * first, measured alike.
 */
function variants(before: string | undefined): ChurnVariant[] {
  const withoutEvents: ChurnVariant = {
    name: 'this change, eventStream: false',
    options: ['eventStream: false'],
    bound: DEFAULT_LIMIT_BOUND,
    cooldownMs: 2500,
  };
  const baseline: ChurnVariant = {
    name: 'baseline: the build before (a limit per watch: 5, then 1 per 1s)',
    options: [],
    bound: (s: number) => WATCHES * (5 / s + 1),
    cooldownMs: 5500,
    cli: before,
  };
  return [...(before ? [baseline] : []), DEFAULTS, withoutEvents];
}

const registration = (service: string, address: string, alloc: string) => ({
  ServiceName: service,
  Address: address,
  Port: 8080,
  AllocID: alloc,
  Tags: ['version=v1', 'team=a', 'tier=web'],
});

function nomadPlatform(nomad: FakeNomad): ChurnPlatform {
  return {
    key: `${TARGET}.default.nomad|http`,
    addInstance: (round) => {
      const [row] = nomad.register(registration(TARGET, `10.99.0.${round}`, `extra-${round}`));
      return { endpoint: `10.99.0.${round}:8080`, remove: () => nomad.deregister(row?.ID ?? '') };
    },
    // A re-registration of every allocation of the service, its tags in another order: Nomad
    // writes it (the index moves), the service's watch and the list's wake, nothing changed.
    wakeUp: () => nomad.touch(TARGET),
    held: () => nomad.parkedQueries(),
    requests: () => nomad.requests.length,
    serviceReads: () => nomad.requests.filter((r) => r.path === `/v1/service/${TARGET}`).length,
  };
}

/**
 * The floor: a bare blocking query (Node's fetch, nothing done with the answer) on a service the
 * adapter leaves out, woken by a deregistration, plus the daemon's default debounce (100 ms).
 */
async function bareWakeUp(nomad: FakeNomad, round: number): Promise<number> {
  const [row] = nomad.register(registration(PROBE, `10.98.0.${round}`, `probe-${round}`));
  const parked = nomad.parkedQueries();
  const query = fetch(`${nomad.url}/v1/service/${PROBE}?namespace=default&index=${nomad.index}`);
  while (nomad.parkedQueries() === parked) await new Promise((resolve) => setImmediate(resolve));
  const started = performance.now();
  nomad.deregister(row?.ID ?? '');
  await (await query).json();
  return performance.now() - started;
}

/** A fake Nomad holding the mesh, and the floor measured on it (median of 7 bare wake-ups plus the debounce). */
async function nomadSetup(): Promise<ChurnSetup> {
  const nomad = await FakeNomad.start({ seed: 1 });
  try {
    for (let i = 0; i < SERVICES; i += 1) {
      nomad.register(
        ...Array.from({ length: INSTANCES }, (_, j) =>
          registration(`svc-${i}`, `10.${20 + i}.0.${j + 1}`, `svc-${i}-${j}`),
        ),
      );
    }
    const bare: number[] = [];
    for (let round = 1; round <= 7; round += 1) bare.push(await bareWakeUp(nomad, round));
    return {
      platform: nomadPlatform(nomad),
      floorMs: median(bare) + 100,
      adapterLines: (variant) => [
        '- type: nomad',
        `  address: ${nomad.url}`,
        `  services: { exclude: [${PROBE}] }`,
        ...variant.options.map((line) => `  ${line}`),
      ],
      wakeUpAll: () => {
        for (let i = 0; i < SERVICES; i += 1) nomad.touch(`svc-${i}`);
      },
      close: () => nomad.close(),
    };
  } catch (error) {
    await nomad.close();
    throw error;
  }
}

const ABOUT = [
  `fake Nomad: ${SERVICES} services x ${INSTANCES} registrations; the daemon with one nomad adapter (default debounce 100 ms / 1 s)`,
  `per round: ${WAKE_UPS} re-registrations of ${TARGET} that change nothing (each wakes its watch and the list's, ` +
    `the table-wide index moves), then one of its allocations deregisters; time until v1 SDS no longer lists it (median and max of 7 rounds)`,
  `storm: every service re-registered unchanged every ${STORM_EVERY_MS} ms for ${STORM_MS / 1000} s; requests/s Nomad received (bound: burst / 5 s + rate; the event stream is one more, held open), and 3 deregistrations of ${TARGET} during it, timed to SDS`,
];

export function run(args: readonly string[]): Promise<void> {
  return runChurn(nomadSetup, variants, ABOUT, args);
}

export function summary(): Promise<SummaryRow[]> {
  return summarizeChurn('Nomad', nomadSetup, DEFAULTS);
}
