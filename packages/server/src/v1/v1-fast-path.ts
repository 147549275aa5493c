import type { IncomingMessage, ServerResponse } from 'node:http';
import { clientText } from '@sextant/core';
import type { EncodedBody } from '@sextant/envoy';
import type { Logger as PinoLogger } from 'pino';
import { Fleet } from '../fleet/fleet';
import { HttpError } from '../http-errors';
import type { ServerMetrics } from '../metrics';
import type { NodeGate } from '../security/node-authorizer';
import { parseProxy, type V1Api, type V1Responder } from './v1-responder';

/**
 * The v1 REST discovery routes (DESIGN §7), answered in Node's request handler before fastify's
 * routing, hooks and reply machinery: fleets poll them every second, each answer is ready bytes,
 * so a poll should cost no more than serving those bytes does. Envoy sends no conditional
 * headers; people and scripts that send If-None-Match get 304 for an unchanged body. Anything
 * that is not a v1 GET (or HEAD) goes on to fastify.
 *
 * Answers are remembered by request URL for as long as the snapshot they came from is current,
 * so a repeated poll does not even parse its path again.
 */
export class V1FastPath {
  private readonly memo: UrlMemo;

  constructor(
    private readonly responder: V1Responder,
    private readonly metrics: ServerMetrics,
    private readonly logger: PinoLogger,
    /** Strict node authorization: the node of CDS, LDS and RDS must be the client certificate's. */
    private readonly gate?: NodeGate,
    /** Where pollers are recorded for /debug/proxies (CDS, LDS, RDS: SDS URLs name no node). */
    private readonly fleet?: Fleet,
    memoBytes = 4 * 1024 * 1024,
  ) {
    this.memo = new UrlMemo(memoBytes);
  }

  /** Answers `request` if it is a v1 discovery GET; returns false to let fastify have it. */
  handle(request: IncomingMessage, response: ServerResponse): boolean {
    const url = request.url ?? '';
    if ((request.method !== 'GET' && request.method !== 'HEAD') || !url.startsWith('/v1/')) return false;
    const version = this.responder.version();
    const known = version === undefined ? undefined : this.memo.get(url, version);
    if (known) {
      try {
        this.authorize(request, known.api, known.poller?.node);
      } catch (error) {
        this.fail(response, known.api, error);
        return true;
      }
      this.send(request, response, known.api, known.body, known.headers);
      if (known.poller && version !== undefined) this.recordPoll(known.poller, known.api, version, request);
      return true;
    }
    const route = routeOf(url);
    if (!route) return false;
    try {
      this.authorize(request, route.api, route.poller?.node);
      const started = performance.now();
      const body = route.answer(this.responder);
      this.metrics.renderSeconds.observe({ api: 'v1' }, (performance.now() - started) / 1000);
      const poller = route.poller && {
        ...route.poller,
        key: Fleet.v1Key(route.poller.cluster, route.poller.node),
      };
      const headers = okHeaders(body);
      if (version !== undefined) {
        this.memo.set(url, version, { api: route.api, body, headers, poller });
        if (poller) this.recordPoll(poller, route.api, version, request);
      }
      this.send(request, response, route.api, body, headers);
    } catch (error) {
      this.fail(response, route.api, error);
    }
    return true;
  }

  /** Whether the connection's certificate is for the node asked for (with strict node authorization). */
  private authorize(request: IncomingMessage, api: V1Api, node: string | undefined): void {
    if (this.gate === undefined || node === undefined) return;
    this.gate(request.socket, parseProxy(node), `v1-${api}`);
  }

  private recordPoll(poller: V1Poller, api: V1Api, version: string, request: IncomingMessage): void {
    this.fleet?.v1Polled(poller.key, poller.cluster, poller.node, api, version, request);
  }

  private send(
    request: IncomingMessage,
    response: ServerResponse,
    api: V1Api,
    { body, etag }: EncodedBody,
    headers: readonly string[],
  ) {
    if (request.headers['if-none-match'] === etag) {
      response.writeHead(304, { etag });
      response.end();
      this.count(api, 304);
      return;
    }
    response.writeHead(200, headers as string[]);
    response.end(request.method === 'HEAD' ? undefined : body);
    this.count(api, 200);
  }

