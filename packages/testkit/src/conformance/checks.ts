import { setTimeout as delay } from 'node:timers/promises';
import { expect } from '@jest/globals';
import { checkAdapterFactory } from '@sextant/core';
import { ABORT_DEADLINE_MS, ConformanceHarness } from './harness';
import { ResourceTracker } from './resource-tracker';
import { expectedView } from './mesh-view';
import type { ConformanceInstance, ConformanceService, ConformanceSubject } from './subject';

/**
 * The behaviours every adapter owes the daemon (DESIGN §4). Each check runs against a fresh
 * platform; it throws (a failed expectation) when the adapter falls short.
 */
export interface ConformanceCheck {
  readonly name: string;
  run<O>(harness: ConformanceHarness<O>): Promise<void>;
}

// Instance ports differ per instance, so an adapter that reports the service port instead of
// the instance's own is caught.
const endpoint = (n: number): ConformanceInstance => ({ address: `10.0.0.${n}`, port: 8000 + n });
const service = (name: string, ...endpoints: number[]): ConformanceService => ({
  name,
  instances: endpoints.map(endpoint),
});

export const conformanceChecks: readonly ConformanceCheck[] = [
  {
    name: 'is a factory the daemon can load, whose schema accepts the platform options',
    async run(h) {
      expect(() => checkAdapterFactory(h.subject.factory, h.subject.name)).not.toThrow();
      expect(() => h.adapterOptions()).not.toThrow();
    },
  },
  {
    name: 'first full sync: reports every service, then ready, and the first snapshot is complete',
    async run(h) {
      const services = [service('alpha', 1, 2), service('beta', 3)];
      await h.platform.setServices(services);
      h.startAdapter();
      await h.waitForMesh(services);
      expect(h.registry.isSynced()).toBe(true);
      // The registry publishes the moment the adapter first says `ready`: a service missing from
      // that snapshot was reported after `ready`, and proxies would have seen a partial mesh.
      const expected = expectedView(h.platform, services);
      expect(h.view(expected, h.snapshots[0])).toEqual(expected);
    },
  },
  {
    name: 'update: instances added and removed, and a new service, show up',
    async run(h) {
      await h.platform.setServices([service('alpha', 1, 2)]);
      h.startAdapter();
      await h.waitForMesh([service('alpha', 1, 2)]);
      const updated = [service('alpha', 2, 3), service('gamma', 4)];
      await h.platform.setServices(updated);
      await h.waitForMesh(updated);
    },
  },
  {
    name: 'delete: a service removed from the platform disappears',
    async run(h) {
      await h.platform.setServices([service('alpha', 1), service('beta', 2)]);
      h.startAdapter();
      await h.waitForMesh([service('alpha', 1), service('beta', 2)]);
      await h.platform.setServices([service('alpha', 1)]);
      await h.waitForMesh([service('alpha', 1)], ['beta']);
    },
  },
  {
    name: 'platform fault: reports degraded with a reason and keeps the last known good state',
    async run(h) {
      const services = [service('alpha', 1, 2), service('beta', 3)];
      await h.platform.setServices(services);
      h.startAdapter();
      await h.waitForMesh(services);
      h.registry.flush();
      const before = h.registry.current();
      const expected = expectedView(h.platform, services);

      await h.platform.breakPlatform();
      await h.waitForStatus('degraded');
      expect(h.sink.detail?.trim()).toEqual(expect.stringMatching(/./));
      await delay(h.quietMs);
      h.registry.flush();
      expect(h.sink.status).toBe('degraded');
      expect(h.registry.current()?.version).toBe(before?.version);
      expect(h.view(expected)).toEqual(expected);
    },
  },
  {
    name: 'recovery: after the platform is repaired, reports ready again and shows changes',
    async run(h) {
      await h.platform.setServices([service('alpha', 1)]);
      h.startAdapter();
      await h.waitForMesh([service('alpha', 1)]);
      await h.platform.breakPlatform();
      await h.waitForStatus('degraded');

      await h.platform.repairPlatform();
      const changed = [service('alpha', 1, 2), service('beta', 3)];
      await h.platform.setServices(changed);
      await h.waitForMesh(changed);
    },
  },
  {
    name: 'platform unavailable at start: says why, never ready, until it is repaired',
    async run(h) {
      await h.platform.setServices([service('alpha', 1)]);
      await h.platform.breakPlatform();
      h.startAdapter();
      // Still `syncing` (it has never synced) or `degraded`; either way with the reason. Looked for
      // in what was reported, not in the latest status: an adapter that says why and then turns
      // `ready` at once must fail on `ready` below, however late this wait looks.
      await h.waitFor(
        () =>
          h.sink.calls.some(
            (call) => call.method === 'setStatus' && call.status !== 'ready' && (call.detail ?? '') !== '',
          ),
        () => `a status with a reason; statuses so far: ${h.sink.statuses().join(', ') || 'none'}`,
      );
      await delay(h.quietMs);
      expect(h.sink.statuses()).not.toContain('ready');
      expect(h.registry.isSynced()).toBe(false);
      expect(h.registry.current()).toBeUndefined();

      await h.platform.repairPlatform();
      await h.waitForMesh([service('alpha', 1)]);
      expect(h.registry.isSynced()).toBe(true);
    },
  },
  {
    name: `abort: run() resolves within ${ABORT_DEADLINE_MS} ms, leaves nothing open and reports nothing more`,
    async run(h) {
      await h.platform.setServices([service('alpha', 1)]);
      const tracker = new ResourceTracker().start();
      try {
        h.startAdapter(tracker);
        await h.waitForMesh([service('alpha', 1)]);

        expect(await h.stopAdapter()).toBeLessThanOrEqual(ABORT_DEADLINE_MS);
        h.registry.close();
        // Handles close asynchronously (a closed socket or watcher is released on a later tick):
        // allow a moment, then name whatever is still open and where it was created.
        await h.waitFor(
          () => tracker.open().length === 0,
          () => `the adapter's resources to close; still open: ${tracker.describeOpen()}`,
          1000,
        );
      } finally {
        tracker.stop();
      }

      const callsAtAbort = h.sink.calls.length;
      await h.platform.setServices([service('alpha', 1, 2)]);
      await delay(h.quietMs);
      expect(h.sink.calls.slice(callsAtAbort)).toEqual([]);
    },
  },
];

/** Runs one check against a fresh platform, always cleaning up. */
export async function runConformanceCheck<O>(
  check: ConformanceCheck,
  subject: ConformanceSubject<O>,
): Promise<void> {
  const harness = await ConformanceHarness.open(subject);
  try {
    await check.run(harness);
  } finally {
    await harness.dispose();
  }
}
