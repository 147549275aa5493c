import type { FastifyInstance } from 'fastify';
import { listenOn } from '@sextant/server';

/** Something the daemon opens at start and closes at shutdown: an HTTP or gRPC listener. */
export interface Listener {
  /** What it serves, for logs and errors: `discovery`, `admin`, `xds`. */
  readonly name: string;
  /** Starts listening; resolves with the bound host:port. */
  start(): Promise<string>;
  /** Stops accepting, lets in-flight requests finish, then closes. */
  stop(): Promise<void>;
}

export function httpListener(name: string, app: FastifyInstance, address: string): Listener {
  return {
    name,
    start: () => listenOn(app, address),
    stop: () => app.close(),
  };
}
