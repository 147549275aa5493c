import { waitFor } from '@sextant/testkit';
import pino from 'pino';
import {
  CLUSTER,
  ENDPOINT,
  ENVOY_NODE,
  getJson,
  GRPC_NODE,
  SIDECAR,
  seedMesh,
  startXdsHarness,
  type XdsHarness,
} from './xds-harness';

type Client = Record<string, unknown> & {
  kind: string;
  status: string;
  node: string | null;
  types: Record<
    string,
    { state: string; lastSent?: { version: string }; lastNack?: { message: string } | null }
  >;
};

const REVIEWS_KEY = 'reviews.default.svc.cluster.local|http';

async function clients(h: XdsHarness, node?: string): Promise<Client[]> {
  const query = node === undefined ? '' : `?node=${encodeURIComponent(node)}`;
  return ((await getJson(`${h.admin}/debug/proxies${query}`)).body as { clients: Client[] }).clients;
}

/** Waits until /debug/proxies lists a client that `match` accepts, and returns it. */
async function waitForClient(
  h: XdsHarness,
  match: (client: Client) => boolean,
  message: string,
): Promise<Client> {
  let found: Client | undefined;
  await waitFor(
    async () => {
      found = (await clients(h)).find(match);
      return found !== undefined;
    },
    { message, timeoutMs: 15_000 },
  );
  return found as Client;
}

async function metricsText(h: XdsHarness): Promise<string> {
  return (await fetch(`${h.admin}/metrics`)).text();
}

function addReviewsInstance(h: XdsHarness, address: string): void {
  h.sink.upsertService(
    {
      hostname: 'reviews.default.svc.cluster.local',
      ports: [{ name: 'http', port: 9080, protocol: 'http' }],
      addresses: ['10.0.0.31'],
    },
    [
      { address: '10.0.1.11', port: 9080, portName: 'http', labels: { version: 'v1' } },
      { address, port: 9080, portName: 'http', labels: { version: 'v2' } },
    ],
  );
  h.publish();
}

