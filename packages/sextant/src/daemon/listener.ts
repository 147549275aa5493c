import type { FastifyInstance } from 'fastify';
import { listenOn, type XdsServer } from '@sextant/server';

/** Something the daemon opens at start and closes at shutdown: an HTTP or gRPC listener. */
export interface Listener {
  /** What it serves, for logs and errors: `discovery`, `admin`, `xds`. */
  readonly name: string;
  /** Starts listening; resolves with the bound host:port. */
  start(): Promise<string>;
  /**
   * Binds `address` while the current address still accepts (a reload that moves the listener).
   * Nothing is given up until `commit`; `rollback` closes the new address, as if never asked.
   */
  move(address: string): Promise<ListenerMove>;
  /** Stops accepting, lets in-flight requests finish, then closes. */
  stop(): Promise<void>;
}

export interface ListenerMove {
  readonly bound: string;
  /** Stops accepting on the old address; resolves once what was in flight there is done. */
  commit(): Promise<void>;
  rollback(): Promise<void>;
}

/**
 * An HTTP listener. A fastify instance listens once, so moving it builds another from `create`
 * (the same routes over the same state) and closes the old one on commit.
 */
export function httpListener(name: string, create: () => FastifyInstance, address: string): Listener {
  let app = create();
  return {
    name,
    start: () => listenOn(app, address),
    async move(next) {
      const moved = create();
      let bound: string;
      try {
        bound = await listenOn(moved, next);
      } catch (error) {
        await moved.close();
        throw error;
      }
      return {
        bound,
        commit: () => {
          const old = app;
          app = moved;
          return old.close();
        },
        rollback: () => moved.close(),
      };
    },
    stop: () => app.close(),
  };
}

/**
 * The xDS listener. Moving it keeps one gRPC server: the new address feeds it too, the old one
 * stops accepting on commit, and streams already open stay.
 */
export function xdsListener(xds: XdsServer, address: string): Listener {
  let current: string | undefined;
  return {
    name: 'xds',
    start: async () => (current = await xds.listen(address)),
    async move(next) {
      const bound = await xds.listen(next);
      return {
        bound,
        commit: async () => {
          if (current !== undefined) xds.stopListening(current);
          current = bound;
        },
        rollback: async () => xds.stopListening(bound),
      };
    },
    // Stops accepting, ends every stream so clients reconnect elsewhere, cuts the rest after its
    // grace time (shorter than the daemon's shutdown deadline).
    stop: () => xds.close(),
  };
}
