import { freePort, waitFor } from '@sextant/testkit';
import { FakeConsul } from '@sextant/testkit/consul';
import { startDaemon, tempDir, untilReady, type DaemonProcess } from './daemon-process';
import { startGrpcBackend, type GrpcBackend } from './grpc-backend';
import { tally } from './grpc-rules-harness';
import { XdsClientProcess } from './xds-client-process';

/**
 * The daemon with a consul adapter reading Consul's config entries (`rules.configEntries`), and a
 * real proxyless gRPC client (grpc-js-xds): a service-splitter written to Consul moves the
 * client's traffic between resolver subsets within a second.
 */

const HOST = 'greeter.service.dc1.consul';

const splitter = (v1: number, v2: number) => ({
  Kind: 'service-splitter',
  Name: 'greeter',
  Splits: [
    { Weight: v1, ServiceSubset: 'v1' },
    { Weight: v2, ServiceSubset: 'v2' },
  ],
});

describe('the daemon serving Consul config entries to a proxyless gRPC client', () => {
  let consul: FakeConsul | undefined;
  let daemon: DaemonProcess | undefined;
  let client: XdsClientProcess | undefined;
  const backends: GrpcBackend[] = [];
  let target = '';
  let setup: Promise<void> | undefined;

  beforeAll(() => {
    setup = (async () => {
      backends.push(await startGrpcBackend('v1'), await startGrpcBackend('v2'));
      const [v1, v2] = backends as [GrpcBackend, GrpcBackend];
      consul = await FakeConsul.start();
      for (const [backend, version] of [
        [v1, 'v1'],
        [v2, 'v2'],
      ] as const) {
        consul.addInstance({
          service: 'greeter',
          node: `node-${version}`,
          address: '127.0.0.1',
          port: backend.port,
          meta: { version, protocol: 'grpc' },
        });
      }
      // The service's port is the most common instance port, the lower on a tie.
      target = `${HOST}:${Math.min(v1.port, v2.port)}`;
      consul.setConfigEntry({
        Kind: 'service-resolver',
        Name: 'greeter',
        Subsets: {
          v1: { Filter: 'Service.Meta.version == v1' },
          v2: { Filter: 'Service.Meta.version == v2' },
        },
      });
      consul.setConfigEntry(splitter(100, 0));
      const xdsPort = await freePort();
      daemon = await startDaemon(
        tempDir(),
        [
          'listen:',
          '  discovery: ${DISCOVERY}',
          '  admin: ${ADMIN}',
          `  xds: 127.0.0.1:${xdsPort}`,
          'debounce: { after: 50ms, max: 300ms }',
          'log: { level: warn }',
          'adapters:',
          '  - name: consul',
          '    type: consul',
          `    address: ${consul.url}`,
          '    wait: 30s',
          '    rules: { configEntries: true }',
          '',
        ].join('\n'),
      );
      await untilReady(daemon, 15_000);
      client = XdsClientProcess.start({ xdsServer: `127.0.0.1:${xdsPort}`, nodeId: 'consul-entries-client' });
      let last: Record<string, number> = {};
      await waitFor(
        async () => {
          last = tally(
            await (client as XdsClientProcess).batch(target, { count: 10, concurrency: 1, deadlineMs: 3000 }),
          );
          return last.v1 === 10;
        },
        { timeoutMs: 30_000, message: () => `every RPC to reach v1 (last: ${JSON.stringify(last)})` },
      );
    })();
    return setup;
  }, 90_000);

  afterAll(async () => {
    await setup?.catch(() => undefined);
    await client?.close();
    if (daemon && daemon.child.exitCode === null) await daemon.terminate();
    await consul?.close();
    await Promise.all(backends.map((b) => b.stop()));
  }, 60_000);

  it('a service-splitter change moves traffic from v1 to v2 within 1 s', async () => {
    const moving = (client as XdsClientProcess).callUntil(target, 'v2', { maxMs: 15_000, deadlineMs: 3000 });
    const writtenAt = Date.now();
    (consul as FakeConsul).setConfigEntry(splitter(0, 100));
    const { landed } = await moving;
    expect(landed?.at).toEqual(expect.any(Number));
    expect((landed?.at ?? Infinity) - writtenAt).toBeLessThanOrEqual(1000);
    expect(
      tally(await (client as XdsClientProcess).batch(target, { count: 40, deadlineMs: 10_000 })),
    ).toEqual({
      v2: 40,
    });
  }, 60_000);
});