  private fail(response: ServerResponse, api: V1Api, error: unknown): void {
    let status = 500;
    let text = 'internal error; see the sextant log';
    if (error instanceof HttpError) {
      status = error.statusCode;
      text = error.message;
    } else {
      this.logger.error({ err: error }, 'v1 request failed');
    }
    // One line, client text escaped and cut (as every error of every listener, see respond.ts).
    const body = `${clientText(text, 1000)}\n`;
    response.writeHead(status, {
      'content-type': 'text/plain; charset=utf-8',
      'content-length': Buffer.byteLength(body),
      'x-content-type-options': 'nosniff',
    });
    response.end(body);
    this.count(api, status);
  }

  private count(api: V1Api, code: number): void {
    this.metrics.v1Requests.add(api, code);
  }
}

/**
 * The headers of a 200 with `body`, as the flat name, value list writeHead takes: built once per
 * answer remembered, not per request.
 */
function okHeaders({ body, etag }: EncodedBody): readonly string[] {
  return [
    'content-type',
    'application/json',
    'content-length',
    String(body.length),
    'etag',
    etag,
    'x-content-type-options',
    'nosniff',
  ];
}

interface Route {
  readonly api: V1Api;
  /** Who polls, as the URL names it (CDS, LDS, RDS). */
  readonly poller?: { readonly cluster: string; readonly node: string };
  answer(responder: V1Responder): EncodedBody;
}

interface V1Poller {
  readonly cluster: string;
  readonly node: string;
  readonly key: string;
}

/**
 * The route a v1 URL names. Path segments are percent-decoded (as a router decodes parameters);
 * a service key may hold `/` (a label key such as `topology.istio.io/cluster`), which Envoy sends
 * unescaped, so everything after `/v1/registration/` is the key.
 */
function routeOf(url: string): Route | undefined {
  const query = url.indexOf('?');
  const path = query < 0 ? url : url.slice(0, query);
  if (path === '/v1/registration' || path === '/v1/registration/') {
    return { api: 'registration', answer: (r) => r.registration() };
  }
  if (path.startsWith('/v1/registration/')) {
    const key = decodeSegment(path.slice('/v1/registration/'.length));
    return { api: 'sds', answer: (r) => r.sds(key) };
  }
  const segments = path.split('/');
  const segment = (i: number) => decodeSegment(segments[i] ?? '');
  // ['', 'v1', noun, …]
  switch (segments[2]) {
    case 'clusters': {
      if (segments.length !== 5) return undefined;
      const poller = { cluster: segment(3), node: segment(4) };
      return { api: 'cds', poller, answer: (r) => r.cds(poller.node) };
    }
    case 'listeners': {
      if (segments.length !== 5) return undefined;
      const poller = { cluster: segment(3), node: segment(4) };
      return { api: 'lds', poller, answer: (r) => r.lds(poller.node) };
    }
    case 'routes': {
      if (segments.length !== 6) return undefined;
      const poller = { cluster: segment(4), node: segment(5) };
      return { api: 'rds', poller, answer: (r) => r.rds(segment(3), poller.node) };
    }
    default:
      return undefined;
  }
}

/** A percent-decoded segment; a malformed one is left as it is, for its parser to reject by name. */
function decodeSegment(segment: string): string {
  if (!segment.includes('%')) return segment;
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

interface Remembered {
  readonly api: V1Api;
  readonly body: EncodedBody;
  /** Those of a 200 with `body` (okHeaders). */
  readonly headers: readonly string[];
  /** Its node is checked on every request: the same URL may come from clients with other certificates. */
  readonly poller?: V1Poller;
}

/**
 * Answers by request URL, valid for one snapshot version: forgotten at the first request after
 * the snapshot changes, and whenever the URLs held would exceed `maxBytes` (URLs are client text).
 */
class UrlMemo {
  private version: string | undefined;
  private readonly answers = new Map<string, Remembered>();
  private bytes = 0;

  constructor(private readonly maxBytes: number) {}

  get(url: string, version: string): Remembered | undefined {
    if (version !== this.version) return undefined;
    return this.answers.get(url);
  }

  set(url: string, version: string, answer: Remembered): void {
    if (version !== this.version || this.bytes + url.length > this.maxBytes) {
      this.answers.clear();
      this.bytes = 0;
      this.version = version;
    }
    // The URL, and the poller's cluster, node and key cut from it.
    if (!this.answers.has(url)) this.bytes += url.length * 3 + 128;
    this.answers.set(url, answer);
  }
}
