import { Redactor, TokenSource } from '@sextant/adapter-kit';
import { waitFor } from '@sextant/testkit';
import { FakeNomad, testCertificates, TEST_SERVER_NAME, type FakeNomadOptions } from '@sextant/testkit/nomad';
import {
  NomadClient,
  type NomadClientSettings,
  type TlsConnectOptions as TlsMaterial,
} from '../src/nomad/nomad-client';
import { NomadError } from '../src/nomad/nomad-error';

describe('NomadClient', () => {
  let nomad: FakeNomad;
  const clients: NomadClient[] = [];
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await nomad.close();
  });

  async function startNomad(options: FakeNomadOptions = {}): Promise<FakeNomad> {
    nomad = await FakeNomad.start(options);
    return nomad;
  }

  function client(
    settings: Partial<NomadClientSettings> = {},
    tls?: TlsMaterial,
    token?: string,
  ): NomadClient {
    const created = new NomadClient(
      { address: new URL(nomad.url), region: undefined, stale: false, maxConnections: 8, ...settings },
      new TokenSource(
        token === undefined ? { kind: 'none' } : { kind: 'value', value: token },
        new Redactor(),
      ),
      tls,
    );
    clients.push(created);
    return created;
  }

  const get = (c: NomadClient, path = '/v1/services', query: Record<string, string> = {}, timeoutMs = 5000) =>
    c.get({ path, query, signal: new AbortController().signal, timeoutMs });

  /** The NomadError a request fails with. */
  async function failure(promise: Promise<unknown>): Promise<NomadError> {
    const error = await promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    if (!(error instanceof NomadError)) throw new Error(`expected a NomadError, got ${String(error)}`);
    return error;
  }

  it('returns the body, the index and the next-page token', async () => {
    await startNomad();
    const [row] = nomad.register({ ServiceName: 'web', Address: '10.0.0.1', Port: 1, AllocID: 'a' });
    nomad.register({ ServiceName: 'web', Address: '10.0.0.2', Port: 1, AllocID: 'b' });
    const answer = await get(client(), '/v1/service/web', { per_page: '1' });
    expect(answer.index).toBe(nomad.index);
    expect(answer.body).toEqual([row]);
    expect(answer.nextToken).toMatch(/^default\._nomad-task-/);
  });

  it('turns Nomad’s plain-text errors into http errors with the status and what Nomad said', async () => {
    await startNomad();
    nomad.failNext({ status: 429, headers: { 'Retry-After': '7' } });
    const limited = await failure(get(client()));
    expect(limited.kind).toBe('http');
    expect(limited.message).toBe(
      'Nomad answered 429 "Your IP is issuing too many concurrent connections, please rate limit your calls"',
    );
    expect(limited.details.retryAfterMs).toBe(7000);
    expect((await failure(get(client(), '/v1/services', { index: 'x' }))).message).toBe(
      'Nomad answered 400 "Invalid index"',
    );
    nomad.failNext({ status: 404 });
    expect((await failure(get(client()))).message).toBe('Nomad answered 404');
  });

  it('refuses a 200 without an index or with a body that is not JSON', async () => {
    await startNomad();
    nomad.failNext({ status: 200, body: '[]' });
    expect((await failure(get(client()))).message).toBe(
      "Nomad's answer to /v1/services has no valid X-Nomad-Index (null)",
    );
    nomad.failNext({ status: 200, body: '<html>', headers: { 'X-Nomad-Index': '5' } });
    const notJson = await failure(get(client()));
    expect([notJson.kind, notJson.message]).toEqual([
      'invalid',
      'Nomad\'s answer to /v1/services is not JSON ("<html>")',
    ]);
  });

  it('says why Nomad cannot be reached, and when it does not answer in time', async () => {
    await startNomad();
    nomad.failNext({ hang: true });
    const slow = await failure(get(client(), '/v1/services', {}, 100));
    expect([slow.kind, slow.message]).toEqual(['timeout', `Nomad at ${nomad.url} did not answer within 0s`]);
    await nomad.shutDown();
    const down = await failure(get(client()));
    expect(down.kind).toBe('unreachable');
    expect(down.message).toMatch(
      new RegExp(`^cannot reach Nomad at ${nomad.url}: connect ECONNREFUSED 127\\.0\\.0\\.1:\\d+$`),
    );
  });

  it('gives up the request when its signal aborts, with the abort reason', async () => {
    await startNomad();
    nomad.failNext({ hang: true });
    const controller = new AbortController();
    const pending = client().get({
      path: '/v1/services',
      query: {},
      signal: controller.signal,
      timeoutMs: 60_000,
    });
    controller.abort(new Error('stopping'));
    await expect(pending).rejects.toThrow('stopping');
  });

  it('sends the token in X-Nomad-Token, and the region and ?stale on every request', async () => {
    await startNomad({ region: 'eu' });
    await get(client({ region: 'eu', stale: true }, undefined, 'secret'), '/v1/services', { namespace: '*' });
    expect(nomad.requests.at(-1)).toEqual({
      method: 'GET',
      path: '/v1/services',
      query: { namespace: '*', region: 'eu', stale: '' },
      token: 'secret',
    });
  });

  describe('over TLS', () => {
    const tls = {
      key: testCertificates.serverKey,
      cert: testCertificates.serverCert,
      ca: testCertificates.ca,
    };

    it('verifies Nomad against the CA and server name, presenting the client certificate', async () => {
      await startNomad({ tls: { ...tls, requireClientCert: true } });
      const answer = await get(
        client(
          {},
          {
            ca: testCertificates.ca,
            cert: testCertificates.clientCert,
            key: testCertificates.clientKey,
            servername: TEST_SERVER_NAME,
          },
        ),
      );
      expect(answer.body).toEqual([]);
    });

    it('refuses a server its CA does not vouch for, and says so', async () => {
      await startNomad({ tls });
      const untrusted = await failure(get(client()));
      expect(untrusted.kind).toBe('unreachable');
      expect(untrusted.message).toMatch(/certificate/);
      const wrongName = await failure(
        get(client({}, { ca: testCertificates.ca, servername: 'client.global.nomad' })),
      );
      expect(wrongName.message).toMatch(/client\.global\.nomad/);
    });

    it('is refused by a Nomad that requires a client certificate, when it has none', async () => {
      await startNomad({ tls: { ...tls, requireClientCert: true } });
      const refused = await failure(
        get(client({}, { ca: testCertificates.ca, servername: TEST_SERVER_NAME })),
      );
      expect(refused.kind).toBe('unreachable');
    });
  });

  describe('streams', () => {
    /** Lines of `/v1/event/stream` until `until` holds; then the stream is given up. */
    async function lines(c: NomadClient, until: (lines: string[]) => boolean, maxLineLength = 1 << 20) {
      const seen: string[] = [];
      const controller = new AbortController();
      const done = c.stream(
        {
          path: '/v1/event/stream',
          query: { topic: 'Service' },
          signal: controller.signal,
          idleTimeoutMs: 5000,
          maxLineLength,
        },
        (line) => {
          seen.push(line);
          if (until(seen)) controller.abort();
        },
      );
      return { seen, done };
    }

    it('hands on each line as it arrives', async () => {
      await startNomad();
      const { seen, done } = await lines(client(), (seen) => seen.length === 2);
      await waitFor(() => nomad.openStreams() === 1);
      nomad.register({ ServiceName: 'web', Address: '10.0.0.1', Port: 1, AllocID: 'a' });
      await expect(done).rejects.toBeDefined();
      expect(seen[0]).toBe('{}');
      expect(JSON.parse(seen[1] as string)).toMatchObject({ Index: nomad.index });
    });

    it('gives up on a line longer than the limit instead of buffering it', async () => {
      await startNomad();
      const { done } = await lines(client(), () => false, 500);
      await waitFor(() => nomad.openStreams() === 1);
      nomad.register({ ServiceName: 'web', Address: '10.0.0.1', Port: 1, Tags: ['x'.repeat(2000)] });
      const error = await failure(done);
      expect([error.kind, error.message]).toEqual([
        'invalid',
        'Nomad sent a line longer than 500 characters on /v1/event/stream',
      ]);
    });

    it('gives up on a stream that falls silent, and fails a refusal as a request does', async () => {
      await startNomad();
      nomad.failNext({ path: '/v1/event/stream', hang: true });
      const silent = await failure(
        client().stream(
          {
            path: '/v1/event/stream',
            query: {},
            signal: new AbortController().signal,
            idleTimeoutMs: 200,
            maxLineLength: 1000,
          },
          () => undefined,
        ),
      );
      expect([silent.kind, silent.message]).toEqual([
        'timeout',
        `Nomad at ${nomad.url} sent nothing on /v1/event/stream for 200ms`,
      ]);
      nomad.failNext({ path: '/v1/event/stream', status: 404 });
      const { done } = await lines(client(), () => false);
      expect((await failure(done)).message).toBe('Nomad answered 404');
    });
  });
});
