import { sleep } from '../src';

describe('sleep', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('resolves after the time given', async () => {
    let done = false;
    void sleep(1000, new AbortController().signal).then(() => (done = true));
    await jest.advanceTimersByTimeAsync(999);
    expect(done).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    expect(done).toBe(true);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('resolves at once when the signal aborts, leaving no timer and no listener behind', async () => {
    const controller = new AbortController();
    const added = jest.spyOn(controller.signal, 'addEventListener');
    const removed = jest.spyOn(controller.signal, 'removeEventListener');
    const sleeping = sleep(60_000, controller.signal);
    expect(jest.getTimerCount()).toBe(1);
    controller.abort();
    await expect(sleeping).resolves.toBeUndefined();
    expect(jest.getTimerCount()).toBe(0);
    expect(removed).toHaveBeenCalledWith('abort', added.mock.calls[0]?.[1]);
  });

  it('sets no timer for an aborted signal or a wait of zero or less', async () => {
    const aborted = AbortSignal.abort();
    await expect(sleep(1000, aborted)).resolves.toBeUndefined();
    await expect(sleep(0, new AbortController().signal)).resolves.toBeUndefined();
    await expect(sleep(-5, new AbortController().signal)).resolves.toBeUndefined();
    expect(jest.getTimerCount()).toBe(0);
  });
});
