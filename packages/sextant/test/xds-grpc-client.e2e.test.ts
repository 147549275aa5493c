import fs from 'node:fs';
import path from 'node:path';
import { waitFor } from '@sextant/testkit';
import { startFileMesh, tempDir, type DaemonProcess } from './daemon-process';
import { startGrpcBackend, type GrpcBackend } from './grpc-backend';
import { XdsClientProcess, type RpcResult } from './xds-client-process';

/**
 * The real gRPC xDS client (grpc-js-xds) against the built daemon: it dials
 * `xds:///echo.e2e.local:50051`, learns listener, cluster and endpoints from Sextant over ADS,
 * and calls two real gRPC backends registered in the file adapter's services file.
 */

const TARGET = 'echo.e2e.local:50051';
const NODE_ID = 'grpc-e2e-client';

function services(ports: readonly number[]): string {
  return [
    'services:',
    '  - hostname: echo.e2e.local',
    '    ports: [{ name: grpc, port: 50051, protocol: grpc }]',
    '    instances:',
    ...ports.map((port) => `      - { address: 127.0.0.1, port: ${port} }`),
    '',
  ].join('\n');
}

/** One RPC with a deadline (a client without its listener waits for resolution until then): who answered. */
async function who(client: XdsClientProcess): Promise<string> {
  const result = await client.call(TARGET, { deadlineMs: 2000 });
  if (!result.ok) throw new Error(`RPC failed with status ${result.code}: ${result.details}`);
  return result.response;
}

interface StreamView {
  node: string | null;
  kind: string;
  status: string;
  types: Record<string, { lastNack: unknown; state: string; lastAcked: { version: string } | null }>;
}

describe('a proxyless gRPC client (grpc-js-xds) against the daemon', () => {
  let daemon: DaemonProcess;
  let servicesFile: string;
  let client: XdsClientProcess;
  const backends: GrpcBackend[] = [];

  /**
   * The setup, awaited before cleaning up: a beforeAll that runs out of time on a loaded machine
   * leaves it running, and what it starts afterwards would otherwise outlive the tests.
   */
  let setup: Promise<void> | undefined;

  beforeAll(() => {
    setup = (async () => {
      backends.push(await startGrpcBackend('a'), await startGrpcBackend('b'));
      const dir = tempDir();
      servicesFile = path.join(dir, 'services.yaml');
      fs.writeFileSync(servicesFile, services(backends.map((b) => b.port)));
      daemon = await startFileMesh(dir);
      client = XdsClientProcess.start({ xdsServer: `127.0.0.1:${daemon.xdsPort}`, nodeId: NODE_ID });
    })();
    return setup;
  }, 60_000);

  afterAll(async () => {
    await setup?.catch(() => undefined);
    await client?.close();
    if (daemon && daemon.child.exitCode === null) await daemon.terminate();
    await Promise.all(backends.map((b) => b.stop()));
  }, 60_000);

  it('reaches both backends through the listener, cluster and endpoints Sextant serves', async () => {
    const seen = new Set<string>();
    let last: RpcResult | undefined;
    await waitFor(
      async () => {
        // Until the client process has loaded and resolved the target (seconds on a loaded
        // machine), RPCs end at their deadline waiting for name resolution: not yet, not a failure.
        last = await client.call(TARGET, { deadlineMs: 2000 });
        if (last.ok) seen.add(last.response);
        return seen.size === 2;
      },
      {
        timeoutMs: 20_000,
        message: () =>
          `RPCs reached only ${[...seen].join(', ') || 'nothing'} (last: ${JSON.stringify(last)})`,
      },
    );
    expect([...seen].sort()).toEqual(['a', 'b']);
  }, 60_000);

  it('moves every RPC to the remaining backend within 2 s of one being removed from the services file', async () => {
    const removedAt = Date.now();
    fs.writeFileSync(servicesFile, services([backends[0]?.port ?? 0]));
    // The first moment after which ten RPCs in a row reach only `a`.
    let streakStart = 0;
    let streak = 0;
    await waitFor(
      async () => {
        const startedAt = Date.now();
        if ((await who(client)) === 'a') {
          if (streak === 0) streakStart = startedAt;
          streak += 1;
        } else {
          streak = 0;
        }
        return streak >= 10;
      },
      { timeoutMs: 10_000, message: 'RPCs never settled on the remaining backend' },
    );
    expect(streakStart - removedAt).toBeLessThan(2000);
    const after = await Promise.all(Array.from({ length: 20 }, () => who(client)));
    expect(new Set(after)).toEqual(new Set(['a']));
  }, 60_000);

  it('never NACKs: /debug/proxies shows the client up to date on every type it asked for', async () => {
    await waitFor(
      async () => {
        const { clients } = (await (await fetch(`${daemon.admin}/debug/proxies?node=${NODE_ID}`)).json()) as {
          clients: StreamView[];
        };
        const types = clients[0]?.types ?? {};
        return ['lds', 'cds', 'eds'].every((t) => types[t]?.state === 'SYNCED');
      },
      { timeoutMs: 5000, message: 'the client never acknowledged every type' },
    );
    const { clients } = (await (await fetch(`${daemon.admin}/debug/proxies?node=${NODE_ID}`)).json()) as {
      clients: StreamView[];
    };
    expect(clients).toHaveLength(1);
    expect(clients[0]).toMatchObject({ kind: 'grpc', status: 'connected' });
    for (const [type, view] of Object.entries(clients[0]?.types ?? {})) {
      expect([type, view.lastNack]).toEqual([type, null]);
    }
  }, 60_000);

  it('shuts down promptly with the client still connected', async () => {
    const { code, ms } = await daemon.terminate();
    expect(code).toBe(0);
    expect(ms).toBeLessThan(4000);
  }, 60_000);
});
