import { REVIEWS_NODE, seedBookinfo, startHarness, type Harness } from './harness';

describe('admin listener', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness(['files', 'consul']);
  });
  afterEach(() => h.close());

  const get = async (path: string) => {
    const response = await fetch(`${h.admin}${path}`);
    return { status: response.status, body: await response.text() };
  };

  it('lists its endpoints on /, as text for curl and as JSON for a client that asks for it', async () => {
    const text = await get('/');
    expect(text.status).toBe(200);
    expect(text.body).toMatch(/^GET \/debug\/proxies +every client/m);
    expect(text.body).toMatch(/^GET \/debug\/version +version, git commit/m);
    const json = await fetch(`${h.admin}/`, { headers: { accept: 'application/json' } });
    const { endpoints } = (await json.json()) as { endpoints: { method: string; path: string }[] };
    expect(endpoints.map((e) => e.path)).toEqual(
      expect.arrayContaining([
        '/',
        '/healthz',
        '/readyz',
        '/metrics',
        '/debug/registry',
        '/debug/config/:proxyId',
      ]),
    );
  });

  it('says which build runs on /debug/version and in sextant_build_info', async () => {
    const { status, body } = await get('/debug/version');
    expect(status).toBe(200);
    const version = JSON.parse(body) as Record<string, unknown>;
    expect(version).toEqual({
      version: '0.1.0',
      commit: 'unknown',
      node: process.version,
      startedAt: expect.any(String),
      uptimeSeconds: expect.any(Number),
    });
    expect(Date.parse(String(version.startedAt))).toBeLessThanOrEqual(Date.now());
    expect(Date.now() - Date.parse(String(version.startedAt))).toBeLessThan(3_600_000);
    expect((await get('/metrics')).body).toContain(
      `sextant_build_info{version="0.1.0",commit="unknown",node="${process.version}"} 1`,
    );
  });

  it('is healthy at once, and ready only when every adapter has synced', async () => {
    expect((await get('/healthz')).status).toBe(200);
    const waiting = await get('/readyz');
    expect(waiting.status).toBe(503);
    expect(JSON.parse(waiting.body).waitingFor.map((a: { name: string }) => a.name)).toEqual([
      'files',
      'consul',
    ]);
    h.sink.setStatus('ready');
    h.registry.sink('consul').setStatus('degraded', 'connection refused');
    const still = JSON.parse((await get('/readyz')).body);
    expect(still).toEqual({
      ready: false,
      waitingFor: [{ name: 'consul', status: 'degraded', detail: 'connection refused' }],
    });
    h.registry.sink('consul').setStatus('ready');
    expect((await get('/readyz')).status).toBe(200);
  });

  it('shows services, adapter status with age and detail, and conflicts on /debug/registry', async () => {
    seedBookinfo(h.sink);
    const consul = h.registry.sink('consul');
    consul.upsertService(
      {
        hostname: 'reviews.default.svc.cluster.local',
        ports: [{ name: 'http', port: 9080, protocol: 'http' }],
      },
      [{ address: '10.5.0.1', port: 9080, portName: 'http' }],
    );
    h.sink.setStatus('ready');
    consul.setStatus('ready');
    consul.setStatus('degraded', 'No cluster leader');
    const view = JSON.parse((await get('/debug/registry')).body);
    expect(view.synced).toBe(true);
    expect(view.version).toMatch(/^[0-9a-f]{16}$/);
    expect(view.adapters[1]).toMatchObject({
      name: 'consul',
      status: 'degraded',
      detail: 'No cluster leader',
      synced: true,
      services: 1,
    });
    expect(typeof view.adapters[1].lastReportAgeSeconds).toBe('number');
    expect(view.conflicts).toEqual([
      {
        hostname: 'reviews.default.svc.cluster.local',
        winner: 'files',
        differences: [{ adapter: 'consul', fields: ['addresses'] }],
        duplicateInstances: 0,
      },
    ]);
    const reviews = view.services.find(
      (s: { hostname: string }) => s.hostname === 'reviews.default.svc.cluster.local',
    );
    expect(
      reviews.instances.map((i: { address: string; origin: string }) => `${i.address}@${i.origin}`),
    ).toEqual(['10.0.1.11@files', '10.0.1.12@files', '10.5.0.1@consul']);
    const one = JSON.parse((await get('/debug/registry?hostname=ratings.default.svc.cluster.local')).body);
    expect(one.services.map((s: { hostname: string }) => s.hostname)).toEqual([
      'ratings.default.svc.cluster.local',
    ]);
  });

  it('shows everything a proxy gets over v1 on /debug/config/:proxyId', async () => {
    seedBookinfo(h.sink);
    h.sink.setStatus('ready');
    h.registry.sink('consul').setStatus('ready');
    const config = JSON.parse((await get(`/debug/config/${encodeURIComponent(REVIEWS_NODE)}`)).body);
    expect(config.proxy).toMatchObject({
      type: 'sidecar',
      ip: '10.0.1.11',
      domain: 'default.svc.cluster.local',
    });
    expect(Object.keys(config.v1.routes)).toEqual(['9080', '9090']);
    expect(config.v1.clusters.clusters.map((c: { name: string }) => c.name)).toContain('in.9080');
    expect(config.v1.endpoints['reviews.default.svc.cluster.local|http'].hosts).toHaveLength(2);
    expect((await get('/debug/config/sidecar~bad~x~y')).status).toBe(404);
  });

  it('exports Prometheus metrics about adapters and the mesh', async () => {
    seedBookinfo(h.sink);
    h.sink.setStatus('ready');
    h.registry.sink('consul').setStatus('degraded', 'down');
    const text = (await get('/metrics')).body;
    expect(text).toContain('sextant_adapter_status{adapter="consul",status="degraded"} 1');
    expect(text).toContain('sextant_adapter_status{adapter="files",status="ready"} 1');
    expect(text).toMatch(/sextant_adapter_last_report_age_seconds\{adapter="files"\} \d/);
    expect(text).toContain('process_resident_memory_bytes');
  });
});
