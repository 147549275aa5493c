import type { Clock } from '../../src';

interface Sleeper {
  readonly until: number;
  readonly wake: () => void;
}

/**
 * A clock that moves only when `advance` is called; sleeps end when it passes their deadline (or
 * their signal aborts), in deadline order, each after the promises it released have run.
 */
export function steppedClock() {
  let now = 0;
  const sleepers = new Set<Sleeper>();
  const clock: Clock = {
    now: () => now,
    sleep: (ms, signal) =>
      new Promise<void>((resolve) => {
        if (signal.aborted || ms <= 0) return resolve();
        const sleeper: Sleeper = {
          until: now + ms,
          wake: () => {
            sleepers.delete(sleeper);
            signal.removeEventListener('abort', sleeper.wake);
            resolve();
          },
        };
        sleepers.add(sleeper);
        signal.addEventListener('abort', sleeper.wake, { once: true });
      }),
  };
  const settle = () => new Promise((resolve) => setImmediate(resolve));
  return {
    clock,
    now: () => now,
    /** Sleeps not yet ended: a timer an object would leave behind. */
    pendingSleeps: () => sleepers.size,
    /** Moves time forward by `ms`, waking sleepers one deadline at a time. */
    async advance(ms: number): Promise<void> {
      const target = now + ms;
      for (;;) {
        await settle();
        const next = [...sleepers].sort((a, b) => a.until - b.until)[0];
        if (!next || next.until > target) break;
        now = next.until;
        next.wake();
      }
      now = target;
      await settle();
    },
  };
}
