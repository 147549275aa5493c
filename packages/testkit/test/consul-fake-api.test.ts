import { FakeConsul, seedFixtureWorld } from '../src/consul';

/** A GET as any HTTP client sends it: status, headers, body text, and JSON when the body is JSON. */
async function get(fake: FakeConsul, path: string, headers: Record<string, string> = {}) {
  const response = await fetch(`${fake.url}${path}`, { headers });
  const text = await response.text();
  const json: unknown = response.headers.get('content-type')?.startsWith('application/json')
    ? JSON.parse(text)
    : undefined;
  return { status: response.status, headers: response.headers, text, json };
}

/** Without CreateIndex/ModifyIndex: those depend on the order of writes, not on the shape. */
function withoutIndexes(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutIndexes);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([key]) => key !== 'CreateIndex' && key !== 'ModifyIndex')
        .map(([key, item]) => [key, withoutIndexes(item)]),
    );
  }
  return value;
}

// ../shared/spec/fixtures/consul-health-service.json without its indexes.
const FIXTURE_HEALTH_WEB = [
  {
    Node: {
      ID: '8d3b2c1a-5e4f-4a6b-9c7d-1e2f3a4b5c6d',
      Node: 'node-a',
      Address: '10.0.1.11',
      Datacenter: 'dc1',
      TaggedAddresses: {
        lan: '10.0.1.11',
        lan_ipv4: '10.0.1.11',
        wan: '10.0.1.11',
        wan_ipv4: '10.0.1.11',
      },
      Meta: {
        'consul-network-segment': '',
        'consul-version': '1.19.2',
      },
    },
    Service: {
      ID: 'web-1',
      Service: 'web',
      Tags: ['v1', 'http'],
      Address: '10.0.1.11',
      TaggedAddresses: {
        lan_ipv4: {
          Address: '10.0.1.11',
          Port: 8080,
        },
        wan_ipv4: {
          Address: '10.0.1.11',
          Port: 8080,
        },
      },
      Meta: {
        version: '1.4.2',
        protocol: 'http',
      },
      Port: 8080,
      Weights: {
        Passing: 1,
        Warning: 1,
      },
      EnableTagOverride: false,
      Proxy: {
        Mode: '',
        MeshGateway: {},
        Expose: {},
      },
      Connect: {},
      PeerName: '',
    },
    Checks: [
      {
        Node: 'node-a',
        CheckID: 'serfHealth',
        Name: 'Serf Health Status',
        Status: 'passing',
        Notes: '',
        Output: 'Agent alive and reachable',
        ServiceID: '',
        ServiceName: '',
        ServiceTags: [],
        Type: '',
        Interval: '',
        Timeout: '',
        ExposedPort: 0,
        Definition: {},
      },
      {
        Node: 'node-a',
        CheckID: 'service:web-1',
        Name: 'HTTP GET /healthz',
        Status: 'passing',
        Notes: '',
        Output: 'HTTP GET http://10.0.1.11:8080/healthz: 200 OK Output: ok',
        ServiceID: 'web-1',
        ServiceName: 'web',
        ServiceTags: ['v1', 'http'],
        Type: 'http',
        Interval: '10s',
        Timeout: '2s',
        ExposedPort: 0,
        Definition: {},
      },
    ],
  },
  {
    Node: {
      ID: 'f1e2d3c4-b5a6-4978-8a9b-0c1d2e3f4a5b',
      Node: 'node-b',
      Address: '10.0.1.12',
      Datacenter: 'dc1',
      TaggedAddresses: {
        lan: '10.0.1.12',
        lan_ipv4: '10.0.1.12',
        wan: '10.0.1.12',
        wan_ipv4: '10.0.1.12',
      },
      Meta: {
        'consul-network-segment': '',
        'consul-version': '1.19.2',
      },
    },
    Service: {
      ID: 'web-2',
      Service: 'web',
      Tags: ['v1', 'http'],
      Address: '',
      Meta: null,
      Port: 8080,
      Weights: {
        Passing: 1,
        Warning: 1,
      },
      EnableTagOverride: false,
      Proxy: {
        Mode: '',
        MeshGateway: {},
        Expose: {},
      },
      Connect: {},
      PeerName: '',
    },
    Checks: [
      {
        Node: 'node-b',
        CheckID: 'serfHealth',
        Name: 'Serf Health Status',
        Status: 'passing',
        Notes: '',
        Output: 'Agent alive and reachable',
        ServiceID: '',
        ServiceName: '',
        ServiceTags: [],
        Type: '',
        Interval: '',
        Timeout: '',
        ExposedPort: 0,
        Definition: {},
      },
      {
        Node: 'node-b',
        CheckID: 'service:web-2',
        Name: 'HTTP GET /healthz',
        Status: 'critical',
        Notes: '',
        Output: 'Get "http://10.0.1.12:8080/healthz": dial tcp 10.0.1.12:8080: connect: connection refused',
        ServiceID: 'web-2',
        ServiceName: 'web',
        ServiceTags: ['v1', 'http'],
        Type: 'http',
        Interval: '10s',
        Timeout: '2s',
        ExposedPort: 0,
        Definition: {},
      },
    ],
  },
];

