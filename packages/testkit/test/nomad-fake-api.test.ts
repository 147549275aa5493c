import { afterEach, describe, expect, it } from '@jest/globals';
import {
  FakeNomad,
  FIXTURE_INDEX,
  fixtureRegistrations,
  parseGoDuration,
  testCertificates,
  type FakeNomadOptions,
  type NomadServiceListStub,
  type NomadServiceRegistration,
} from '../src/nomad';

/** `nomad-services.json` and `nomad-service.json` of the shared fixtures, as Nomad sent them. */
const SERVICES_FIXTURE = [
  {
    Namespace: 'default',
    Services: [
      { ServiceName: 'web', Tags: ['http', 'v1'] },
      { ServiceName: 'api', Tags: ['v2', 'grpc'] },
    ],
  },
  { Namespace: 'payments', Services: [{ ServiceName: 'redis', Tags: ['cache'] }] },
];
const SERVICE_FIXTURE = fixtureRegistrations.filter((r) => r.ServiceName === 'web');

interface Answer {
  status: number;
  headers: Headers;
  text: string;
}

describe('fake Nomad: the HTTP API', () => {
  let nomad: FakeNomad;
  afterEach(() => nomad.close());

  async function start(options: FakeNomadOptions = {}): Promise<FakeNomad> {
    nomad = await FakeNomad.start({ seed: 7, ...options });
    return nomad;
  }

  async function get(path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Answer> {
    const response = await fetch(`${nomad.url}${path}`, { method, headers });
    return { status: response.status, headers: response.headers, text: await response.text() };
  }

  /** A list with namespaces, services and tags sorted, for comparing content regardless of order. */
  const sortedList = (list: NomadServiceListStub[]) =>
    [...list]
      .map((ns) => ({
        Namespace: ns.Namespace,
        Services: [...ns.Services]
          .map((s) => ({ ServiceName: s.ServiceName, Tags: [...s.Tags].sort() }))
          .sort((a, b) => a.ServiceName.localeCompare(b.ServiceName)),
      }))
      .sort((a, b) => a.Namespace.localeCompare(b.Namespace));

  describe('with the fixture world', () => {
    it('serves nomad-service.json byte for byte, with the fixture index and Nomad headers', async () => {
      await start();
      nomad.restore(FIXTURE_INDEX, fixtureRegistrations);
      const answer = await get('/v1/service/web');
      expect(answer.status).toBe(200);
      expect(answer.text).toBe(JSON.stringify(SERVICE_FIXTURE));
      expect(answer.headers.get('content-type')).toBe('application/json');
      expect(answer.headers.get('x-nomad-index')).toBe('5107');
      expect(answer.headers.get('x-nomad-knownleader')).toBe('true');
      expect(answer.headers.get('x-nomad-lastcontact')).toBe('0');
      expect(answer.headers.get('x-nomad-nexttoken')).toBeNull();
    });

    it('serves nomad-services.json for namespace=*, in a different order from call to call', async () => {
      await start();
      nomad.restore(FIXTURE_INDEX, fixtureRegistrations);
      const bodies = new Set<string>();
      for (let i = 0; i < 20; i += 1) {
        const answer = await get('/v1/services?namespace=*');
        expect(answer.headers.get('x-nomad-index')).toBe('5107');
        const list = JSON.parse(answer.text) as NomadServiceListStub[];
        expect(sortedList(list)).toEqual(sortedList(SERVICES_FIXTURE));
        bodies.add(answer.text);
      }
      expect(bodies.size).toBeGreaterThan(1);
    });

    it('lists one namespace, and nothing for a namespace without registrations', async () => {
      await start({ shuffle: false });
      nomad.restore(FIXTURE_INDEX, fixtureRegistrations);
      expect(JSON.parse((await get('/v1/services?namespace=payments')).text)).toEqual([
        { Namespace: 'payments', Services: [{ ServiceName: 'redis', Tags: ['cache'] }] },
      ]);
      expect(JSON.parse((await get('/v1/services')).text)).toHaveLength(1);
      expect((await get('/v1/services?namespace=nope')).text).toBe('[]');
    });

    it('answers [] (not 404) for an unknown name, and for namespace=* on a single service', async () => {
      await start();
      nomad.restore(FIXTURE_INDEX, fixtureRegistrations);
      expect(await get('/v1/service/nope')).toMatchObject({ status: 200, text: '[]' });
      expect(await get('/v1/service/redis?namespace=*')).toMatchObject({ status: 200, text: '[]' });
      expect(JSON.parse((await get('/v1/service/redis?namespace=payments')).text)).toHaveLength(1);
    });
  });

  it('fills registrations in as a Nomad client would, with null tags when there are none', async () => {
    await start();
    const [row] = nomad.register({ ServiceName: 'web', Address: '10.0.0.1', Port: 23456 });
    const body = JSON.parse((await get('/v1/service/web')).text) as NomadServiceRegistration[];
    expect(body).toEqual([row]);
    expect(Object.keys(body[0] ?? {})).toEqual([
      'ID',
      'ServiceName',
      'Namespace',
      'NodeID',
      'Datacenter',
      'JobID',
      'AllocID',
      'Tags',
      'Address',
      'Port',
      'CreateIndex',
      'ModifyIndex',
    ]);
    expect(row).toMatchObject({ Namespace: 'default', Datacenter: 'dc1', JobID: 'web', Tags: null });
    expect(row?.ID).toBe(`_nomad-task-${row?.AllocID}-group-web-web-http`);
    expect(row?.CreateIndex).toBe(nomad.index);
  });

  it('keeps ghost and duplicate registrations: two IDs on one address:port are two rows', async () => {
    await start();
    nomad.register(
      { ServiceName: 'web', Address: '10.0.0.1', Port: 8080, AllocID: 'a1' },
      { ServiceName: 'web', Address: '10.0.0.1', Port: 8080, AllocID: 'a2' },
    );
    const body = JSON.parse((await get('/v1/service/web')).text) as NomadServiceRegistration[];
    expect(body.map((r) => r.AllocID)).toEqual(['a1', 'a2']);
  });

  describe('pagination', () => {
    it('chains pages with X-Nomad-NextToken and resumes after a deleted token', async () => {
      await start();
      const rows = nomad.register(
        ...['a', 'b', 'c'].map((alloc) => ({
          ServiceName: 'web',
          Address: '10.0.0.1',
          Port: 1,
          AllocID: alloc,
        })),
      );
      const first = await get('/v1/service/web?per_page=1');
      expect(JSON.parse(first.text)).toEqual([rows[0]]);
      const token = first.headers.get('x-nomad-nexttoken');
      expect(token).toBe(`default.${rows[1]?.ID}`);
      const second = await get(`/v1/service/web?per_page=1&next_token=${encodeURIComponent(token ?? '')}`);
      expect(JSON.parse(second.text)).toEqual([rows[1]]);
      // The registration the token names goes away: the next page starts at the one after it.
      nomad.deregister(rows[1]?.ID ?? '');
      const again = await get(`/v1/service/web?per_page=2&next_token=${encodeURIComponent(token ?? '')}`);
      expect(JSON.parse(again.text)).toEqual([rows[2]]);
      expect(again.headers.get('x-nomad-nexttoken')).toBeNull();
      const reversed = await get('/v1/service/web?reverse=true');
      expect((JSON.parse(reversed.text) as NomadServiceRegistration[]).map((r) => r.AllocID)).toEqual([
        'c',
        'a',
      ]);
    });
  });

  describe('errors, as Nomad writes them: plain text', () => {
    it.each([
      ['/v1/services?index=abc', 400, 'Invalid index'],
      ['/v1/services?index=-1', 400, 'Invalid index'],
      ['/v1/services?index=1&wait=5', 400, 'Invalid wait time'],
      ['/v1/services?stale=maybe', 400, 'Expect `true` or `false` for `stale` query string parameter'],
      ['/v1/service/web?per_page=x', 400, 'Expect a number for `per_page` query string parameter'],
      ['/v1/service/', 400, 'missing service name'],
      ['/v1/service/a/b/c', 400, 'invalid URI'],
      ['/v1/services?region=mars', 500, 'No path to region'],
      ['/v1/service/web?filter=Tags%20contains%20%22v1%22', 400, 'the fake Nomad does not implement ?filter'],
    ])('%s → %d %s', async (path, status, text) => {
      await start();
      const answer = await get(path);
      expect(answer).toMatchObject({ status, text });
      expect(answer.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    });

    it('answers 405 to a wrong method and 404 with an empty body to an unknown path', async () => {
      await start();
      expect(await get('/v1/services', {}, 'POST')).toMatchObject({ status: 405, text: 'Invalid method' });
      expect(await get('/v1/service/web/some-id', {}, 'GET')).toMatchObject({ status: 405 });
      expect(await get('/v1/nope')).toMatchObject({ status: 404, text: '' });
    });

    it('refuses non-stale reads without a leader, and serves stale ones saying so', async () => {
      await start();
      nomad.register({ ServiceName: 'web', Address: '10.0.0.1', Port: 1 });
      nomad.loseLeader();
      expect(await get('/v1/service/web')).toMatchObject({ status: 500, text: 'No cluster leader' });
      const stale = await get('/v1/service/web?stale');
      expect(stale.status).toBe(200);
      expect(stale.headers.get('x-nomad-knownleader')).toBe('false');
      expect((await get('/v1/status/leader')).text).toBe('""');
      nomad.electLeader();
      expect((await get('/v1/status/leader')).text).toBe('"127.0.0.1:4647"');
    });

    it('answers injected faults once (or as often as asked) and then normally', async () => {
      await start();
      nomad.failNext({ path: '/v1/services', status: 429, times: 2 });
      nomad.failNext({
        path: /^\/v1\/service\//,
        namespace: 'payments',
        status: 500,
        body: 'rpc error: EOF',
      });
      expect((await get('/v1/services')).status).toBe(429);
      expect((await get('/v1/services')).text).toMatch(/too many concurrent connections/);
      expect((await get('/v1/services')).status).toBe(200);
      expect((await get('/v1/service/redis')).status).toBe(200);
      expect(await get('/v1/service/redis?namespace=payments')).toMatchObject({
        status: 500,
        text: 'rpc error: EOF',
      });
      expect((await get('/v1/service/redis?namespace=payments')).status).toBe(200);
    });

    it('answers with a body quoting the request, and redirects keeping the path and query', async () => {
      await start();
      nomad.failNext({
        status: 500,
        body: (request) => `bad token ${request.token ?? '-'} for ${request.path}`,
      });
      expect(await get('/v1/services', { 'X-Nomad-Token': 'tok-1' })).toMatchObject({
        status: 500,
        text: 'bad token tok-1 for /v1/services',
      });
      nomad.failNext({ redirectTo: 'http://127.0.0.1:1' });
      const response = await fetch(`${nomad.url}/v1/services?namespace=*`, { redirect: 'manual' });
      expect(response.status).toBe(307);
      expect(response.headers.get('location')).toBe('http://127.0.0.1:1/v1/services?namespace=*');
      expect((await get('/v1/services')).status).toBe(200);
    });

    it('resets a connection when asked', async () => {
      await start();
      nomad.failNext({ reset: true });
      await expect(get('/v1/services')).rejects.toThrow();
      expect((await get('/v1/services')).status).toBe(200);
    });
  });

  describe('ACLs', () => {
    const acl = {
      tokens: { reader: { read: ['default'] as const }, admin: { read: '*' as const, submit: '*' as const } },
    };

    it('filters namespace=* silently, refuses a namespace with 403, and an unknown token with 403', async () => {
      await start({ acl, shuffle: false });
      nomad.restore(FIXTURE_INDEX, fixtureRegistrations);
      const filtered = await get('/v1/services?namespace=*', { 'X-Nomad-Token': 'reader' });
      expect((JSON.parse(filtered.text) as NomadServiceListStub[]).map((ns) => ns.Namespace)).toEqual([
        'default',
      ]);
      expect(await get('/v1/services?namespace=*')).toMatchObject({ status: 200, text: '[]' });
      expect(await get('/v1/service/redis?namespace=payments', { 'X-Nomad-Token': 'reader' })).toMatchObject({
        status: 403,
        text: 'Permission denied',
      });
      expect(await get('/v1/services?namespace=payments', { Authorization: 'Bearer reader' })).toMatchObject({
        status: 403,
      });
      expect(await get('/v1/service/web', { Authorization: 'Bearer reader' })).toMatchObject({ status: 200 });
      expect(await get('/v1/services', { 'X-Nomad-Token': 'forged' })).toMatchObject({
        status: 403,
        text: 'ACL token not found',
      });
      expect(nomad.requests.at(-1)?.token).toBe('forged');
    });

    it('changes rights at run time, and deletes registrations only with submit-job', async () => {
      await start({ acl });
      const [row] = nomad.register({ ServiceName: 'web', Address: '10.0.0.1', Port: 1 });
      const path = `/v1/service/web/${encodeURIComponent(row?.ID ?? '')}`;
      expect((await get(path, { 'X-Nomad-Token': 'reader' }, 'DELETE')).status).toBe(403);
      const deleted = await get(path, { 'X-Nomad-Token': 'admin' }, 'DELETE');
      expect(deleted.status).toBe(200);
      expect(deleted.headers.get('x-nomad-index')).toBe(String(nomad.index));
      expect(nomad.allRegistrations()).toEqual([]);

      nomad.acl.setToken('reader', { read: [] });
      expect((await get('/v1/service/web', { 'X-Nomad-Token': 'reader' })).status).toBe(403);
      nomad.acl.revokeToken('reader');
      expect((await get('/v1/service/web', { 'X-Nomad-Token': 'reader' })).text).toBe('ACL token not found');
    });
  });

  describe('availability', () => {
    it('goes away (connections refused) and comes back on the same address with the same table', async () => {
      await start();
      nomad.register({ ServiceName: 'web', Address: '10.0.0.1', Port: 1 });
      const url = nomad.url;
      await nomad.shutDown();
      await expect(fetch(`${url}/v1/service/web`)).rejects.toThrow();
      await nomad.startUp();
      expect(nomad.url).toBe(url);
      expect(JSON.parse((await get('/v1/service/web')).text)).toHaveLength(1);
    });

    it('serves HTTPS, and with client certificates required refuses a client without one', async () => {
      await start({
        tls: {
          key: testCertificates.serverKey,
          cert: testCertificates.serverCert,
          ca: testCertificates.ca,
          requireClientCert: true,
        },
      });
      expect(nomad.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      const https = await import('node:https');
      const status = (options: object) =>
        new Promise<number | string>((resolve) => {
          const req = https.get(
            `${nomad.url}/v1/services`,
            { ca: testCertificates.ca, ...options },
            (res) => {
              res.resume();
              resolve(res.statusCode ?? 0);
            },
          );
          req.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
        });
      expect(await status({ cert: testCertificates.clientCert, key: testCertificates.clientKey })).toBe(200);
      expect(await status({})).not.toBe(200);
    });
  });
});

describe("Go's duration grammar (?wait=)", () => {
  it.each([
    ['5m', 300_000],
    ['100ms', 100],
    ['1m30s', 90_000],
    ['1.5h', 5_400_000],
    ['0', 0],
    ['300us', 0.3],
    ['.5s', 500],
  ])('%s is %d ms', (text, ms) => {
    expect(parseGoDuration(text)).toBeCloseTo(ms, 6);
  });

  it.each(['5', '', 'm', '1x', '1m 30s', '--1s'])('refuses %j', (text) => {
    expect(parseGoDuration(text)).toBeUndefined();
  });
});
