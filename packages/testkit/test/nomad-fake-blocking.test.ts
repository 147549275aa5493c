import { afterEach, describe, expect, it } from '@jest/globals';
import { waitFor } from '../src';
import {
  FakeNomad,
  type FakeNomadOptions,
  type NomadServiceListStub,
  type NomadServiceRegistration,
} from '../src/nomad';

interface Answer {
  index: number;
  body: unknown;
}

describe('fake Nomad: blocking queries on a table-wide index', () => {
  let nomad: FakeNomad;
  const controllers: AbortController[] = [];
  afterEach(async () => {
    for (const controller of controllers.splice(0)) controller.abort();
    await nomad.close();
  });

  async function start(options: FakeNomadOptions = {}): Promise<FakeNomad> {
    nomad = await FakeNomad.start({ seed: 11, jitter: false, ...options });
    return nomad;
  }

  /** A query the test can watch settle (or not) and abort. */
  function query(path: string): { settled: () => boolean; answer: Promise<Answer>; abort: () => void } {
    const controller = new AbortController();
    controllers.push(controller);
    let settled = false;
    const answer = fetch(`${nomad.url}${path}`, { signal: controller.signal })
      .then(async (response) => ({
        index: Number(response.headers.get('x-nomad-index')),
        body: (await response.json()) as unknown,
      }))
      .finally(() => (settled = true));
    answer.catch(() => undefined);
    return { settled: () => settled, answer, abort: () => controller.abort() };
  }

  const parked = (n: number) =>
    waitFor(() => nomad.parkedQueries() === n, {
      message: () => `${n} parked queries (now ${nomad.parkedQueries()})`,
    });

  const web = (address: string) => ({ ServiceName: 'web', Address: address, Port: 8080, AllocID: address });

  it('answers at once without an index, or when the table is already past it', async () => {
    await start();
    nomad.register(web('10.0.0.1'));
    const index = nomad.index;
    expect((await query('/v1/service/web').answer).index).toBe(index);
    nomad.register({ ServiceName: 'api', Address: '10.0.0.2', Port: 9090 });
    // web did not change, but the table did: a client at the old index gets an answer at once.
    const answer = await query(`/v1/service/web?index=${index}`).answer;
    expect(answer.index).toBe(index + 1);
    expect((answer.body as NomadServiceRegistration[]).map((r) => r.Address)).toEqual(['10.0.0.1']);
  });

  it('holds a query on one service until that service changes, not until another does', async () => {
    await start();
    nomad.register(web('10.0.0.1'));
    const held = query(`/v1/service/web?index=${nomad.index}`);
    await parked(1);

    nomad.register({ ServiceName: 'api', Address: '10.0.0.2', Port: 9090 });
    nomad.register({ ServiceName: 'web', Address: '10.0.0.3', Port: 8080, Namespace: 'other' });
    // A later probe proves the writes were seen: the held query is still held.
    await query('/v1/services').answer;
    expect(held.settled()).toBe(false);
    expect(nomad.parkedQueries()).toBe(1);

    nomad.register(web('10.0.0.4'));
    const answer = await held.answer;
    expect(answer.index).toBe(nomad.index);
    expect((answer.body as NomadServiceRegistration[]).map((r) => r.Address)).toEqual([
      '10.0.0.1',
      '10.0.0.4',
    ]);
    expect(nomad.parkedQueries()).toBe(0);
  });

  it('wakes a list watcher for any write, with an identical body when nothing it shows changed', async () => {
    await start({ shuffle: false });
    nomad.register({ ...web('10.0.0.1'), Tags: ['b', 'a'] });
    const before = await query('/v1/services?namespace=*').answer;
    const held = query(`/v1/services?namespace=*&index=${before.index}`);
    await parked(1);
    nomad.touch('web');
    const after = await held.answer;
    expect(after.index).toBe(before.index + 1);
    expect(after.body).toEqual(before.body);
    // The registration body differs only in ModifyIndex (and its tags' order).
    const [row] = (await query('/v1/service/web').answer).body as NomadServiceRegistration[];
    expect(row?.ModifyIndex).toBe(after.index);
    expect([...(row?.Tags ?? [])].sort()).toEqual(['a', 'b']);
  });

  it('moves the index without waking anyone for a write that changes nothing', async () => {
    await start();
    nomad.register(web('10.0.0.1'));
    const index = nomad.index;
    const held = query(`/v1/service/web?index=${index}&wait=1m`);
    await parked(1);
    expect(nomad.bumpIndex()).toBe(index + 1);
    await query('/v1/services').answer;
    expect(held.settled()).toBe(false);
    expect((await query(`/v1/service/web?index=${index}`).answer).index).toBe(index + 1);
  });

  it('answers with the same index when the wait runs out, and caps the wait', async () => {
    await start({ maxWaitMs: 300 });
    nomad.register(web('10.0.0.1'));
    const index = nomad.index;
    const started = performance.now();
    const answer = await query(`/v1/service/web?index=${index}&wait=100ms`).answer;
    expect(performance.now() - started).toBeGreaterThanOrEqual(95);
    expect(answer.index).toBe(index);
    // Asked for ten minutes, held for the server's maximum.
    expect((await query(`/v1/service/web?index=${index}&wait=10m`).answer).index).toBe(index);
  });

  it('adds a random stagger of at most wait/16 when jitter is on', async () => {
    await start({ jitter: true, seed: 3 });
    nomad.register(web('10.0.0.1'));
    const started = performance.now();
    await query(`/v1/service/web?index=${nomad.index}&wait=160ms`).answer;
    expect(performance.now() - started).toBeGreaterThanOrEqual(155);
  });

  it('goes backwards on a restore: a client ahead of the server waits, then gets the lower index', async () => {
    await start();
    nomad.register(web('10.0.0.1'));
    nomad.register(web('10.0.0.2'));
    const index = nomad.index;
    const held = query(`/v1/service/web?index=${index}&wait=200ms`);
    await parked(1);
    nomad.restore(index - 1, nomad.allRegistrations().slice(0, 1));
    // The restore woke it, but the index did not move past the client's: it keeps waiting.
    await query('/v1/services').answer;
    expect(held.settled()).toBe(false);
    const answer = await held.answer;
    expect(answer.index).toBe(index - 1);
    expect((answer.body as NomadServiceRegistration[]).map((r) => r.Address)).toEqual(['10.0.0.1']);
    expect((await query('/v1/services?namespace=*').answer).body as NomadServiceListStub[]).toHaveLength(1);
  });

  it('releases the timer and watch of a query whose client goes away', async () => {
    await start();
    nomad.register(web('10.0.0.1'));
    const held = query(`/v1/service/web?index=${nomad.index}`);
    const list = query(`/v1/services?index=${nomad.index}`);
    await parked(2);
    held.abort();
    list.abort();
    await parked(0);
  });

  it('drops held queries on dropConnections, and hangs injected ones until then', async () => {
    await start();
    nomad.register(web('10.0.0.1'));
    const held = query(`/v1/service/web?index=${nomad.index}`);
    nomad.failNext({ path: '/v1/services', hang: true });
    const hung = query('/v1/services');
    await parked(1);
    await waitFor(() => nomad.requests.filter((r) => r.path === '/v1/services').length === 1);
    expect(hung.settled()).toBe(false);
    nomad.dropConnections();
    await expect(held.answer).rejects.toThrow();
    await expect(hung.answer).rejects.toThrow();
    await parked(0);
  });
});
