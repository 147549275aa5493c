import type * as JestGlobals from '@jest/globals';
import type * as Checks from './checks';
import { conformanceTiming } from './harness';
import type { ConformanceSubject } from './subject';

/**
 * Registers the adapter conformance suite as a jest describe block: one test per behaviour of
 * the adapter contract, each against a fresh platform from `subject.start()`.
 */
export function describeAdapterConformance<O>(subject: ConformanceSubject<O>): void {
  // Loaded here rather than imported: @jest/globals throws when loaded outside a jest run, and the
  // rest of the testkit (waitFor, freePort, the platform fakes) must work in any program.
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { describe, it } = require('@jest/globals') as typeof JestGlobals;
  const { conformanceChecks, runConformanceCheck } = require('./checks') as typeof Checks;
  /* eslint-enable @typescript-eslint/no-require-imports */
  const { timeoutMs, quietMs } = conformanceTiming(subject);
  // Room for the longest check (three waits and a quiet period) plus starting and closing the platform.
  const testTimeoutMs = timeoutMs * 4 + quietMs + 10_000;
  describe(`${subject.name} adapter conformance`, () => {
    for (const check of conformanceChecks) {
      it(check.name, () => runConformanceCheck(check, subject), testTimeoutMs);
    }
  });
}
