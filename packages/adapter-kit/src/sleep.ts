/**
 * Waits `ms`, or less if `signal` aborts first. It never rejects: a loop that sleeps between
 * retries checks `signal.aborted` afterwards instead of catching. The timer and the abort
 * listener are removed either way, so an aborted sleep leaves nothing scheduled and nothing that
 * would keep the process alive (an adapter's `run` must leave no timer behind after abort).
 */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0 || signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
