import { FakeConsul } from '../src/consul';

async function call(fake: FakeConsul, method: string, path: string, body?: unknown, token?: string) {
  const response = await fetch(`${fake.url}${path}`, {
    method,
    headers: token ? { 'X-Consul-Token': token } : {},
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  const json: unknown = response.headers.get('content-type')?.startsWith('application/json')
    ? JSON.parse(text)
    : undefined;
  return { status: response.status, headers: response.headers, text, json };
}

const SPLITTER = {
  Kind: 'service-splitter',
  Name: 'web',
  Splits: [
    { Weight: 90, ServiceSubset: 'v1' },
    { Weight: 10, ServiceSubset: 'v2' },
  ],
};

describe('fake Consul: config entries (/v1/config)', () => {
  let fake: FakeConsul;
  beforeEach(async () => {
    fake = await FakeConsul.start();
  });
  afterEach(() => fake.close());

  it('lists a kind as a JSON array ([] when none), PascalCase with CreateIndex and ModifyIndex', async () => {
    const empty = await call(fake, 'GET', '/v1/config/service-splitter');
    expect(empty.status).toBe(200);
    expect(empty.json).toEqual([]);
    expect(Number(empty.headers.get('x-consul-index'))).toBeGreaterThan(0);

    const put = await call(fake, 'PUT', '/v1/config', SPLITTER);
    expect(put).toMatchObject({ status: 200, json: true });
    const listed = await call(fake, 'GET', '/v1/config/service-splitter');
    const [entry] = listed.json as { CreateIndex: number; ModifyIndex: number }[];
    expect(entry).toEqual({ ...SPLITTER, CreateIndex: entry?.ModifyIndex, ModifyIndex: entry?.ModifyIndex });
    expect(Number(listed.headers.get('x-consul-index'))).toBe(entry?.ModifyIndex);
    expect((await call(fake, 'GET', '/v1/config/service-router')).json).toEqual([]);
  });

  it('reads one entry, 404 naming kind and name when it is absent', async () => {
    fake.setConfigEntry(SPLITTER);
    expect((await call(fake, 'GET', '/v1/config/service-splitter/web')).json).toMatchObject(SPLITTER);
    const absent = await call(fake, 'GET', '/v1/config/service-splitter/api');
    expect(absent.status).toBe(404);
    expect(absent.text).toBe('Config entry not found for "service-splitter" / "api"');
  });

  it('refuses an unknown kind and a splitter whose weights do not total 100, as Consul does', async () => {
    expect((await call(fake, 'GET', '/v1/config/router')).text).toBe('invalid config entry kind: router');
    const bad = await call(fake, 'PUT', '/v1/config', { ...SPLITTER, Splits: [{ Weight: 90 }] });
    expect(bad.status).toBe(500);
    expect(bad.text).toBe('the sum of all split weights must be 100, not 90.00');
    expect((await call(fake, 'PUT', '/v1/config', { Name: 'x' })).status).toBe(400);
  });

  it('compare-and-set: ?cas=0 creates only, ?cas=<ModifyIndex> updates only that version', async () => {
    expect((await call(fake, 'PUT', '/v1/config?cas=0', SPLITTER)).json).toBe(true);
    expect((await call(fake, 'PUT', '/v1/config?cas=0', SPLITTER)).json).toBe(false);
    const { ModifyIndex } = (await call(fake, 'GET', '/v1/config/service-splitter/web')).json as {
      ModifyIndex: number;
    };
    expect((await call(fake, 'PUT', `/v1/config?cas=${ModifyIndex + 1}`, SPLITTER)).json).toBe(false);
    expect((await call(fake, 'PUT', `/v1/config?cas=${ModifyIndex}`, SPLITTER)).json).toBe(true);
    const after = (await call(fake, 'GET', '/v1/config/service-splitter/web')).json as {
      CreateIndex: number;
      ModifyIndex: number;
    };
    expect(after.CreateIndex).toBe(ModifyIndex);
    expect(after.ModifyIndex).toBeGreaterThan(ModifyIndex);
  });

  it('deletes ({} without cas), and the entry is gone', async () => {
    fake.setConfigEntry(SPLITTER);
    expect((await call(fake, 'DELETE', '/v1/config/service-splitter/web')).json).toEqual({});
    expect((await call(fake, 'GET', '/v1/config/service-splitter')).json).toEqual([]);
    expect((await call(fake, 'DELETE', '/v1/config/service-splitter/web?cas=5')).json).toBe(false);
  });

  it('a blocking list is held until a config entry is written, then answers with the new index', async () => {
    const first = await call(fake, 'GET', '/v1/config/service-resolver');
    const index = first.headers.get('x-consul-index');
    const held = call(fake, 'GET', `/v1/config/service-resolver?index=${index}&wait=30s`);
    for (let i = 0; i < 200 && fake.heldQueries() === 0; i += 1) await new Promise((r) => setTimeout(r, 10));
    expect(fake.heldQueries()).toBe(1);
    fake.setConfigEntry({ Kind: 'service-resolver', Name: 'web', DefaultSubset: 'v1' });
    const answer = await held;
    expect(Number(answer.headers.get('x-consul-index'))).toBeGreaterThan(Number(index));
    expect(answer.json).toMatchObject([{ Name: 'web', DefaultSubset: 'v1' }]);
  });

  it('ACLs: an unknown token is refused; a list leaves out entries the token cannot read', async () => {
    fake.setConfigEntry(SPLITTER);
    fake.setConfigEntry({ ...SPLITTER, Name: 'api' });
    fake.setToken('web-only', { servicePrefixes: ['web'] });
    expect((await call(fake, 'GET', '/v1/config/service-splitter', undefined, 'nope')).status).toBe(403);
    const listed = await call(fake, 'GET', '/v1/config/service-splitter', undefined, 'web-only');
    expect((listed.json as { Name: string }[]).map((e) => e.Name)).toEqual(['web']);
    expect(listed.headers.get('x-consul-results-filtered-by-acls')).toBe('true');
    const denied = await call(fake, 'GET', '/v1/config/service-splitter/api', undefined, 'web-only');
    expect(denied.status).toBe(403);
    expect(denied.text).toContain(`lacks permission 'service:read' on "api"`);
    expect((await call(fake, 'PUT', '/v1/config', { ...SPLITTER, Name: 'api' }, 'web-only')).status).toBe(
      403,
    );
  });

  it('answers with the injected faults like every other endpoint', async () => {
    fake.faults.injectError({ status: 500, body: 'No cluster leader' }, { path: '/v1/config', count: 1 });
    const failed = await call(fake, 'GET', '/v1/config/service-router');
    expect([failed.status, failed.text]).toEqual([500, 'No cluster leader']);
    expect((await call(fake, 'GET', '/v1/config/service-router')).status).toBe(200);
  });

  it('a snapshot restore moves the config-entries index back with the others', async () => {
    fake.setConfigEntry(SPLITTER);
    fake.rewindIndexes(3);
    const listed = await call(fake, 'GET', '/v1/config/service-splitter');
    expect(Number(listed.headers.get('x-consul-index'))).toBeLessThanOrEqual(3);
    expect((listed.json as { ModifyIndex: number }[])[0]?.ModifyIndex).toBeLessThanOrEqual(3);
  });
});
