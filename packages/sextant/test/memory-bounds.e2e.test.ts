import fs from 'node:fs';
import path from 'node:path';
import { Client, credentials, Metadata } from '@grpc/grpc-js';
import { envoyProtos } from '@sextant/envoy';
import { freePort } from '@sextant/testkit';
import { startDaemon, tempDir, type DaemonProcess } from './daemon-process';

/**
 * Requests that are small, valid and answered 200, and that once made the daemon hold memory for
 * ever (a new route table per invented domain, a cluster set per invented IP, names cached per
 * stream and kept after it closed). The daemon runs on a 1,000-service mesh with a heap far too
 * small for what the old caches held after a few hundred of them: it must answer them all, stay
 * up, and hold no more afterwards than a budget's worth.
 */

const SERVICES = 1000;
const HEAP_MB = 160;
const ROUTES = 'type.googleapis.com/envoy.config.route.v3.RouteConfiguration';

function servicesFile(): string {
  const lines = ['services:'];
  for (let i = 0; i < SERVICES; i += 1) {
    lines.push(
      `  - hostname: svc-${i}.ns-${i % 20}.svc.cluster.local`,
      '    ports: [{ name: http, port: 8080, protocol: http }]',
      `    addresses: [10.1.${i >> 8}.${i & 255}]`,
      '    instances:',
      `      - { address: 10.2.${i >> 8}.${i & 255}, port: 8080, labels: { version: v1 } }`,
      `      - { address: 10.3.${i >> 8}.${i & 255}, port: 8080, labels: { version: v2 } }`,
    );
  }
  return `${lines.join('\n')}\n`;
}

async function heapUsedMiB(daemon: DaemonProcess): Promise<number> {
  const text = await (await fetch(`${daemon.admin}/metrics`)).text();
  const bytes = Number(/^nodejs_heap_size_used_bytes (\d+(?:\.\d+)?)/m.exec(text)?.[1]);
  return bytes / 1024 / 1024;
}

/** Runs `count` requests, `concurrency` at a time; every answer must be 200 or 304. */
async function flood(count: number, concurrency: number, request: (i: number) => Promise<Response>) {
  let next = 0;
  const statuses = new Map<number, number>();
  const worker = async () => {
    while (next < count) {
      const i = next;
      next += 1;
      const response = await request(i);
      await response.arrayBuffer();
      statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return Object.fromEntries(statuses);
}

const post = (daemon: DaemonProcess, noun: string, body: object) =>
  fetch(`${daemon.discovery}/v3/discovery:${noun}`, { method: 'POST', body: JSON.stringify(body) });

/** Opens an ADS stream, asks for route table 8080 as `node`, waits for the answer, and hangs up. */
function shortStream(client: Client, node: string): Promise<void> {
  const protos = envoyProtos();
  return new Promise((resolve, reject) => {
    const call = client.makeBidiStreamRequest(
      '/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources',
      (request: object) =>
        Buffer.from(protos.discoveryRequest.encode(protos.discoveryRequest.fromObject(request)).finish()),
      (bytes: Buffer) => bytes,
      new Metadata(),
      { deadline: Date.now() + 20_000 },
    );
    call.on('data', () => {
      call.cancel();
      resolve();
    });
    call.on('error', (error: { code?: number }) => (error.code === 1 ? resolve() : reject(error)));
    call.write({ node: { id: node }, type_url: ROUTES, resource_names: ['8080'] });
  });
}

describe('memory stays bounded whatever clients send', () => {
  let daemon: DaemonProcess;
  let xds: string;

  beforeAll(async () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'services.yaml'), servicesFile());
    xds = `127.0.0.1:${await freePort()}`;
    daemon = await startDaemon(
      dir,
      [
        'listen: { discovery: "${DISCOVERY}", admin: "${ADMIN}", xds: "' + xds + '" }',
        'limits: { renderCache: 48MiB }',
        'log: { level: warn }',
        'adapters:',
        '  - type: file',
        '    path: services.yaml',
        '',
      ].join('\n'),
      [],
      { nodeOptions: [`--max-old-space-size=${HEAP_MB}`] },
    );
    // Ready: the mesh is loaded and served.
    for (let tries = 0; tries < 300; tries += 1) {
      if ((await fetch(`${daemon.admin}/readyz`)).ok) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }, 60_000);

  afterAll(async () => {
    await daemon?.terminate();
  });

  it('serves thousands of invented domains, IPs, subsets and streams on a heap the old caches overflowed', async () => {
    // Warm the ordinary answers, then note the heap.
    await post(daemon, 'routes', { node: { id: 'sidecar~10.2.0.1~svc-1~ns-1.svc.cluster.local' } });
    const before = await heapUsedMiB(daemon);

    // v3 RDS, each from a new proxy domain (1.45 MB each in the old caches: ~1,500 of them OOM'd 768 MB).
    expect(
      await flood(1500, 8, (i) =>
        post(daemon, 'routes', {
          node: { id: `sidecar~10.9.${i >> 8}.${i & 255}~x-${i}~tenant-${i}.example.org` },
          resource_names: ['8080'],
        }),
      ),
    ).toEqual({ 200: 1500 });
    // v1 RDS, each from a new domain.
    expect(
      await flood(1500, 8, (i) =>
        fetch(`${daemon.discovery}/v1/routes/8080/c/sidecar~10.9.${i >> 8}.${i & 255}~x-${i}~d-${i}.example`),
      ),
    ).toEqual({ 200: 1500 });
    // v3 CDS, each from a new proxy IP.
    expect(
      await flood(1500, 8, (i) =>
        post(daemon, 'clusters', {
          node: { id: `sidecar~10.200.${i >> 8}.${i & 255}~x~ns-0.svc.cluster.local` },
        }),
      ),
    ).toEqual({ 200: 1500 });
    // EDS naming 100,000 distinct subset keys, 2,000 per request.
    expect(
      await flood(50, 4, (i) =>
        post(daemon, 'endpoints', {
          node: { id: 'sidecar~10.2.0.1~svc-1~ns-1.svc.cluster.local' },
          resource_names: Array.from(
            { length: 2000 },
            (_, j) => `svc-${j % SERVICES}.ns-${j % 20}.svc.cluster.local|http|version=v${i * 2000 + j}`,
          ),
        }),
      ),
    ).toEqual({ 200: 50 });
    // Short gRPC streams, each from a new domain.
    const client = new Client(xds, credentials.createInsecure());
    try {
      for (let i = 0; i < 300; i += 1)
        await shortStream(client, `sidecar~10.8.1.${i & 255}~g-${i}~grpc-${i}.example`);
    } finally {
      client.close();
    }

    expect(daemon.child.exitCode).toBeNull();
    expect((await fetch(`${daemon.admin}/healthz`)).ok).toBe(true);
    const after = await heapUsedMiB(daemon);
    // What the requests cost is bounded by the render cache's budget (48 MiB here), not by their number.
    expect(after - before).toBeLessThan(64);
  }, 240_000);
});
