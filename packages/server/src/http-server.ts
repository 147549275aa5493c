import http, { STATUS_CODES } from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import { clientText } from '@sextant/core';
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import type { Logger as PinoLogger } from 'pino';
import { HttpError } from './http-errors';
import { DEFAULT_HTTP_LIMITS, type HttpLimits } from './http-limits';
import { formatHostPort, parseListenAddress } from './listen-address';
import { leftOutFields, RepeatedEvents } from './repeated-events';
import { respondWithError, sendLine } from './respond';
import type { ServerTls } from './security/server-tls';

declare module 'fastify' {
  interface FastifyInstance {
    /** Rate-limits the log lines of the listener's repeated failures (see respondWithError). */
    readonly repeatedErrors: RepeatedEvents;
  }
}

/**
 * Sextant's routes check what they are sent themselves (the limits and messages of each input are
 * its own), so no route gives fastify a schema. Fastify would otherwise load its two schema
 * compilers (ajv and fast-json-stringify: ~30 ms of every start-up) for nothing; a route that
 * declares a schema fails at registration instead, saying why.
 */
const NO_SCHEMA_COMPILERS = {
  buildValidator: (): never => {
    throw new Error('Sextant routes take no fastify schema: check the request in the handler');
  },
  buildSerializer: (): never => {
    throw new Error('Sextant routes take no fastify schema: write the response in the handler');
  },
};

/** Answers a request before fastify sees it, or returns false to let fastify have it. */
export type FastPath = (request: http.IncomingMessage, response: http.ServerResponse) => boolean;

/**
 * A fastify instance as every Sextant listener wants it: the daemon's pino logger, no
 * per-request log lines (a fleet polls every second), room for long node ids and service keys
 * in path segments, bounded connections and timeouts, and every error (ours, fastify's, Node's
 * for a malformed or late request) answered as one line of plain text, with
 * `X-Content-Type-Options: nosniff` on every response so no browser takes one for a page.
 * A `fastPath` answers what it can before fastify's routing and hooks (the v1 discovery routes).
 * With `tls` it serves HTTPS: the files are read when the server gets ready (before it listens;
 * an unreadable file fails the listen) and again when they change, new connections getting the
 * new certificate.
 */
export function createHttpServer(
  logger: PinoLogger,
  limits: HttpLimits = DEFAULT_HTTP_LIMITS,
  fastPath?: FastPath,
  tls?: ServerTls,
): FastifyInstance {
  const httpOptions = {
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    // Node looks for late requests this often (30 s by default, longer than the timeouts).
    connectionsCheckingInterval: Math.max(
      10,
      Math.min(1000, Math.floor(Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs) / 4)),
    ),
  };
  const app = Fastify({
    // Our own server, so the fast path sees each request first; its timeouts are set here (fastify
    // applies its own timeout options only to a server it creates).
    serverFactory: (handler: http.RequestListener) => {
      // Returns nothing: Node's emit looks for a promise in whatever a listener returns.
      const listener: http.RequestListener = fastPath
        ? (request, response) => {
            if (!fastPath(request, response)) handler(request, response);
          }
        : handler;
      const server = tls
        ? https.createServer(
            { ...httpOptions, requestCert: tls.requestCert, rejectUnauthorized: tls.requireClientCert },
            listener,
          )
        : http.createServer(httpOptions, listener);
      server.requestTimeout = limits.requestTimeoutMs;
      // One idle timer per connection, refreshed by its traffic, closes it after idleTimeoutMs
      // without any: between keep-alive requests, and during one whose answer the client stops
      // reading. Node's keep-alive timeout would add a timer of its own after every response,
      // and have the idle one set anew at every request (two timers made per poll): it is off.
      server.keepAliveTimeout = 0;
      server.setTimeout(limits.idleTimeoutMs);
      return server;
    },
    loggerInstance: logger,
    logController: new LogController({ disableRequestLogging: true }),
    routerOptions: { maxParamLength: 2048 },
    return503OnClosing: true,
    clientErrorHandler: answerClientError,
    schemaController: { compilersFactory: NO_SCHEMA_COMPILERS },
  }) as unknown as FastifyInstance;

  app.decorate('repeatedErrors', new RepeatedEvents());
  if (tls) followCertificates(app, tls);
  app.server.maxConnections = limits.maxConnections;
  app.server.on('drop', () => {
    const leftOut = app.repeatedErrors.admit('connection refused');
    if (leftOut === undefined) return;
    app.log.warn(
      { maxConnections: limits.maxConnections, ...leftOutFields(leftOut) },
      `refused a connection: ${limits.maxConnections} are open, the most this listener takes`,
    );
  });

  app.addHook('onRequest', (_request, reply, done) => {
    reply.header('x-content-type-options', 'nosniff');
    done();
  });
  app.setNotFoundHandler((request, reply) => {
    sendLine(reply, 404, `no such endpoint: ${request.method} ${clientText(request.url)}`);
  });
  // fastify's own errors (a body too large, a content type it cannot parse) are the client's:
  // they carry a 4xx status. Anything else is ours.
  app.setErrorHandler((error, request, reply) => {
    const status = (error as { statusCode?: unknown }).statusCode;
    const clients = typeof status === 'number' && status >= 400 && status < 500;
    respondWithError(reply, clients ? new HttpError(status, (error as Error).message) : error, request);
  });
  return app;
}

/** Reads the TLS files before listening, swaps the secure context when they change, stops at close. */
function followCertificates(app: FastifyInstance, tls: ServerTls): void {
  const server = app.server as unknown as https.Server;
  const unfollow = tls.onChange((context) => server.setSecureContext(context));
  app.addHook('onReady', async () => {
    server.setSecureContext(await tls.start());
  });
  app.addHook('onClose', async () => {
    unfollow();
    tls.stop();
  });
}

/**
 * What Node cannot hand to fastify as a request: a malformed one (400), headers too large (431),
 * one that did not arrive within the request or headers timeout (408). One line, then close.
 */
function answerClientError(error: NodeJS.ErrnoException, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, reason] =
    error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? [408, 'the request did not arrive in time']
      : error.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'the request headers are too large']
        : [400, 'not a well-formed HTTP request'];
  const body = `${reason}\n`;
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\n` +
        `Content-Type: text/plain; charset=utf-8\r\nX-Content-Type-Options: nosniff\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}

/** Listens on `host:port` and returns the bound address (the port is real when 0 was asked for). */
export async function listenOn(app: FastifyInstance, address: string): Promise<string> {
  const { host, port } = parseListenAddress(address);
  await app.listen({ host, port });
  const bound = app.server.address();
  if (bound === null || typeof bound === 'string') return address;
  return formatHostPort(host, bound.port);
}
