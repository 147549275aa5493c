import { setTimeout as delay } from 'node:timers/promises';

export interface WaitForOptions {
  /** Give up after this long. Default 5000 ms. */
  readonly timeoutMs?: number;
  /** Check this often. Default 20 ms. */
  readonly intervalMs?: number;
  /**
   * What is being waited for, for the timeout error. A function is called only at the timeout,
   * so it can describe the state at that moment ("status degraded, expected ready").
   */
  readonly message?: string | (() => string);
}

/**
 * Resolves as soon as `predicate` holds, checking every `intervalMs`; rejects once `timeoutMs`
 * has passed without it holding. Tests wait on conditions with this instead of sleeping a fixed
 * time, so they are as fast as the code allows on an idle machine and still pass on a loaded one.
 * An error thrown by the predicate is a bug in the test, not "not yet": it rejects at once.
 */
export async function waitFor(
  predicate: () => boolean | Promise<boolean>,
  options: WaitForOptions = {},
): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 5000;
  const intervalMs = options.intervalMs ?? 20;
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    // Read before the check: the check that gives up is one made at or after the deadline, even
    // when the process was descheduled between a check and the clock read after it.
    const expired = performance.now() >= deadline;
    if (await predicate()) return;
    if (expired) {
      const what =
        typeof options.message === 'function' ? options.message() : (options.message ?? 'a condition');
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await delay(Math.max(0, Math.min(intervalMs, deadline - performance.now())));
  }
}
