import type { AdapterFactory, RegistrySink } from '@sextant/core';
import type { ConformancePlatform, ConformanceService, ConformanceSubject } from '../../src';

/**
 * An in-memory platform and a small push-based adapter for it: the reference the conformance
 * suite must pass, and, with one deliberate flaw each, the adapters it must fail.
 */
export type Flaw =
  | 'ready-before-data'
  | 'empties-on-fault'
  | 'never-degraded'
  | 'gives-up-when-broken'
  | 'drops-updates'
  | 'never-removes'
  | 'returns-early'
  | 'rejects-on-abort'
  | 'ignores-abort'
  | 'leaks-timer'
  | 'reports-after-abort';

export interface MemoryOptions {
  readonly platform: string;
  readonly flaw?: Flaw;
}

interface MemoryPlatformState {
  services: readonly ConformanceService[];
  broken: boolean;
  readonly listeners: Set<() => void>;
}

const platforms = new Map<string, MemoryPlatformState>();
let nextId = 0;

/** What flawed adapters leave behind on purpose; tests release it after each check. */
export const leftovers = { timers: new Set<NodeJS.Timeout>(), releases: new Set<() => void>() };

export function releaseLeftovers(): void {
  for (const timer of leftovers.timers) clearInterval(timer);
  for (const release of leftovers.releases) release();
  leftovers.timers.clear();
  leftovers.releases.clear();
}

const hostname = (name: string): string => `${name}.memory.test`;

export const memoryAdapter: AdapterFactory<MemoryOptions> = {
  apiVersion: 1,
  type: 'memory',
  optionsSchema: {
    type: 'object',
    additionalProperties: false,
    required: ['platform'],
    properties: { platform: { type: 'string' }, flaw: { type: 'string' } },
  },
  create(options) {
    return { run: (sink, signal) => runMemoryAdapter(options, sink, signal) };
  },
};

function runMemoryAdapter(
  { platform: id, flaw }: MemoryOptions,
  sink: RegistrySink,
  signal: AbortSignal,
): Promise<void> {
  const platform = platforms.get(id);
  if (!platform) return Promise.reject(new Error(`no memory platform ${id}`));
  let synced = false;
  let giveUp: NodeJS.Timeout | undefined;
  const update = (): void => {
    if (platform.broken) {
      if (flaw === 'empties-on-fault') sink.replaceAll({ services: [], instances: [] });
      if (flaw !== 'never-degraded') sink.setStatus('degraded', 'memory platform is broken');
      if (flaw === 'gives-up-when-broken') giveUp = setTimeout(() => sink.setStatus('ready'), 20);
      return;
    }
    if (synced && flaw === 'drops-updates') return;
    if (flaw === 'ready-before-data' && !synced) sink.setStatus('ready');
    if (flaw === 'never-removes') {
      for (const service of platform.services) sink.upsertService(...serviceInput(service));
    } else {
      sink.replaceAll({
        services: platform.services.map((service) => serviceInput(service)[0]),
        instances: platform.services.flatMap((service) => {
          const [, instances] = serviceInput(service);
          return instances.map((instance) => ({ ...instance, hostname: hostname(service.name) }));
        }),
      });
    }
    sink.setStatus('ready');
    synced = true;
  };
  platform.listeners.add(update);
  update();
  if (flaw === 'returns-early') return Promise.resolve();
  if (flaw === 'leaks-timer') leftovers.timers.add(setInterval(() => undefined, 1000));
  return new Promise((resolve, reject) => {
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(giveUp);
        if (flaw !== 'reports-after-abort') platform.listeners.delete(update);
        if (flaw === 'rejects-on-abort') reject(new Error('aborted'));
        else if (flaw === 'ignores-abort') leftovers.releases.add(resolve);
        else resolve();
      },
      { once: true },
    );
  });
}

function serviceInput(service: ConformanceService) {
  return [
    { hostname: hostname(service.name), ports: [{ name: 'http', port: 80, protocol: 'http' as const }] },
    service.instances.map((instance) => ({ ...instance, portName: 'http' })),
  ] as const;
}

export async function startMemoryPlatform(flaw?: Flaw): Promise<ConformancePlatform<MemoryOptions>> {
  const id = `p${(nextId += 1)}`;
  const state: MemoryPlatformState = { services: [], broken: false, listeners: new Set() };
  platforms.set(id, state);
  const notify = (): void => state.listeners.forEach((listener) => listener());
  return {
    options: () => (flaw ? { platform: id, flaw } : { platform: id }),
    hostname,
    async setServices(services) {
      state.services = services;
      if (!state.broken) notify();
    },
    async breakPlatform() {
      state.broken = true;
      notify();
    },
    async repairPlatform() {
      state.broken = false;
      notify();
    },
    async close() {
      platforms.delete(id);
    },
  };
}

export function memorySubject(flaw?: Flaw): ConformanceSubject<MemoryOptions> {
  return {
    name: flaw ? `memory (${flaw})` : 'memory',
    factory: memoryAdapter,
    start: () => startMemoryPlatform(flaw),
    // Flawed adapters fail by timing out; fail fast.
    ...(flaw && { timeoutMs: 1000, quietMs: 100 }),
  };
}
