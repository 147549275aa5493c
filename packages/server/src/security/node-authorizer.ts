import type { Socket } from 'node:net';
import { TLSSocket, type PeerCertificate } from 'node:tls';
import { clientText, type ProxyIdentity } from '@sextant/core';
import type { Logger as PinoLogger } from 'pino';
import { Counter, type Registry as PromRegistry } from 'prom-client';
import { HttpError } from '../http-errors';
import { leftOutFields, RepeatedEvents } from '../repeated-events';
import { authorizeNode } from './node-authorization';
import { spiffeIdentities, type SpiffeIdentity } from './spiffe-id';

/** A client asked for the configuration of a node its certificate is not for. */
export class NodeAccessDenied extends Error {
  override readonly name = 'NodeAccessDenied';
}

/**
 * Strict node authorization at the discovery and xDS listeners (see node-authorization.ts for
 * the mapping): a refusal is counted (`sextant_node_authorization_denied_total{api}`) and
 * logged, the same refusal at most once a minute. One per daemon, shared by the listeners.
 */
export class NodeAuthorizer {
  private readonly denied: Counter<'api'>;
  private readonly repeats: RepeatedEvents;
  /** A connection's identities, read from its certificate once. */
  private readonly bySocket = new WeakMap<TLSSocket, readonly SpiffeIdentity[]>();

  constructor(
    prometheus: PromRegistry,
    private readonly logger: PinoLogger,
    now?: () => number,
  ) {
    this.denied = new Counter({
      name: 'sextant_node_authorization_denied_total',
      help: 'Requests and streams refused because the client certificate is not for the node id asked for, by API.',
      labelNames: ['api'],
      registers: [prometheus],
    });
    this.repeats = new RepeatedEvents({ now });
  }

  /** The SPIFFE identities of a connection's verified client certificate (none if unverified). */
  socketIdentities(socket: TLSSocket): readonly SpiffeIdentity[] {
    let identities = this.bySocket.get(socket);
    if (identities === undefined) {
      identities = socket.authorized ? spiffeIdentities(socket.getPeerCertificate()) : [];
      this.bySocket.set(socket, identities);
    }
    return identities;
  }

  /** The identities of a verified certificate, as grpc-js hands it over. */
  certificateIdentities(certificate: PeerCertificate | undefined): readonly SpiffeIdentity[] {
    return spiffeIdentities(certificate);
  }

  /** Throws NodeAccessDenied (message for the client) unless `identities` may be served as `proxy`. */
  check(identities: readonly SpiffeIdentity[], proxy: ProxyIdentity, api: string, peer: string): void {
    const decision = authorizeNode(identities, proxy);
    if (decision.allowed) return;
    this.denied.inc({ api });
    const node = clientText(proxy.raw, 200);
    const leftOut = this.repeats.admit(`${api} ${node} ${identities.map((i) => i.uri).join(' ')}`);
    if (leftOut !== undefined) {
      this.logger.warn(
        { api, node, peer, identities: identities.map((i) => i.uri), ...leftOutFields(leftOut) },
        `node authorization denied: ${decision.reason}`,
      );
    }
    throw new NodeAccessDenied(`not authorized for node "${node}": ${decision.reason}`);
  }
}

/**
 * Checks a REST request's node against the certificate of its connection; throws HttpError 403
 * when it is not for that node. A connection without a verified certificate has no identity.
 */
export type NodeGate = (socket: Socket, proxy: ProxyIdentity, api: string) => void;

export function httpNodeGate(authorizer: NodeAuthorizer): NodeGate {
  return (socket, proxy, api) => {
    const identities = socket instanceof TLSSocket ? authorizer.socketIdentities(socket) : [];
    try {
      authorizer.check(identities, proxy, api, `${socket.remoteAddress ?? ''}:${socket.remotePort ?? ''}`);
    } catch (error) {
      if (error instanceof NodeAccessDenied) throw new HttpError(403, error.message);
      throw error;
    }
  };
}