describe('/debug/proxies lists every client', () => {
  let h: XdsHarness;
  let lines: Record<string, unknown>[];
  let clock: number;

  beforeEach(async () => {
    lines = [];
    clock = Date.now();
    const logger = pino(
      { level: 'info' },
      { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) },
    );
    h = await startXdsHarness({
      logger,
      now: () => clock,
      fleet: { retentionMs: 600_000, maxTracked: 3 },
    });
    seedMesh(h.sink);
    h.sink.setStatus('ready');
  });
  afterEach(() => h.close());

  it('shows an ADS stream SYNCED once it ACKs, then NACKED with the message (cut) once it rejects', async () => {
    const ads = h.sotw();
    ads.send({ node: ENVOY_NODE, type_url: CLUSTER });
    const first = await ads.next();
    const before = await waitForClient(h, (c) => c.node === SIDECAR, 'the stream was never listed');
    expect(before).toMatchObject({ kind: 'envoy', status: 'connected', types: { cds: { state: 'STALE' } } });

    ads.send({ type_url: CLUSTER, version_info: first.version_info, response_nonce: first.nonce });
    const synced = await waitForClient(
      h,
      (c) => c.node === SIDECAR && c.types.cds?.state === 'SYNCED',
      'the ACK never made the stream SYNCED',
    );
    expect(synced).toMatchObject({
      kind: 'envoy',
      cluster: 'reviews',
      address: expect.stringMatching(/^127\.0\.0\.1:\d+$/),
      types: {
        cds: { lastSent: { version: first.version_info }, lastAcked: { version: first.version_info } },
      },
    });

    // A new service: a new CDS response, which the client rejects with a very long message.
    h.sink.upsertService(
      {
        hostname: 'details.default.svc.cluster.local',
        ports: [{ name: 'http', port: 9080, protocol: 'http' }],
      },
      [{ address: '10.0.4.1', port: 9080, portName: 'http' }],
    );
    h.publish();
    const second = await ads.next();
    const reason = `cluster details: bad ${'x'.repeat(5000)}`;
    ads.send({
      type_url: CLUSTER,
      version_info: first.version_info,
      response_nonce: second.nonce,
      error_detail: { code: 3, message: reason },
    });
    const nacked = await waitForClient(
      h,
      (c) => c.node === SIDECAR && c.types.cds?.state === 'NACKED',
      'the NACK never made the stream NACKED',
    );
    const message = nacked.types.cds?.lastNack?.message ?? '';
    expect(message.startsWith('cluster details: bad xxx')).toBe(true);
    expect(message.length).toBeLessThan(1100);
    expect(message).toMatch(/more characters\)$/);
    const metrics = await metricsText(h);
    expect(metrics).toMatch(/sextant_xds_pushes_total\{type="cds",outcome="acked"\} 1/);
    expect(metrics).toMatch(/sextant_xds_pushes_total\{type="cds",outcome="nacked"\} 1/);
  });

  it('tells Envoy from proxyless gRPC clients, and counts connected clients by kind', async () => {
    const envoy = h.sotw();
    envoy.send({ node: ENVOY_NODE, type_url: CLUSTER });
    await envoy.next();
    const grpc = h.sotw();
    grpc.send({ node: GRPC_NODE, type_url: CLUSTER });
    await grpc.next();
    // Istio's proxyless gRPC bootstrap: no user agent the server knows, GENERATOR metadata.
    const istioGrpc = h.sotw();
    istioGrpc.send({
      node: { id: 'istio-grpc', metadata: { fields: { GENERATOR: { stringValue: 'grpc' } } } },
      type_url: CLUSTER,
    });
    await istioGrpc.next();
    await waitFor(async () => (await clients(h)).length === 3, { message: 'not every stream was listed' });
    const kinds = Object.fromEntries((await clients(h)).map((c) => [c.node, c.kind]));
    expect(kinds).toEqual({ [SIDECAR]: 'envoy', [GRPC_NODE.id]: 'grpc', 'istio-grpc': 'grpc' });
    const metrics = await metricsText(h);
    expect(metrics).toMatch(/sextant_clients\{kind="envoy"\} 1/);
    expect(metrics).toMatch(/sextant_clients\{kind="grpc"\} 2/);
  });

  it('lists v1 and v3 REST pollers with kind, node, last seen and the version each type was served', async () => {
    const v1 = await fetch(`${h.discovery}/v1/clusters/reviews/${SIDECAR}`, {
      headers: { 'user-agent': 'envoy/1.4.0' },
    });
    expect(v1.status).toBe(200);
    const v3 = await fetch(`${h.discovery}/v3/discovery:clusters`, {
      method: 'POST',
      body: JSON.stringify({ node: { id: 'rest-node-1', cluster: 'ratings' } }),
    });
    expect(v3.status).toBe(200);
    const version = h.registry.current()?.version;
    const listed = await clients(h);
    expect(listed).toEqual(
      [
        expect.objectContaining({
          kind: 'rest-v1',
          status: 'polling',
          node: SIDECAR,
          cluster: 'reviews',
          agent: 'envoy/1.4.0',
          address: '127.0.0.1',
          lastSeen: new Date(clock).toISOString(),
          types: {
            cds: { state: 'SYNCED', lastSent: expect.objectContaining({ version, snapshot: version }) },
          },
        }),
        expect.objectContaining({
          kind: 'rest-v3',
          node: 'rest-node-1',
          cluster: 'ratings',
          types: { cds: expect.objectContaining({ state: 'SYNCED' }) },
        }),
      ].reverse(),
    );

    // The mesh moves on: the v1 poller is STALE until it polls again (an answer from the memo).
    addReviewsInstance(h, '10.0.1.99');
    const [stale] = await clients(h, SIDECAR);
    expect(stale?.types.cds?.state).toBe('STALE');
    clock += 5000;
    await fetch(`${h.discovery}/v1/clusters/reviews/${SIDECAR}`);
    // The same URL again is answered from the memo, and is seen too.
    clock += 1000;
    await fetch(`${h.discovery}/v1/clusters/reviews/${SIDECAR}`);
    const [fresh] = await clients(h, SIDECAR);
    expect(fresh).toMatchObject({
      lastSeen: new Date(clock).toISOString(),
      types: { cds: { state: 'SYNCED' } },
    });
    expect(lines.filter((l) => l.msg === `rest-v1 client ${SIDECAR} first seen`)).toHaveLength(1);
  });

  it('keeps at most maxTracked pollers, forgetting the least recently seen', async () => {
    // Pollers are reordered at most every 10 s: the clock moves on more than that between polls.
    const poll = async (node: string, advanceMs = 11_000) => {
      const response = await fetch(`${h.discovery}/v1/listeners/c/${node}`);
      expect(response.status).toBe(200);
      clock += advanceMs;
    };
    await poll('node-a');
    await poll('node-b');
    await poll('node-c');
    await poll('node-a'); // a is now the most recently seen; b the least
    await poll('node-d');
    expect((await clients(h)).map((c) => c.node)).toEqual(['node-d', 'node-a', 'node-c']);
    for (let i = 0; i < 20; i += 1) await poll(`invented-${i}`, 1);
    expect(await clients(h)).toHaveLength(3);
    expect(lines.filter((l) => String(l.msg).startsWith('tracking 3 REST pollers'))).toHaveLength(1);
  });

  it('lists a closed stream as disconnected for the retention window, then forgets it', async () => {
    const ads = h.sotw();
    ads.send({ node: ENVOY_NODE, type_url: CLUSTER });
    await ads.next();
    await waitForClient(h, (c) => c.node === SIDECAR, 'the stream was never listed');
    ads.close();
    const gone = await waitForClient(
      h,
      (c) => c.node === SIDECAR && c.status === 'disconnected',
      'the closed stream was never listed as disconnected',
    );
    expect(gone).toMatchObject({ kind: 'envoy', disconnectedAt: new Date(clock).toISOString() });
    clock += 599_000;
    expect((await clients(h)).map((c) => c.status)).toEqual(['disconnected']);
    clock += 2_000;
    expect(await clients(h)).toEqual([]);
  });

  it('logs connections and disconnections at info, with node, kind and address', async () => {
    const ads = h.sotw();
    ads.send({ node: GRPC_NODE, type_url: CLUSTER });
    await ads.next();
    ads.close();
    await waitFor(() => lines.some((l) => l.msg === `grpc client ${GRPC_NODE.id} disconnected`), {
      message: 'no disconnection logged',
      timeoutMs: 15_000,
    });
    const connected = lines.find((l) => l.msg === `grpc client ${GRPC_NODE.id} connected`);
    expect(connected).toMatchObject({
      level: 30,
      node: GRPC_NODE.id,
      kind: 'grpc',
      address: expect.stringMatching(/^127\.0\.0\.1:\d+$/),
      agent: 'gRPC Node Pure JS 1.14.1',
    });
  });

  it('observes sextant_proxy_convergence_seconds once every subscribed stream has ACKed an endpoint change', async () => {
    const ads = h.sotw();
    ads.send({ node: ENVOY_NODE, type_url: ENDPOINT, resource_names: [REVIEWS_KEY] });
    const first = await ads.next();
    ads.send({ type_url: ENDPOINT, response_nonce: first.nonce, resource_names: [REVIEWS_KEY] });
    await waitForClient(h, (c) => c.types.eds?.state === 'SYNCED', 'the first EDS response was never ACKed');
    expect(await metricsText(h)).toMatch(/sextant_proxy_convergence_seconds_count 0/);

    addReviewsInstance(h, '10.0.1.77');
    const second = await ads.next();
    expect(JSON.stringify(second.resources)).toContain('10.0.1.77');
    // Sent, not yet acknowledged: no sample.
    expect(await metricsText(h)).toMatch(/sextant_proxy_convergence_seconds_count 0/);
    clock += 300;
    ads.send({ type_url: ENDPOINT, response_nonce: second.nonce, resource_names: [REVIEWS_KEY] });
    await waitFor(async () => /sextant_proxy_convergence_seconds_count 1/.test(await metricsText(h)), {
      message: 'no convergence sample after the ACK',
      timeoutMs: 15_000,
    });
    const text = await metricsText(h);
    expect(text).toMatch(/sextant_proxy_convergence_seconds_bucket\{le="0.25"\} 0/);
    expect(text).toMatch(/sextant_proxy_convergence_seconds_bucket\{le="0.5"\} 1/);
  });
});
