import { afterEach, describe, expect, it } from '@jest/globals';
import { describeAdapterConformance } from '../src';
import { conformanceChecks, runConformanceCheck } from '../src/conformance/checks';
import { memorySubject, releaseLeftovers, startMemoryPlatform, type Flaw } from './support/memory-platform';

// The reference adapter passes the whole suite, registered the way adapter packages do.
describeAdapterConformance(memorySubject());

function check(named: string) {
  const found = conformanceChecks.find((candidate) => candidate.name.startsWith(named));
  if (!found) throw new Error(`no conformance check named "${named}…"`);
  return found;
}

describe('the conformance suite fails an adapter that', () => {
  afterEach(releaseLeftovers);

  const cases: [string, Flaw, string, RegExp][] = [
    ['reports ready before its data', 'ready-before-data', 'first full sync', /absent/],
    ['misses updates', 'drops-updates', 'update', /timed out after 1000 ms waiting for status ready and/],
    ['never removes a deleted service', 'never-removes', 'delete', /"beta\.memory\.test":"absent"/],
    ['empties its state on a platform fault', 'empties-on-fault', 'platform fault', /toBe/],
    [
      'does not report degraded on a fault',
      'never-degraded',
      'platform fault',
      /waiting for status degraded/,
    ],
    [
      'turns ready while the platform is still down',
      'gives-up-when-broken',
      'platform unavailable',
      /not\.toContain/,
    ],
    [
      'stops running before its signal aborts',
      'returns-early',
      'update',
      /run\(\) resolved before its signal aborted/,
    ],
    ['rejects when aborted', 'rejects-on-abort', 'abort', /run\(\) rejected: aborted/],
    [
      'does not stop when aborted',
      'ignores-abort',
      'abort',
      /run\(\) had not resolved 2000 ms after its signal aborted/,
    ],
    [
      'leaves a timer running after abort',
      'leaks-timer',
      'abort',
      /still open: Timeout created at .*memory-platform\.ts/,
    ],
    ['reports after abort', 'reports-after-abort', 'abort', /replaceAll/],
  ];

  it.each(cases)('%s', async (_, flaw, checkName, failure) => {
    await expect(runConformanceCheck(check(checkName), memorySubject(flaw))).rejects.toThrow(failure);
  });

  it("gives options the factory's schema refuses", async () => {
    const subject = {
      ...memorySubject(),
      start: async () => ({ ...(await startMemoryPlatform()), options: () => ({ platform: 'p', port: 1 }) }),
    };
    await expect(runConformanceCheck(check('is a factory'), subject)).rejects.toThrow(
      /optionsSchema refuses the platform's options: port: unknown field/,
    );
  });
});
