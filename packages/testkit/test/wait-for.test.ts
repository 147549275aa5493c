import { describe, expect, it } from '@jest/globals';
import { waitFor } from '../src';

describe('waitFor', () => {
  it('resolves once the predicate holds, checking again until then', async () => {
    let calls = 0;
    await waitFor(() => (calls += 1) === 3, { intervalMs: 1 });
    expect(calls).toBe(3);
  });

  it('waits on async predicates', async () => {
    let calls = 0;
    await waitFor(async () => (calls += 1) >= 2, { intervalMs: 1 });
    expect(calls).toBe(2);
  });

  it('times out naming what it waited for, described at the timeout', async () => {
    let state = 'starting';
    const waiting = waitFor(() => false, {
      timeoutMs: 50,
      intervalMs: 5,
      message: () => `ready (now ${state})`,
    });
    state = 'degraded';
    await expect(waiting).rejects.toThrow('timed out after 50 ms waiting for ready (now degraded)');
    await expect(waitFor(() => false, { timeoutMs: 10, message: 'x' })).rejects.toThrow('waiting for x');
  });

  it('checks once more at the deadline', async () => {
    const start = performance.now();
    await waitFor(() => performance.now() - start >= 30, { timeoutMs: 30, intervalMs: 1000 });
    expect(performance.now() - start).toBeGreaterThanOrEqual(30);
  });

  it('checks once more after a check that ran past the deadline (a descheduled process)', async () => {
    const start = performance.now();
    let calls = 0;
    const pastDeadline = () => {
      calls += 1;
      const held = performance.now() - start >= 30;
      // The first check takes longer than the whole wait, as when the process is descheduled.
      while (calls === 1 && performance.now() - start < 40);
      return held;
    };
    await waitFor(pastDeadline, { timeoutMs: 30, intervalMs: 1000 });
    expect(calls).toBe(2);
  });

  it('rejects at once when the predicate throws', async () => {
    const start = performance.now();
    await expect(
      waitFor(
        () => {
          throw new Error('bug in the test');
        },
        { timeoutMs: 5000 },
      ),
    ).rejects.toThrow('bug in the test');
    expect(performance.now() - start).toBeLessThan(1000);
  });
});