describe('fake Consul: the HTTP API', () => {
  let fake: FakeConsul;
  beforeEach(async () => {
    fake = await FakeConsul.start();
    seedFixtureWorld(fake);
  });
  afterEach(() => fake.close());

  it('answers /v1/health/service/web with the fixture body, field for field, in order', async () => {
    const answer = await get(fake, '/v1/health/service/web');
    expect(answer.status).toBe(200);
    expect(withoutIndexes(answer.json)).toEqual(FIXTURE_HEALTH_WEB);
    // Same key order as Consul writes (Port omitted when 0 comes after Meta, Kind first when set).
    expect(JSON.stringify(withoutIndexes(answer.json))).toBe(JSON.stringify(FIXTURE_HEALTH_WEB));
    expect(answer.headers.get('x-consul-index')).toMatch(/^[1-9]\d*$/);
    expect(answer.headers.get('x-consul-knownleader')).toBe('true');
    expect(answer.headers.get('x-consul-lastcontact')).toBe('0');
    expect(answer.headers.get('x-consul-effective-consistency')).toBe('leader');
    expect(answer.headers.get('x-consul-default-acl-policy')).toBe('allow');
  });

  it('answers /v1/catalog/services with the fixture body: every name with its tag union, consul included', async () => {
    const answer = await get(fake, '/v1/catalog/services');
    expect(answer.json).toEqual({ api: ['grpc', 'v2'], consul: [], redis: ['cache'], web: ['v1', 'http'] });
  });

  it('keeps only instances whose every check passes under ?passing (bare, true or 1)', async () => {
    for (const query of ['passing', 'passing=true', 'passing=1', 'passing=t']) {
      const answer = await get(fake, `/v1/health/service/web?${query}`);
      expect((answer.json as { Service: { ID: string } }[]).map((e) => e.Service.ID)).toEqual(['web-1']);
    }
    const all = await get(fake, '/v1/health/service/web?passing=false');
    expect((all.json as unknown[]).length).toBe(2);
    fake.setNodeStatus('node-a', 'warning');
    expect(await get(fake, '/v1/health/service/web?passing').then((a) => a.json)).toEqual([]);
  });

  it('omits Port when 0, writes Kind only when set, and answers [] (not 404) for an unknown service', async () => {
    fake.addInstance({ service: 'batch', address: '10.0.5.1' });
    fake.addInstance({
      service: 'web-sidecar-proxy',
      address: '10.0.1.11',
      port: 21000,
      kind: 'connect-proxy',
    });
    const batch = (await get(fake, '/v1/health/service/batch')).json as {
      Service: Record<string, unknown>;
    }[];
    expect(batch[0]?.Service).not.toHaveProperty('Port');
    expect(batch[0]?.Service).not.toHaveProperty('Kind');
    const proxy = (await get(fake, '/v1/health/service/web-sidecar-proxy')).json as {
      Service: Record<string, unknown>;
    }[];
    expect(Object.keys(proxy[0]?.Service ?? {})[0]).toBe('Kind');
    expect(proxy[0]?.Service.Kind).toBe('connect-proxy');
    const unknown = await get(fake, '/v1/health/service/nope');
    expect(unknown.status).toBe(200);
    expect(unknown.json).toEqual([]);
  });

  it('answers parameter errors as Consul does, in plain text', async () => {
    const cases: [string, number, string][] = [
      ['/v1/health/service/web?index=abc', 400, 'Invalid index'],
      ['/v1/health/service/web?index=1&wait=5x', 400, 'Invalid wait time'],
      [
        '/v1/catalog/services?stale&consistent',
        400,
        'Cannot specify ?stale with ?consistent, conflicting semantics.',
      ],
      ['/v1/health/service/web?passing=maybe', 400, 'Invalid value for ?passing'],
      ['/v1/health/service/web?dc=mars', 500, 'No path to datacenter'],
      ['/v1/health/service/', 400, 'Missing service name'],
      ['/v1/nope', 404, 'Invalid URL path: not a recognized HTTP API endpoint'],
    ];
    for (const [path, status, text] of cases) {
      const answer = await get(fake, path);
      expect([path, answer.status, answer.text, answer.headers.get('content-type')]).toEqual([
        path,
        status,
        text,
        'text/plain; charset=utf-8',
      ]);
    }
    const wrongMethod = await fetch(`${fake.url}/v1/catalog/services`, { method: 'DELETE' });
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('GET');
    await wrongMethod.text();
  });

  it('serves several datacenters through ?dc and lists them', async () => {
    const two = await FakeConsul.start({ datacenters: ['dc1', 'dc2'] });
    try {
      two.addInstance({ service: 'web', address: '10.0.1.1', port: 80 });
      two.addInstance({ service: 'web', address: '10.1.1.1', port: 80, datacenter: 'dc2' });
      expect((await get(two, '/v1/catalog/datacenters')).json).toEqual(['dc1', 'dc2']);
      const inDc2 = (await get(two, '/v1/health/service/web?dc=dc2')).json as {
        Node: Record<string, string>;
      }[];
      expect(inDc2.map((e) => [e.Node.Address, e.Node.Datacenter])).toEqual([['10.1.1.1', 'dc2']]);
      const local = (await get(two, '/v1/health/service/web')).json as { Node: Record<string, string> }[];
      expect(local.map((e) => e.Node.Datacenter)).toEqual(['dc1']);
      expect(
        ((await get(two, '/v1/agent/self')).json as { Config: { Datacenter: string } }).Config.Datacenter,
      ).toBe('dc1');
    } finally {
      await two.close();
    }
  });

  it('enforces ACL tokens: unknown secret 403 "ACL not found", reads filtered to what a token may see', async () => {
    fake.setToken('s3cret-web', { servicePrefixes: ['web'], agentRead: false });
    fake.acl.defaultPolicy = 'deny';
    const unknown = await get(fake, '/v1/catalog/services', { 'X-Consul-Token': 'wrong' });
    expect([unknown.status, unknown.text]).toEqual([403, 'ACL not found']);

    const filtered = await get(fake, '/v1/catalog/services', { 'X-Consul-Token': 's3cret-web' });
    expect(filtered.json).toEqual({ web: ['v1', 'http'] });
    expect(filtered.headers.get('x-consul-results-filtered-by-acls')).toBe('true');
    expect(filtered.headers.get('x-consul-default-acl-policy')).toBe('deny');
    const bearer = await get(fake, '/v1/health/service/redis', { Authorization: 'Bearer s3cret-web' });
    expect(bearer.json).toEqual([]);
    const viaQuery = await get(fake, '/v1/health/service/web?token=s3cret-web');
    expect((viaQuery.json as unknown[]).length).toBe(2);

    const anonymous = await get(fake, '/v1/catalog/services');
    expect(anonymous.json).toEqual({});
    const self = await get(fake, '/v1/agent/self', { 'X-Consul-Token': 's3cret-web' });
    expect(self.status).toBe(403);
    expect(self.text).toMatch(
      /^Permission denied: token with AccessorID '[0-9a-f-]+' lacks permission 'agent:read'/,
    );
  });

  it('takes registrations and deregistrations over PUT /v1/catalog/register and /deregister', async () => {
    const put = (path: string, body: unknown) =>
      fetch(`${fake.url}${path}`, { method: 'PUT', body: JSON.stringify(body) }).then(async (r) => [
        r.status,
        await r.text(),
      ]);
    expect(
      await put('/v1/catalog/register', {
        Node: 'ext-1',
        Address: '192.0.2.10',
        NodeMeta: { zone: 'z1' },
        Service: {
          ID: 'pay-1',
          Service: 'payments',
          Port: 443,
          Tags: ['version=v2'],
          Meta: { protocol: 'http2' },
        },
        Check: { CheckID: 'pay-1-tcp', Name: 'tcp', ServiceID: 'pay-1', Status: 'warning' },
      }),
    ).toEqual([200, 'true']);
    const entries = (await get(fake, '/v1/health/service/payments')).json as {
      Node: { Meta: unknown };
      Service: { Port: number; Meta: unknown };
      Checks: { CheckID: string; Status: string }[];
    }[];
    expect(entries).toHaveLength(1);
    expect(entries[0]?.Node.Meta).toEqual({ zone: 'z1' });
    expect(entries[0]?.Service.Port).toBe(443);
    // An external node has no agent, hence no serfHealth.
    expect(entries[0]?.Checks.map((c) => [c.CheckID, c.Status])).toEqual([['pay-1-tcp', 'warning']]);

    expect(await put('/v1/catalog/deregister', { Node: 'ext-1', ServiceID: 'pay-1' })).toEqual([200, 'true']);
    expect((await get(fake, '/v1/health/service/payments')).json).toEqual([]);
    expect((await get(fake, '/v1/catalog/services')).json).not.toHaveProperty('payments');
  });

  it('answers /v1/health/state/:state with the checks in that state', async () => {
    const critical = (await get(fake, '/v1/health/state/critical')).json as {
      CheckID: string;
      ServiceName: string;
    }[];
    expect(critical.map((c) => [c.CheckID, c.ServiceName])).toEqual([['service:web-2', 'web']]);
    const any = (await get(fake, '/v1/health/state/any')).json as unknown[];
    expect(any.length).toBeGreaterThan(critical.length);
  });
});
