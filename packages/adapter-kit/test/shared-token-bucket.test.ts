import { SharedTokenBucket, type Lane } from '../src';
import { steppedClock } from './support/stepped-clock';

/** Asks for tokens by name, recording the order and the time each is granted at. */
function requester(bucket: SharedTokenBucket, time: ReturnType<typeof steppedClock>) {
  const granted: string[] = [];
  const at: Record<string, number> = {};
  const ask = (name: string, lane: Lane = 'routine', signal = new AbortController().signal) => {
    const request = bucket.request(signal, lane);
    void request.granted.then((ok) => {
      if (!ok) return;
      granted.push(name);
      at[name] = time.now();
    });
    return request;
  };
  return { ask, granted, at };
}

describe('SharedTokenBucket', () => {
  it('lets a burst through at once, then one request per interval, whoever asks', async () => {
    const time = steppedClock();
    const bucket = new SharedTokenBucket(3, 100, time.clock);
    const r = requester(bucket, time);
    for (const name of ['a1', 'b1', 'c1', 'a2', 'b2']) r.ask(name);
    await time.advance(0);
    expect(r.granted).toEqual(['a1', 'b1', 'c1']);
    await time.advance(100);
    expect(r.granted).toEqual(['a1', 'b1', 'c1', 'a2']);
    await time.advance(100);
    expect(r.at).toEqual({ a1: 0, b1: 0, c1: 0, a2: 100, b2: 200 });
    expect(time.pendingSleeps()).toBe(0);
  });

  it('earns its burst back while idle, never more', async () => {
    const time = steppedClock();
    const bucket = new SharedTokenBucket(2, 100, time.clock);
    const r = requester(bucket, time);
    r.ask('a');
    r.ask('b');
    await time.advance(10_000);
    for (const name of ['c', 'd', 'e']) r.ask(name);
    await time.advance(0);
    expect(r.granted).toEqual(['a', 'b', 'c', 'd']);
    await time.advance(100);
    expect(r.at.e).toBe(10_100);
  });

  it('serves waiters first come first served, urgent ones first, and promotes a waiting one', async () => {
    const time = steppedClock();
    const bucket = new SharedTokenBucket(1, 100, time.clock);
    const r = requester(bucket, time);
    r.ask('first');
    r.ask('routine-1');
    const late = r.ask('routine-2');
    r.ask('routine-3');
    r.ask('urgent-1', 'urgent');
    late.promote();
    await time.advance(500);
    expect(r.granted).toEqual(['first', 'urgent-1', 'routine-2', 'routine-1', 'routine-3']);
  });

  it('gives no token to a waiter whose signal aborts, and leaves no sleep behind once nobody waits', async () => {
    const time = steppedClock();
    const bucket = new SharedTokenBucket(1, 1000, time.clock);
    const r = requester(bucket, time);
    r.ask('a');
    const controller = new AbortController();
    const request = r.ask('b', 'routine', controller.signal);
    await time.advance(10);
    expect(time.pendingSleeps()).toBe(1);
    controller.abort();
    await expect(request.granted).resolves.toBe(false);
    expect(time.pendingSleeps()).toBe(0);
    // The token b did not take is there for the next one.
    r.ask('c');
    await time.advance(990);
    expect(r.granted).toEqual(['a', 'c']);
    await expect(bucket.request(controller.signal).granted).resolves.toBe(false);
  });

  it('does not limit with an interval of 0', async () => {
    const time = steppedClock();
    const bucket = new SharedTokenBucket(1, 0, time.clock);
    const r = requester(bucket, time);
    for (let i = 0; i < 10; i += 1) r.ask(`r${i}`);
    await time.advance(0);
    expect(r.granted).toHaveLength(10);
  });

  it('bounds what it grants over any stretch to burst + stretch / interval', async () => {
    const time = steppedClock();
    const bucket = new SharedTokenBucket(5, 50, time.clock);
    let granted = 0;
    // Ten loops asking again the moment they are served: the tightest possible loop.
    const controller = new AbortController();
    const loop = async () => {
      while (!controller.signal.aborted) {
        if (await bucket.request(controller.signal).granted) granted += 1;
      }
    };
    const loops = Array.from({ length: 10 }, loop);
    await time.advance(1000);
    expect(granted).toBe(5 + 1000 / 50);
    controller.abort();
    await Promise.all(loops);
    expect(time.pendingSleeps()).toBe(0);
  });
});
