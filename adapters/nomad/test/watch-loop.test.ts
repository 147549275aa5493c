import { SharedTokenBucket } from '@sextant/adapter-kit';
import { silentLogger } from '@sextant/core';
import { waitFor } from '@sextant/testkit';
import { NomadError } from '../src/nomad/nomad-error';
import { WatchLoop, type WatchRead } from '../src/watch/watch-loop';

type Step = { index: number; value?: string } | Error;

/**
 * A read that answers from a script and records the index each read asked from; once the script
 * is spent it waits until the loop is stopped, as a blocking query would.
 */
function scriptedRead(steps: Step[]) {
  const asked: number[] = [];
  const read: WatchRead<string> = async (minIndex, signal) => {
    asked.push(minIndex);
    const step = steps.shift();
    if (step instanceof Error) throw step;
    if (step) return step;
    await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
    throw signal.reason;
  };
  return { read, asked };
}

const timing = { rateLimit: new SharedTokenBucket(100, 1), retry: { initialMs: 1, maxMs: 2 } };

describe('WatchLoop', () => {
  it('blocks from the last index, starts over from 0 when the index goes backwards, and never asks from 0 twice', async () => {
    const { read, asked } = scriptedRead([
      { index: 5, value: 'a' },
      { index: 3, value: 'stale' },
      { index: 0, value: 'b' },
    ]);
    const seen: string[] = [];
    const loop = new WatchLoop(
      'test',
      read,
      { onValue: (v) => seen.push(v), onFault: () => undefined },
      timing,
      silentLogger,
    );
    loop.start();
    await waitFor(() => asked.length === 4);
    await loop.stop();
    // The lower answer is not reported; an index of 0 is taken as 1 so the next read blocks.
    expect(seen).toEqual(['a', 'b']);
    expect(asked).toEqual([0, 5, 0, 1]);
  });

  it('retries a lost connection at once, unreported; reports a second failure and then reads afresh', async () => {
    const lost = new NomadError('unreachable', 'cannot reach Nomad: other side closed');
    const { read, asked } = scriptedRead([
      { index: 5, value: 'a' },
      lost,
      lost,
      new NomadError('http', 'Nomad answered 500 "No cluster leader"', { status: 500 }),
      { index: 6, value: 'b' },
    ]);
    const faults: string[] = [];
    const seen: string[] = [];
    const loop = new WatchLoop(
      'test',
      read,
      { onValue: (v) => seen.push(v), onFault: (e) => faults.push(e.message) },
      timing,
      silentLogger,
    );
    loop.start();
    await waitFor(() => asked.length === 6);
    await loop.stop();
    expect(faults).toEqual([
      'cannot reach Nomad: other side closed',
      'Nomad answered 500 "No cluster leader"',
    ]);
    expect(asked).toEqual([0, 5, 5, 0, 0, 6]);
    expect(seen).toEqual(['a', 'b']);
  });

  it('turns unexpected errors into faults and keeps watching; a throwing handler does not stop it', async () => {
    const { read, asked } = scriptedRead([{ index: 2, value: 'a' }, new TypeError('boom')]);
    const faults: NomadError[] = [];
    const loop = new WatchLoop(
      'the list',
      read,
      {
        onValue: () => {
          throw new Error('handler bug');
        },
        onFault: (e) => faults.push(e),
      },
      timing,
      silentLogger,
    );
    loop.start();
    await waitFor(() => asked.length === 3);
    await loop.stop();
    expect(faults.map((f) => [f.kind, f.message])).toEqual([['invalid', 'reading the list failed: boom']]);
  });
});
