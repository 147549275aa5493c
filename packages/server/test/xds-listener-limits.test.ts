import http2 from 'node:http2';
import net from 'node:net';
import { waitFor } from '@sextant/testkit';
import { DEFAULT_XDS_LIMITS, type XdsLimits } from '../src';
import { CLUSTER, ENVOY_NODE, seedMesh, startXdsHarness, type XdsHarness } from './xds-harness';

/** A raw TCP connection to the xDS port: what arrived, and when the server closed it. */
interface RawConnection {
  readonly socket: net.Socket;
  bytes(): number;
  readonly closed: Promise<number>;
}

describe('xDS listener limits', () => {
  let h: XdsHarness | undefined;
  const sockets = new Set<net.Socket>();

  async function start(limits: Partial<XdsLimits>): Promise<XdsHarness> {
    h = await startXdsHarness({ xds: { limits: { ...DEFAULT_XDS_LIMITS, ...limits } } });
    seedMesh(h.sink);
    h.sink.setStatus('ready');
    return h;
  }

  afterEach(async () => {
    for (const socket of sockets) socket.destroy();
    sockets.clear();
    await h?.close();
    h = undefined;
  });

  function connect(address: string): Promise<RawConnection> {
    const [host, port] = [
      address.slice(0, address.lastIndexOf(':')),
      address.slice(address.lastIndexOf(':') + 1),
    ];
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host, port: Number(port) });
      sockets.add(socket);
      let received = 0;
      socket.on('data', (chunk: Buffer) => (received += chunk.length));
      socket.on('error', () => undefined);
      const opened = Date.now();
      const closed = new Promise<number>((done) => socket.on('close', () => done(Date.now() - opened)));
      socket.once('connect', () => resolve({ socket, bytes: () => received, closed }));
      socket.once('error', reject);
    });
  }

  /** `promise`'s value; rejects saying `what` did not happen if it takes over `ms`. */
  function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} within ${ms} ms`)), ms);
    });
    return Promise.race([promise, late]).finally(() => clearTimeout(timer));
  }

  it('refuses connections past the cap as they arrive, and takes new ones once others closed', async () => {
    const { address } = await start({ maxConnections: 2 });
    const first = await connect(address);
    const second = await connect(address);
    // The server speaks first on a connection it took (its HTTP/2 SETTINGS).
    await waitFor(() => first.bytes() > 0 && second.bytes() > 0, { message: 'the first two were not taken' });
    const third = await connect(address);
    await within(third.closed, 10_000, 'the third connection was not closed');
    expect(third.bytes()).toBe(0);

    first.socket.destroy();
    await first.closed;
    await waitFor(
      async () => {
        const next = await connect(address);
        const taken = await Promise.race([
          waitFor(() => next.bytes() > 0, { timeoutMs: 2000, message: '' }).then(() => true),
          next.closed.then(() => false),
        ]).catch(() => false);
        next.socket.destroy();
        return taken;
      },
      { timeoutMs: 10_000, message: 'no connection taken after one closed' },
    );
  });

  it('closes a connection that holds no stream once idle, but not one whose stream is open', async () => {
    const harness = await start({ idleTimeoutMs: 300 });
    const idle = await connect(harness.address);
    const ads = harness.sotw();
    ads.send({ node: ENVOY_NODE, type_url: CLUSTER });
    expect((await ads.next()).type_url).toBe(CLUSTER);
    expect(await within(idle.closed, 10_000, 'the idle connection was not closed')).toBeGreaterThanOrEqual(
      100,
    );
    // Well past the idle timeout, the stream still gets pushes.
    await new Promise((resolve) => setTimeout(resolve, 600));
    harness.sink.upsertService(
      { hostname: 'web.example', ports: [{ name: 'http', port: 80, protocol: 'http' }] },
      [{ address: '10.9.0.1', port: 8080, portName: 'http' }],
    );
    harness.publish();
    expect((await ads.next()).names).toContain('outbound|80||web.example');
  });

  it('ends connections past their age, so clients reconnect (and spread over replicas)', async () => {
    const harness = await start({ maxConnectionAgeMs: 1000, maxConnectionAgeGraceMs: 500 });
    const ads = harness.sotw();
    ads.send({ node: ENVOY_NODE, type_url: CLUSTER });
    expect((await ads.next()).type_url).toBe(CLUSTER);
    await within(ads.ended, 10_000, 'the stream did not end');
    const again = harness.sotw();
    again.send({ node: ENVOY_NODE, type_url: CLUSTER });
    expect((await again.next()).type_url).toBe(CLUSTER);
  });

  it('advertises the per-connection stream limit to clients', async () => {
    const { address } = await start({ maxStreamsPerConnection: 7 });
    const session = http2.connect(`http://${address}`);
    try {
      const settings = await within(
        new Promise<http2.Settings>((resolve) => session.once('remoteSettings', resolve)),
        10_000,
        'no SETTINGS',
      );
      expect(settings.maxConcurrentStreams).toBe(7);
    } finally {
      session.destroy();
    }
  });
});
