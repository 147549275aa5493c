import net from 'node:net';
import { Registry } from '@sextant/core';
import { waitFor } from '@sextant/testkit';
import type { FastifyInstance } from 'fastify';
import { Renderer } from '@sextant/envoy';
import pino from 'pino';
import {
  createAdminServer,
  createDiscoveryServer,
  DEFAULT_HTTP_LIMITS,
  listenOn,
  parseListenAddress,
  ServerMetrics,
  type HttpLimits,
} from '../src';
import { createHttpServer } from '../src/http-server';
import { REVIEWS_NODE, seedBookinfo, startHarness, type Harness } from './harness';

/** A raw connection: what it received, and whether (and when) the server closed it. */
interface RawConnection {
  readonly socket: net.Socket;
  received(): string;
  readonly closed: Promise<number>;
}

/** Every connection a test opened, destroyed after it whatever its outcome (else closing a server waits). */
const sockets = new Set<net.Socket>();
function destroySockets(): void {
  for (const socket of sockets) socket.destroy();
  sockets.clear();
}
afterEach(destroySockets);

function connect(base: string): Promise<RawConnection> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: url.hostname, port: Number(url.port) });
    sockets.add(socket);
    let text = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => (text += chunk));
    socket.on('error', () => undefined);
    const opened = Date.now();
    const closed = new Promise<number>((done) => socket.on('close', () => done(Date.now() - opened)));
    socket.once('connect', () => resolve({ socket, received: () => text, closed }));
    socket.once('error', reject);
  });
}

/** How long the connection stayed open; rejects if the server keeps it open past `ms`. */
function closedWithin(connection: RawConnection, ms = 15_000): Promise<number> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still open after ${ms} ms`)), ms);
  });
  return Promise.race([connection.closed, late]).finally(() => clearTimeout(timer));
}

/** Sends `request` as written and resolves with the whole answer once the server closes. */
async function exchange(base: string, request: string): Promise<string> {
  const connection = await connect(base);
  connection.socket.write(request);
  await connection.closed;
  return connection.received();
}

function headerOf(response: string, name: string): string | undefined {
  const head = response.slice(0, response.indexOf('\r\n\r\n'));
  const line = head.split('\r\n').find((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`));
  return line?.slice(line.indexOf(':') + 1).trim();
}

function bodyOf(response: string): string {
  return response.slice(response.indexOf('\r\n\r\n') + 4);
}

const get = (path: string, host = 'localhost') =>
  `GET ${path} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`;

describe('HTTP listeners given hostile input', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
    seedBookinfo(h.sink);
    h.sink.setStatus('ready');
  });
  afterEach(() => h.close());

  it('answers errors with one escaped, bounded line, never echoing raw CR/LF', async () => {
    const cases = [
      `/v1/registration/%0d%0aX-Injected:%201%0d%0a|http`,
      `/v1/registration/${'a'.repeat(15_000)}%0d%0a|http`,
      `/v1/clusters/x/sidecar~%0d%0aSet-Cookie:%20a=b~id~d`,
      `/nothing/${'%0d%0a'.repeat(2000)}`,
    ];
    for (const path of cases) {
      const response = await exchange(h.discovery, get(path));
      expect(response).toMatch(/^HTTP\/1\.1 404 /);
      expect(headerOf(response, 'x-injected')).toBeUndefined();
      expect(headerOf(response, 'set-cookie')).toBeUndefined();
      expect(headerOf(response, 'x-content-type-options')).toBe('nosniff');
      expect(headerOf(response, 'content-type')).toBe('text/plain; charset=utf-8');
      const body = bodyOf(response);
      expect(body.endsWith('\n')).toBe(true);
      expect(body.slice(0, -1)).not.toMatch(/[\r\n]/);
      expect(body.length).toBeLessThan(1100);
    }
    const key = bodyOf(await exchange(h.discovery, get('/v1/registration/%0d%0aX:%201|http')));
    expect(key).toBe('invalid service key "\\r\\nX: 1|http": hostname "\\r\\nX: 1" is not a valid name\n');
  });

  it('sends X-Content-Type-Options: nosniff on every response', async () => {
    const responses = [
      await exchange(h.discovery, get(`/v1/registration/reviews.default.svc.cluster.local|http`)),
      await exchange(h.discovery, get(`/v1/clusters/istio-proxy/${REVIEWS_NODE}`)),
      await exchange(h.discovery, get('/nothing')),
      await exchange(
        h.discovery,
        'POST /v3/discovery:clusters HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 3\r\n\r\n{]}',
      ),
      await exchange(
        h.discovery,
        `POST /v3/discovery:clusters HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: ${2 * 1024 * 1024}\r\n\r\n`,
      ),
      await exchange(h.admin, get('/healthz')),
      await exchange(h.admin, get('/debug/registry')),
      await exchange(h.discovery, 'NOT HTTP AT ALL\r\n\r\n'),
    ];
    expect(responses.map((r) => r.slice(0, 12))).toEqual([
      'HTTP/1.1 200',
      'HTTP/1.1 200',
      'HTTP/1.1 404',
      'HTTP/1.1 400',
      'HTTP/1.1 413',
      'HTTP/1.1 200',
      'HTTP/1.1 200',
      'HTTP/1.1 400',
    ]);
    for (const response of responses) expect(headerOf(response, 'x-content-type-options')).toBe('nosniff');
    // fastify's own error (413) and Node's (400) read as one line of text too.
    expect(bodyOf(responses[4] ?? '')).toBe('Request body is too large\n');
    expect(bodyOf(responses[7] ?? '')).toBe('not a well-formed HTTP request\n');
  });

  it('answers v3 REST bodies nested too deeply with 400 and the reason', async () => {
    let metadata: unknown = 'leaf';
    for (let i = 0; i < 60; i += 1) metadata = { a: metadata };
    let any: unknown = { '@type': 'type.googleapis.com/google.protobuf.Duration', value: '1s' };
    for (let i = 0; i < 200; i += 1) any = { '@type': 'type.googleapis.com/google.protobuf.Any', value: any };
    const bodies = [
      { node: { id: REVIEWS_NODE, metadata } },
      { node: { id: REVIEWS_NODE }, error_detail: { message: 'x', details: [any] } },
      // As deep as a 1 MB body allows.
      `{"node":{"id":"n","metadata":${'{"a":'.repeat(150_000)}1${'}'.repeat(150_000)}}}`,
    ];
    for (const body of bodies) {
      const response = await fetch(`${h.discovery}/v3/discovery:clusters`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      });
      expect(response.status).toBe(400);
      expect(await response.text()).toMatch(
        /^not a DiscoveryRequest: (node\.metadata|error_detail\.details\[0\])[^\n]*: nested too deeply \(more than 100 levels of messages\)\n$/,
      );
    }
  });
});

