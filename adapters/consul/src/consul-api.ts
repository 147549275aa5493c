import { EventEmitter } from 'node:events';
import { Agent as HttpAgent, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { isRedirect, redirectRefusal } from '@sextant/adapter-kit';
import Consul from 'consul';
import { ConsulFault, faultKindOfStatus } from './consul-fault';

/** One answer of a blocking endpoint: the body and the headers the index rules read. */
export interface ConsulAnswer<T> {
  readonly body: T;
  /** `X-Consul-Index` as sent (undefined when missing). */
  readonly index: string | undefined;
  /** `X-Consul-KnownLeader`; false during elections or on a partitioned follower. */
  readonly knownLeader: boolean;
}

/** The parameters of one blocking read. */
export interface BlockingRead {
  /** Undefined: the agent's own (KV). */
  readonly datacenter: string | undefined;
  /** 0 asks for an answer now. */
  readonly index: bigint;
  readonly waitMs: number;
  readonly signal: AbortSignal;
}

export interface ConsulConnection {
  readonly address: URL;
  /** Requests (and sockets) open at once, at most; further requests queue in the agent. */
  readonly maxSockets: number;
  /** PEM material for https. */
  readonly tls?: {
    readonly ca?: Buffer;
    readonly cert?: Buffer;
    readonly key?: Buffer;
    readonly serverName?: string;
  };
  /** The token to send with each request (it may change: token files are re-read). */
  readonly token: () => string | undefined;
}

/**
 * The part of the `consul` client the adapter uses. Its typings leave out the options every
 * method takes (`index`, `wait`, `timeout`, and the request context `ctx`), so it is described here.
 */
interface ConsulClient {
  readonly catalog: {
    readonly service: { list(options: object): Promise<unknown> };
    datacenters(options: object): Promise<unknown>;
  };
  readonly health: { service(options: object): Promise<unknown>; state(options: object): Promise<unknown> };
  readonly agent: { self(options: object): Promise<unknown> };
  readonly kv: {
    get(options: object): Promise<unknown>;
    set(options: object): Promise<unknown>;
    del(options: object): Promise<unknown>;
  };
  /** The client's own GET, for endpoints it has no method for (config entries). */
  _get(request: object, next: (request: PapiRequest, next: PapiNext) => void): Promise<unknown>;
  destroy(): void;
}

interface PapiRequest {
  readonly err?: Error & { response?: unknown };
  readonly res: { readonly body: unknown };
}
type PapiNext = (halt: false, error?: Error, result?: unknown) => void;

/** A non-blocking request still gets a deadline: a hung connection must not stall start-up forever. */
const PLAIN_REQUEST_TIMEOUT_MS = 10_000;

/**
 * The Consul HTTP endpoints the adapter reads, through the `consul` client on one keep-alive
 * connection pool. The client gives the response itself (with its X-Consul-* headers) when the
 * request context asks for it (`ctx.includeResponse`), and aborts a request when its context emits
 * `cancel`. Every failure becomes a ConsulFault. The client follows no redirect (a 3xx is a
 * `redirected` fault naming its target), so the token goes to the configured address only. What
 * Consul answers is quoted as it came: the adapter's Redactor keeps the token out of what is shown.
 */
export class ConsulApi {
  private readonly consul: ConsulClient;
  private readonly agent: HttpAgent;
  readonly origin: string;

  constructor(private readonly connection: ConsulConnection) {
    const { address, tls, maxSockets } = connection;
    const secure = address.protocol === 'https:';
    const pool = { keepAlive: true, maxSockets, maxFreeSockets: maxSockets, scheduling: 'lifo' as const };
    this.agent = secure
      ? new HttpsAgent({
          ...pool,
          ...(tls?.ca && { ca: tls.ca }),
          ...(tls?.cert && { cert: tls.cert }),
          ...(tls?.key && { key: tls.key }),
          ...(tls?.serverName && { servername: tls.serverName }),
        })
      : new HttpAgent(pool);
    this.origin = address.origin;
    this.consul = new Consul({
      host: address.hostname,
      port: Number(address.port || (secure ? 443 : 80)),
      secure,
      agent: this.agent,
    }) as unknown as ConsulClient;
  }

  /** `GET /v1/catalog/services`: service name → union of its instances' tags. */
  async catalogServices(read: BlockingRead): Promise<ConsulAnswer<Record<string, string[]>>> {
    const answer = await this.call('/v1/catalog/services', read.signal, readTimeout(read), (ctx) =>
      this.consul.catalog.service.list({ ...this.common(ctx, read) }),
    );
    if (!isRecord(answer.body)) throw this.invalid('/v1/catalog/services', 'an object of service names');
    return answer as ConsulAnswer<Record<string, string[]>>;
  }

  /** `GET /v1/health/service/:name`: every instance with its node and checks (no `?passing`: health is ours to judge). */
  async healthService(service: string, read: BlockingRead): Promise<ConsulAnswer<unknown[]>> {
    const path = `/v1/health/service/${service}`;
    const answer = await this.call(path, read.signal, readTimeout(read), (ctx) =>
      this.consul.health.service({ service, ...this.common(ctx, read) }),
    );
    if (!Array.isArray(answer.body)) throw this.invalid(path, 'an array of instances');
    return answer as ConsulAnswer<unknown[]>;
  }

  /** `GET /v1/health/state/:state`: every check (node or service) in that state. */
  async healthState(state: 'critical' | 'warning', read: BlockingRead): Promise<ConsulAnswer<unknown[]>> {
    const path = `/v1/health/state/${state}`;
    const answer = await this.call(path, read.signal, readTimeout(read), (ctx) =>
      this.consul.health.state({ state, ...this.common(ctx, read) }),
    );
    if (!Array.isArray(answer.body)) throw this.invalid(path, 'an array of checks');
    return answer as ConsulAnswer<unknown[]>;
  }

  /** `GET /v1/config/:kind`: every config entry of a kind (an empty list when none). */
  async configEntries(kind: string, read: BlockingRead): Promise<ConsulAnswer<unknown[]>> {
    const path = `/v1/config/${kind}`;
    const answer = await this.call(path, read.signal, readTimeout(read), (ctx) => {
      const { dc, index, wait, timeout, token } = this.common(ctx, read);
      const request = {
        name: 'config.list',
        path: '/config/{kind}',
        params: { kind },
        headers: token ? { 'x-consul-token': token } : {},
        query: { dc, ...(index !== undefined && { index, wait }) },
        ctx,
        timeout,
      };
      // The client's own body handler, as its typed methods use: the response comes back with
      // the body (the context asks for it), and an error carries its response.
      return this.consul._get(request, (req, next) => {
        if (req.err) {
          req.err.response = req.res;
          next(false, req.err);
        } else next(false, undefined, [req.res, req.res.body]);
      });
    });
    if (!Array.isArray(answer.body)) throw this.invalid(path, 'an array of config entries');
    return answer as ConsulAnswer<unknown[]>;
  }

  /** `GET /v1/catalog/datacenters`: every datacenter the agent's servers know. */
  async datacenters(signal: AbortSignal): Promise<string[]> {
    const path = '/v1/catalog/datacenters';
    const { body } = await this.call(path, signal, PLAIN_REQUEST_TIMEOUT_MS, (ctx) =>
      this.consul.catalog.datacenters({ ctx, timeout: PLAIN_REQUEST_TIMEOUT_MS, ...this.tokenOption() }),
    );
    if (!Array.isArray(body) || !body.every((dc) => typeof dc === 'string')) {
      throw this.invalid(path, 'an array of datacenter names');
    }
    return body;
  }

  /** The agent's own datacenter, from `GET /v1/agent/self` (needs `agent:read`). */
  async agentDatacenter(signal: AbortSignal): Promise<string> {
    const path = '/v1/agent/self';
    const { body } = await this.call(path, signal, PLAIN_REQUEST_TIMEOUT_MS, (ctx) =>
      this.consul.agent.self({ ctx, timeout: PLAIN_REQUEST_TIMEOUT_MS, ...this.tokenOption() }),
    );
    const datacenter = isRecord(body) && isRecord(body.Config) ? body.Config.Datacenter : undefined;
    if (typeof datacenter !== 'string' || datacenter === '') throw this.invalid(path, 'Config.Datacenter');
    return datacenter;
  }

  /**
   * `GET /v1/kv/<prefix>?recurse` in the agent's datacenter: every entry under the prefix, its
   * Value decoded to text (null for an empty one); nothing there (a 404) is an empty list.
   */
  async kvList(prefix: string, read: BlockingRead): Promise<ConsulAnswer<unknown[]>> {
    const path = `/v1/kv/${prefix}?recurse`;
    const answer = await this.call(path, read.signal, readTimeout(read), (ctx) =>
      this.consul.kv.get({ key: keyParam(prefix), recurse: true, ...this.common(ctx, read) }),
    );
    if (answer.body === undefined) return { ...answer, body: [] };
    if (!Array.isArray(answer.body)) throw this.invalid(path, 'an array of KV entries');
    return answer as ConsulAnswer<unknown[]>;
  }

  /** `GET /v1/kv/<key>`: the entry (Value decoded to text), or undefined when there is none. */
  async kvGet(key: string, signal: AbortSignal): Promise<unknown> {
    const path = `/v1/kv/${key}`;
    const { body } = await this.call(path, signal, PLAIN_REQUEST_TIMEOUT_MS, (ctx) =>
      this.consul.kv.get({
        key: keyParam(key),
        ctx,
        timeout: PLAIN_REQUEST_TIMEOUT_MS,
        ...this.tokenOption(),
      }),
    );
    if (body !== undefined && !isRecord(body)) throw this.invalid(path, 'a KV entry');
    return body;
  }

  /** `PUT /v1/kv/<key>?cas=<index>`: whether Consul wrote it (false: the key moved past `cas`). */
  async kvPut(key: string, value: string, cas: number, signal: AbortSignal): Promise<boolean> {
    const path = `/v1/kv/${key}`;
    const { body } = await this.call(
      path,
      signal,
      PLAIN_REQUEST_TIMEOUT_MS,
      (ctx) =>
        this.consul.kv.set({
          key: keyParam(key),
          value,
          cas,
          ctx,
          timeout: PLAIN_REQUEST_TIMEOUT_MS,
          ...this.tokenOption(),
        }),
      'PUT',
    );
    if (typeof body !== 'boolean') throw this.invalid(path, 'true or false', 'PUT');
    return body;
  }

  /** `DELETE /v1/kv/<key>?cas=<index>`: whether Consul deleted it. */
  async kvDelete(key: string, cas: number, signal: AbortSignal): Promise<boolean> {
    const path = `/v1/kv/${key}`;
    const { body } = await this.call(
      path,
      signal,
      PLAIN_REQUEST_TIMEOUT_MS,
      (ctx) =>
        this.consul.kv.del({
          key: keyParam(key),
          cas,
          ctx,
          timeout: PLAIN_REQUEST_TIMEOUT_MS,
          ...this.tokenOption(),
        }),
      'DELETE',
    );
    if (typeof body !== 'boolean') throw this.invalid(path, 'true or false', 'DELETE');
    return body;
  }

  /** Closes every pooled socket. */
  close(): void {
    this.consul.destroy();
  }

  private common(ctx: EventEmitter, read: BlockingRead) {
    return {
      dc: read.datacenter,
      ...(read.index > 0n && {
        index: read.index.toString(),
        wait: `${Math.max(1, Math.round(read.waitMs))}ms`,
      }),
      ctx,
      timeout: readTimeout(read),
      ...this.tokenOption(),
    };
  }

  private tokenOption(): { token?: string } {
    const token = this.connection.token();
    return token ? { token } : {};
  }

  /**
   * Runs one client call with a context that returns the response and cancels on `signal`,
   * translating whatever it throws into a ConsulFault.
   */
  private async call(
    path: string,
    signal: AbortSignal,
    timeoutMs: number,
    request: (ctx: EventEmitter) => Promise<unknown>,
    method = 'GET',
  ): Promise<ConsulAnswer<unknown>> {
    const ctx = Object.assign(new EventEmitter(), { includeResponse: true, canceled: false });
    const cancel = () => {
      ctx.canceled = true;
      ctx.emit('cancel');
    };
    if (signal.aborted) throw new ConsulFault('unreachable', 'aborted', `${method} ${path}`);
    signal.addEventListener('abort', cancel, { once: true });
    try {
      const result = await request(ctx);
      // papi tells errors from results by `instanceof Error`, so an error made in another realm
      // (Node's own socket errors, seen from a vm context such as jest's) comes back as a result.
      // A KV read of nothing (404) comes back as the response alone.
      if (!Array.isArray(result) || !(result.length === 2 || (result.length === 1 && isResponse(result[0]))))
        throw result;
      const [response, body] = result as [IncomingMessage, unknown];
      const index = response.headers['x-consul-index'];
      return {
        body,
        index: typeof index === 'string' ? index : undefined,
        knownLeader: response.headers['x-consul-knownleader'] !== 'false',
      };
    } catch (error) {
      throw this.fault(path, error, timeoutMs, method);
    } finally {
      signal.removeEventListener('abort', cancel);
    }
  }

  private fault(path: string, error: unknown, timeoutMs: number, method = 'GET'): ConsulFault {
    const failure = error as {
      isResponse?: boolean;
      isTimeout?: boolean;
      isCodec?: boolean;
      isAbort?: boolean;
      code?: string;
      message?: string;
      response?: { statusCode?: number; body?: unknown; headers?: Record<string, unknown> };
    };
    const request = `${method} ${path}`;
    if (failure.isResponse && failure.response?.statusCode !== undefined) {
      const status = failure.response.statusCode;
      if (isRedirect(status)) {
        const location = failure.response.headers?.location;
        const reason = redirectRefusal(
          'Consul',
          status,
          typeof location === 'string' ? location : undefined,
          `${this.origin}${path}`,
        );
        return new ConsulFault('redirected', reason, request, status);
      }
      const text = bodyText(failure.response.body);
      const kind = faultKindOfStatus(status);
      const reason =
        kind === 'denied'
          ? `Consul refused the request (403${text ? `: ${text}` : ''})`
          : `Consul answered ${status}${text ? `: ${text}` : ''}`;
      return new ConsulFault(kind, reason, request, status);
    }
    if (failure.isTimeout) {
      const reason = `no answer from Consul at ${this.origin} within ${seconds(timeoutMs)} (a hung connection?)`;
      return new ConsulFault('timeout', reason, request);
    }
    if (failure.isCodec) return this.invalid(path, 'JSON', method);
    if (failure.isAbort) return new ConsulFault('unreachable', 'aborted', request);
    const cause = failure.code ?? String(failure.message ?? error).replace(/^consul: [\w.]+: /, '');
    return new ConsulFault('unreachable', `cannot reach Consul at ${this.origin}: ${cause}`, request);
  }

  private invalid(path: string, expected: string, method = 'GET'): ConsulFault {
    return new ConsulFault(
      'invalid',
      `Consul at ${this.origin} sent a body that is not ${expected}`,
      `${method} ${path}`,
    );
  }
}

/** A blocking query may be held for wait + wait/16 (Consul's jitter); past a margin it is a hung connection. */
export function blockingTimeout(waitMs: number): number {
  return Math.ceil(waitMs + waitMs / 16 + Math.min(5000, Math.max(1000, waitMs / 4)));
}

/** A read with an index may be held; one without is answered at once, like any request. */
function readTimeout(read: BlockingRead): number {
  const held = blockingTimeout(read.waitMs);
  return read.index > 0n ? held : Math.min(held, PLAIN_REQUEST_TIMEOUT_MS);
}

function seconds(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)}s` : `${Math.round(ms / 1000)}s`;
}

function bodyText(body: unknown): string {
  const text = Buffer.isBuffer(body) ? body.toString('utf8') : typeof body === 'string' ? body : '';
  const line = text.trim().split('\n')[0] ?? '';
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}

/**
 * A key as a path: each segment escaped, the slashes kept (as Consul's own clients send it). The
 * client escapes a parameter whole (`/` as `%2F`) unless it says `encode: false`.
 */
function keyParam(key: string): { readonly encode: false; toString(): string } {
  const path = key.split('/').map(encodeURIComponent).join('/');
  return { encode: false, toString: () => path };
}

function isResponse(value: unknown): boolean {
  return isRecord(value) && typeof value.statusCode === 'number' && isRecord(value.headers);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
