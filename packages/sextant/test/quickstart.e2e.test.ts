import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { Client, credentials, Metadata } from '@grpc/grpc-js';
import { envoyProtos } from '@sextant/envoy';
import { freePort, waitFor } from '@sextant/testkit';
import { sextantCommand, tempDir } from './daemon-process';

/**
 * `sextant` with no --config: the built-in quickstart, over every API a new user tries (with the
 * single-file binary, from its embedded copy of the example).
 */

const NODE = 'sidecar~10.0.1.11~reviews-v1.default~default.svc.cluster.local';
const CLUSTER_TYPE = 'type.googleapis.com/envoy.config.cluster.v3.Cluster';
const REVIEWS_OUTBOUND = 'outbound|9080||reviews.default.svc.cluster.local';

/** Cluster names one SotW ADS request for CDS receives. */
async function adsClusterNames(address: string): Promise<string[]> {
  const protos = envoyProtos();
  const client = new Client(address, credentials.createInsecure());
  const call = client.makeBidiStreamRequest(
    '/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources',
    (request: Record<string, unknown>) =>
      Buffer.from(protos.discoveryRequest.encode(protos.discoveryRequest.fromObject(request)).finish()),
    (bytes: Buffer) => bytes,
    new Metadata(),
    { deadline: Date.now() + 10_000 },
  );
  try {
    const response = new Promise<Buffer>((resolve, reject) => {
      call.once('data', resolve);
      call.once('error', reject);
    });
    call.write({ node: { id: NODE }, type_url: CLUSTER_TYPE });
    const decoded = protos.discoveryResponse.toObject(protos.discoveryResponse.decode(await response)) as {
      resources: { type_url: string; value: Uint8Array }[];
    };
    return decoded.resources.map(
      (any) => (protos.messageType(any.type_url).decode(any.value) as unknown as { name: string }).name,
    );
  } finally {
    call.on('error', () => undefined); // the cancellation below ends the call with CANCELLED
    call.cancel();
    client.close();
  }
}

describe('the built-in quickstart', () => {
  let child: ChildProcess;
  let output = '';
  let discovery: string;
  let xds: string;

  beforeAll(async () => {
    const [discoveryPort, adminPort] = [await freePort(), await freePort()];
    discovery = `http://127.0.0.1:${discoveryPort}`;
    child = spawn(...sextantCommand([]), {
      cwd: tempDir(),
      env: {
        ...process.env,
        SEXTANT_DISCOVERY: `127.0.0.1:${discoveryPort}`,
        SEXTANT_ADMIN: `127.0.0.1:${adminPort}`,
        SEXTANT_XDS: '127.0.0.1:0',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await waitFor(() => output.includes('Ctrl-C stops'), {
      timeoutMs: 30_000,
      message: () => `no banner:\n${output}`,
    });
    xds = /v3 xDS \(gRPC, ADS\) listens on (\S+):/.exec(output)?.[1] ?? '';
    await waitFor(
      async () => (await fetch(`http://127.0.0.1:${adminPort}/readyz`).catch(() => undefined))?.ok === true,
      { timeoutMs: 30_000, message: () => `quickstart never ready:\n${output}` },
    );
  }, 90_000);

  afterAll(async () => {
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  });

  it('names the example files it runs on, and they are there to read and edit', () => {
    const services = /Edit (\S+services\.yaml) and the answers change/.exec(output)?.[1];
    const bootstrap = /see (\S+envoy-v3-ads\.yaml)\./.exec(output)?.[1];
    expect(services && fs.readFileSync(services, 'utf8')).toContain('reviews.default.svc.cluster.local');
    expect(bootstrap && fs.readFileSync(bootstrap, 'utf8')).toContain('ads_config');
  });

  it('answers v1 SDS', async () => {
    const response = await fetch(
      `${discovery}/v1/registration/reviews.default.svc.cluster.local|http|version=v2`,
    );
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ hosts: [{ ip_address: '10.0.1.12', port: 9080 }] });
  });

  it('answers v3 REST-JSON discovery', async () => {
    const response = await fetch(`${discovery}/v3/discovery:clusters`, {
      method: 'POST',
      body: JSON.stringify({ node: { id: NODE } }),
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { resources: { name: string }[] };
    expect(body.resources.map((r) => r.name)).toContain(REVIEWS_OUTBOUND);
  });

  it('answers v3 xDS over gRPC (ADS)', async () => {
    expect(xds).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(await adsClusterNames(xds)).toContain(REVIEWS_OUTBOUND);
  });
});
