import { sleep } from './sleep';

/**
 * Time as a rate limit sees it. Code that waits takes a Clock instead of calling
 * `performance.now()` and `setTimeout` itself, so a test can substitute one that moves only when
 * told and assert on the waits it was asked for, without sleeping.
 */
export interface Clock {
  /** Milliseconds from an arbitrary origin, never going backwards. */
  now(): number;
  /** Waits `ms`, or less if `signal` aborts; never rejects. */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

/** The real clock: a monotonic `performance.now()` (wall-clock jumps do not matter) and real timers. */
export const systemClock: Clock = { now: () => performance.now(), sleep };
