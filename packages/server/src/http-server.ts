import http from 'node:http';
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import type { Logger as PinoLogger } from 'pino';
import { formatHostPort, parseListenAddress } from './listen-address';

/** Answers a request before fastify sees it, or returns false to let fastify have it. */
export type FastPath = (request: http.IncomingMessage, response: http.ServerResponse) => boolean;

/**
 * A fastify instance as every Sextant listener wants it: the daemon's pino logger, no
 * per-request log lines (a fleet polls every second), room for long node ids and service keys
 * in path segments, and plain-text 404s.
 */
export function createHttpServer(logger: PinoLogger, fastPath?: FastPath): FastifyInstance {
  const app = Fastify({
    ...(fastPath && {
      serverFactory: (handler: http.RequestListener) =>
        http.createServer((request, response) => {
          if (!fastPath(request, response)) handler(request, response);
        }),
    }),
    loggerInstance: logger,
    logController: new LogController({ disableRequestLogging: true }),
    routerOptions: { maxParamLength: 2048 },
    return503OnClosing: true,
  });
  app.setNotFoundHandler((request, reply) => {
    reply
      .code(404)
      .type('text/plain; charset=utf-8')
      .send(`no such endpoint: ${request.method} ${request.url}\n`);
  });
  return app as unknown as FastifyInstance;
}

/** Listens on `host:port` and returns the bound address (the port is real when 0 was asked for). */
export async function listenOn(app: FastifyInstance, address: string): Promise<string> {
  const { host, port } = parseListenAddress(address);
  await app.listen({ host, port });
  const bound = app.server.address();
  if (bound === null || typeof bound === 'string') return address;
  return formatHostPort(host, bound.port);
}