describe('failures of our own', () => {
  it('log one line with the stack per kind of failure and minute, counting the repeats left out', async () => {
    const lines: Record<string, unknown>[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line)) });
    const app = createHttpServer(logger);
    app.get('/boom/:id', () => {
      throw new Error('the renderer failed');
    });
    const base = `http://${await listenOn(app, '127.0.0.1:0')}`;
    try {
      for (let i = 0; i < 20; i += 1) {
        const response = await fetch(`${base}/boom/${i}`);
        expect(response.status).toBe(500);
        expect(await response.text()).toBe('internal error; see the sextant log\n');
      }
      const failures = lines.filter((line) => String(line.msg).startsWith('request failed'));
      expect(failures).toHaveLength(1);
      expect(failures[0]).toMatchObject({ msg: 'request failed: GET /boom/:id', url: '/boom/0' });
      expect(String((failures[0]?.err as { stack: string }).stack)).toContain('the renderer failed');
    } finally {
      await app.close();
    }
  });
});

describe('HTTP listener limits', () => {
  const apps: FastifyInstance[] = [];
  const registry = new Registry({ adapters: ['files'] });
  const renderer = new Renderer();
  const metrics = new ServerMetrics(registry, () => renderer.cache.stats());
  afterAll(() => registry.close());
  afterEach(async () => {
    destroySockets();
    await Promise.all(apps.splice(0).map((app) => app.close()));
  });

  async function discovery(limits: Partial<HttpLimits>): Promise<string> {
    const app = createDiscoveryServer(registry, renderer, metrics, pino({ level: 'silent' }), {
      ...DEFAULT_HTTP_LIMITS,
      ...limits,
    });
    apps.push(app);
    return `http://${await listenOn(app, '127.0.0.1:0')}`;
  }

  it('closes a connection whose body trickles in slower than the request timeout allows, with 408', async () => {
    const base = await discovery({ requestTimeoutMs: 1000, headersTimeoutMs: 1000 });
    const slow = await connect(base);
    slow.socket.write(
      'POST /v3/discovery:clusters HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n',
    );
    const trickle = setInterval(() => slow.socket.write('{'), 200);
    try {
      const ms = await closedWithin(slow);
      expect(ms).toBeGreaterThanOrEqual(500);
      expect(slow.received()).toMatch(/^HTTP\/1\.1 408 /);
      expect(bodyOf(slow.received())).toBe('the request did not arrive in time\n');
    } finally {
      clearInterval(trickle);
      slow.socket.destroy();
    }
  });

  it('closes a connection that sends nothing, and one left idle after a request', async () => {
    const base = await discovery({ idleTimeoutMs: 500 });
    const silent = await connect(base);
    const kept = await connect(base);
    kept.socket.write('GET /nothing HTTP/1.1\r\nHost: x\r\n\r\n');
    await waitFor(() => kept.received().includes('no such endpoint'), { message: 'no answer' });
    expect(await closedWithin(silent)).toBeGreaterThanOrEqual(200);
    await closedWithin(kept);
    expect(silent.received()).toBe('');
  });

  it('closes a connection that stops reading its answers, once the idle timeout passes without traffic', async () => {
    const base = await discovery({ idleTimeoutMs: 500 });
    const server = (apps.at(-1) as FastifyInstance).server;
    const held = () => new Promise<number>((resolve) => server.getConnections((_, count) => resolve(count)));
    const stalled = await connect(base);
    stalled.socket.pause();
    // Pipelined, more answers than the buffers between the two hold; every other one is the v1
    // fast path's (503: nothing synced), the rest fastify's (404). A paused client sees no
    // close behind unread answers, so the server is asked what it holds.
    const filler = 'x'.repeat(900);
    const requests = Array.from({ length: 8000 }, (_, i) =>
      i % 2 === 0
        ? `GET /v1/registration/${filler} HTTP/1.1\r\nHost: x\r\n\r\n`
        : `GET /${filler} HTTP/1.1\r\nHost: x\r\n\r\n`,
    );
    const started = Date.now();
    stalled.socket.write(requests.join(''));
    expect(await held()).toBe(1);
    await waitFor(async () => (await held()) === 0, {
      timeoutMs: 10_000,
      message: 'the connection is still held',
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(500);
  });

  it('refuses connections past the cap, and takes new ones once others closed', async () => {
    const base = await discovery({ maxConnections: 2 });
    const first = await connect(base);
    const second = await connect(base);
    // Both are held by the server (a request answered on each), so the next is past the cap.
    for (const c of [first, second]) c.socket.write('GET /nothing HTTP/1.1\r\nHost: x\r\n\r\n');
    await waitFor(() => first.received().includes('404') && second.received().includes('404'), {
      message: 'the first two were not served',
    });
    const third = await connect(base);
    third.socket.write(get('/nothing'));
    await third.closed;
    expect(third.received()).toBe('');

    first.socket.destroy();
    await first.closed;
    await waitFor(
      async () => {
        const fourth = await connect(base);
        fourth.socket.write(get('/nothing'));
        await fourth.closed;
        return fourth.received().includes('404');
      },
      { message: 'no connection taken after one closed' },
    );
    second.socket.destroy();
  });
});

describe('admin listener on loopback (DNS rebinding)', () => {
  const registry = new Registry({ adapters: ['files'] });
  const renderer = new Renderer();
  const metrics = new ServerMetrics(registry, () => renderer.cache.stats());
  let app: FastifyInstance;
  let base: string;
  beforeAll(async () => {
    app = createAdminServer(registry, renderer, metrics, pino({ level: 'silent' }), [], undefined, {
      allowedHosts: ['sextant.internal', 'Ops.Example.'],
    });
    base = `http://${await listenOn(app, '127.0.0.1:0')}`;
  });
  afterAll(async () => {
    registry.close();
    await app.close();
  });

  it.each([
    'localhost',
    'localhost:15000',
    'LOCALHOST.:80',
    '127.0.0.1',
    '127.0.0.1:15000',
    '127.8.9.1:1',
    '[::1]',
    '[::1]:15000',
    'sextant.internal:15000',
    'ops.example',
  ])('answers Host: %s', async (host) => {
    const response = await exchange(base, get('/debug/registry', host));
    expect(response).toMatch(/^HTTP\/1\.1 200 /);
  });

  it.each([
    'attacker.example',
    'attacker.example:15000',
    '10.0.0.1:15000',
    '[::2]:15000',
    'localhost.attacker.example',
    '',
  ])('refuses Host: "%s" with 403 and one line', async (host) => {
    const response = await exchange(base, get('/debug/registry', host));
    expect(response).toMatch(/^HTTP\/1\.1 403 /);
    expect(headerOf(response, 'x-content-type-options')).toBe('nosniff');
    expect(bodyOf(response)).toMatch(
      /^Host "[^\n]*" is not this machine; add the name to admin\.allowedHosts in sextant\.yaml to use it\n$/,
    );
  });

  it('answers a request without Host (HTTP/1.0: no browser sends one)', async () => {
    const response = await exchange(base, 'GET /healthz HTTP/1.0\r\n\r\n');
    expect(response).toMatch(/^HTTP\/1\.1 200 /);
  });
});

describe('listen addresses', () => {
  it('require a host, saying how to listen on every interface', () => {
    expect(() => parseListenAddress(':15003')).toThrow(
      '":15003" has no host: write 0.0.0.0:15003 to listen on every interface, or 127.0.0.1:15003 for this machine only',
    );
    expect(parseListenAddress('0.0.0.0:15003')).toEqual({ host: '0.0.0.0', port: 15003 });
    expect(parseListenAddress('[::]:15003')).toEqual({ host: '::', port: 15003 });
  });
});
