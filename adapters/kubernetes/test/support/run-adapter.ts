import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { AdapterContext, RegistrySink } from '@sextant/core';
import { RecordingSink, waitFor } from '@sextant/testkit';
import { FakeKubernetesApi, type FakeKubernetesOptions } from '@sextant/testkit/kubernetes';
import type { KubernetesAdapterOptions } from '../../src';
import { createKubernetesAdapter, type AdapterInternals } from '../../src/factory';
import type { ReflectorTiming } from '../../src/reflector';
import { recordingLogger } from './recording-logger';

/** Retries in tens of milliseconds, so fault tests take as long as their faults, not a client-go backoff. */
export const FAST_TIMING: Partial<ReflectorTiming> = {
  backoff: { initialMs: 40, maxMs: 400 },
  shortWatchMs: 200,
};

export const TOKEN = 'test-token';

/** A fake API server, a kubeconfig for it, and adapters run against it that are stopped at the end. */
export class AdapterWorld {
  readonly dir = mkdtempSync(join(tmpdir(), 'sextant-k8s-adapter-'));
  private readonly stops: (() => Promise<void>)[] = [];

  private constructor(readonly fake: FakeKubernetesApi) {}

  static async start(options: FakeKubernetesOptions = {}): Promise<AdapterWorld> {
    return new AdapterWorld(
      await FakeKubernetesApi.start({ tokens: [TOKEN], bookmarkIntervalMs: 0, ...options }),
    );
  }

  kubeconfig(options: { token?: string; tokenFile?: string } = { token: TOKEN }): string {
    return this.fake.writeKubeconfig(join(this.dir, `kubeconfig-${this.stops.length}`), options);
  }

  /** Runs an adapter; by default against this fake, with fast retries. */
  run(
    options: KubernetesAdapterOptions = { kubeconfig: this.kubeconfig() },
    internals: AdapterInternals = { timing: FAST_TIMING },
    context: Partial<AdapterContext> = {},
    /** A sink every report is passed on to (a real registry's). */
    forwardTo?: RegistrySink,
  ) {
    const logger = recordingLogger();
    const sink = new RecordingSink(forwardTo);
    const controller = new AbortController();
    const adapter = createKubernetesAdapter(
      { clusterDomain: 'cluster.local', ...options },
      {
        name: 'k8s',
        logger,
        baseDir: this.dir,
        resolvePath: (path) => resolve(this.dir, path),
        env: {},
        ...context,
      },
      internals,
    );
    const done = adapter.run(sink, controller.signal);
    const stop = async () => {
      controller.abort();
      await done;
    };
    this.stops.push(stop);
    return {
      sink,
      logger,
      /** The store it offers the Rules API. */
      ruleStore: adapter.ruleStore,
      stop,
      /** Sink calls from `from` on, as method names (`upsertService web.default.svc.cluster.local`). */
      callsSince: (from: number) =>
        sink.calls
          .slice(from)
          .map((call) =>
            call.method === 'upsertService'
              ? `upsertService ${call.service.hostname}`
              : call.method === 'removeService'
                ? `removeService ${call.hostname}`
                : call.method === 'setStatus'
                  ? `setStatus ${call.status}`
                  : call.method,
          ),
      /** `address:port health` of a service's instances, sorted. */
      endpoints: (hostname: string) =>
        sink.services
          .get(hostname)
          ?.instances.map((i) => `${i.address}:${i.port} ${i.health ?? 'healthy'}`)
          .sort(),
      /** Waits for `ready`; recovering from a fault may mean waiting out a server's Retry-After. */
      ready: () =>
        waitFor(() => sink.status === 'ready', {
          timeoutMs: 15_000,
          message: () => `ready; status ${sink.status} (${sink.detail ?? ''})`,
        }),
    };
  }

  async close(): Promise<void> {
    await Promise.all(this.stops.splice(0).map((stop) => stop()));
    await this.fake.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
