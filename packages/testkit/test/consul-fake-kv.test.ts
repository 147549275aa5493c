import { waitFor } from '../src';
import { FakeConsul, KV_MAX_VALUE_SIZE } from '../src/consul';

interface KvJson {
  Key: string;
  Value: string | null;
  CreateIndex: number;
  ModifyIndex: number;
  LockIndex: number;
  Flags: number;
}

async function request(fake: FakeConsul, path: string, init: RequestInit = {}) {
  const response = await fetch(`${fake.url}${path}`, init);
  const text = await response.text();
  return {
    status: response.status,
    text,
    json: (response.headers.get('content-type')?.startsWith('application/json')
      ? JSON.parse(text)
      : undefined) as unknown,
    index: Number(response.headers.get('x-consul-index')),
  };
}

describe('fake Consul: KV (hashicorp/consul agent/kvs_endpoint.go)', () => {
  let fake: FakeConsul;
  beforeEach(async () => {
    fake = await FakeConsul.start();
  });
  afterEach(() => fake.close());

  it('answers 404 with an index for a prefix with nothing under it, and lists every key under it with ?recurse', async () => {
    const empty = await request(fake, '/v1/kv/sextant/rules/?recurse');
    expect(empty.status).toBe(404);
    expect(empty.index).toBeGreaterThan(0);
    expect(empty.text).toBe('');

    const put = await request(fake, '/v1/kv/sextant/rules/default/VirtualService/a', {
      method: 'PUT',
      body: 'kind: VirtualService',
    });
    expect(put.json).toBe(true);
    fake.putKv('sextant/rules/default/VirtualService/b', 'b');
    fake.putKv('other/key', 'x');
    const list = await request(fake, '/v1/kv/sextant/rules/?recurse');
    expect(list.status).toBe(200);
    const entries = list.json as KvJson[];
    expect(entries.map((e) => e.Key)).toEqual([
      'sextant/rules/default/VirtualService/a',
      'sextant/rules/default/VirtualService/b',
    ]);
    expect(Buffer.from(entries[0]?.Value ?? '', 'base64').toString()).toBe('kind: VirtualService');
    expect(entries[0]).toMatchObject({ LockIndex: 0, Flags: 0 });
    expect(list.index).toBe(entries[1]?.ModifyIndex);

    const keys = await request(fake, '/v1/kv/sextant/?keys&separator=/');
    expect(keys.json).toEqual(['sextant/rules/']);
    const one = await request(fake, '/v1/kv/sextant/rules/default/VirtualService/b?raw');
    expect(one.text).toBe('b');
    expect((await request(fake, '/v1/kv/missing')).status).toBe(404);
  });

  it('holds a blocking ?recurse read until a key under the prefix changes or goes', async () => {
    fake.putKv('rules/a', '1');
    const first = await request(fake, '/v1/kv/rules/?recurse');
    const held = request(fake, `/v1/kv/rules/?recurse&index=${first.index}&wait=1m`);
    await waitFor(() => fake.heldQueries() === 1, { message: 'the KV read to be held' });
    fake.putKv('elsewhere', 'no wake-up');
    fake.deleteKv('rules/a');
    const answer = await held;
    expect(answer.status).toBe(404);
    expect(answer.index).toBeGreaterThan(first.index);

    // A read that times out answers with the same index.
    const timedOut = await request(fake, `/v1/kv/rules/?recurse&index=${answer.index}&wait=200ms`);
    expect(timedOut.index).toBe(answer.index);
  });

  it('writes with ?cas only at the ModifyIndex given (0: only a new key), and deletes with ?cas likewise', async () => {
    const create = (cas: number, body: string) =>
      request(fake, `/v1/kv/k?cas=${cas}`, { method: 'PUT', body });
    expect((await create(0, 'one')).json).toBe(true);
    expect((await create(0, 'again')).json).toBe(false);
    const [entry] = (await request(fake, '/v1/kv/k')).json as KvJson[];
    expect((await create((entry?.ModifyIndex ?? 0) + 1, 'wrong')).json).toBe(false);
    expect((await create(entry?.ModifyIndex ?? 0, 'two')).json).toBe(true);
    expect(fake.kvValue('k')).toBe('two');
    const del = (cas: number) => request(fake, `/v1/kv/k?cas=${cas}`, { method: 'DELETE' });
    expect((await del(entry?.ModifyIndex ?? 0)).json).toBe(false);
    const [now] = (await request(fake, '/v1/kv/k')).json as KvJson[];
    expect(now?.CreateIndex).toBe(entry?.CreateIndex);
    expect((await del(now?.ModifyIndex ?? 0)).json).toBe(true);
    expect(fake.kvValue('k')).toBeUndefined();
    expect((await request(fake, '/v1/kv/k?cas=x', { method: 'PUT', body: '' })).status).toBe(400);
  });

  it('refuses a value over 512 KiB with 413, as Consul does, and keeps the old value', async () => {
    fake.putKv('big', 'small');
    const answer = await request(fake, '/v1/kv/big', {
      method: 'PUT',
      body: Buffer.alloc(KV_MAX_VALUE_SIZE + 1, 'a'),
    });
    expect(answer.status).toBe(413);
    expect(answer.text).toContain('too large, max size: 524288 bytes');
    expect(fake.kvValue('big')).toBe('small');
    const exact = await request(fake, '/v1/kv/big', {
      method: 'PUT',
      body: Buffer.alloc(KV_MAX_VALUE_SIZE, 'a'),
    });
    expect(exact.json).toBe(true);
  });

  it('checks key_prefix rights: reads drop what the token may not read, writes need key:write', async () => {
    fake.setToken('reader', { keyPrefixes: { read: ['rules/'] } });
    fake.putKv('rules/a', '1');
    fake.putKv('secret/b', '2');
    const headers = { 'X-Consul-Token': 'reader' };
    const all = await request(fake, '/v1/kv/?recurse', { headers });
    expect((all.json as KvJson[]).map((e) => e.Key)).toEqual(['rules/a']);
    expect((await request(fake, '/v1/kv/secret/?recurse', { headers })).status).toBe(404);
    expect((await request(fake, '/v1/kv/secret/b', { headers })).status).toBe(403);
    const write = await request(fake, '/v1/kv/rules/a', { method: 'PUT', body: 'x', headers });
    expect(write.status).toBe(403);
    expect(write.text).toContain("lacks permission 'key:write'");
    expect((await request(fake, '/v1/kv/?recurse', { headers: { 'X-Consul-Token': 'nobody' } })).status).toBe(
      403,
    );
  });

  it('applies the fake’s faults and index resets to KV reads', async () => {
    fake.putKv('rules/a', '1');
    const before = await request(fake, '/v1/kv/rules/?recurse');
    fake.faults.injectError({ status: 500 }, { path: '/v1/kv/', count: 1 });
    expect((await request(fake, '/v1/kv/rules/?recurse')).status).toBe(500);
    fake.faults.redirect({ to: 'http://10.0.0.9:8500' }, { path: '/v1/kv/', count: 1 });
    const redirected = await fetch(`${fake.url}/v1/kv/rules/?recurse`, { redirect: 'manual' });
    expect([redirected.status, redirected.headers.get('location')]).toEqual([
      307,
      'http://10.0.0.9:8500/v1/kv/rules/?recurse',
    ]);
    fake.rewindIndexes(3);
    const after = await request(fake, '/v1/kv/rules/?recurse');
    expect(after.index).toBeLessThan(before.index);
    expect((after.json as KvJson[])[0]?.ModifyIndex).toBeLessThanOrEqual(3);
  });
});
