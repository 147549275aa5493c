import type { IncomingMessage } from 'node:http';
import { clientText } from '@sextant/core';
import type { Logger as PinoLogger } from 'pino';
import { Gauge, type Registry as PromRegistry } from 'prom-client';
import type { MeshState } from '../mesh-state';
import { leftOutFields, RepeatedEvents } from '../repeated-events';
import type { ProxyStatus } from '../xds/proxy-status';
import { POLLER_TEXT_MAX, RestPollers, type PollerStatus, type RestKind } from './rest-pollers';

export interface FleetOptions {
  /** How long a disconnected client stays listed (closed streams, pollers gone quiet). */
  readonly retentionMs?: number;
  /** REST pollers, and closed streams, remembered at most (each); the least recently seen go first. */
  readonly maxTracked?: number;
  readonly now?: () => number;
}

export const DEFAULT_PROXY_RETENTION_MS = 600_000;
export const DEFAULT_MAX_TRACKED_CLIENTS = 20_000;

/**
 * A poller not seen for this long is shown `disconnected` and no longer counted as connected:
 * Envoy v1 polls at least every minute with its default refresh delay and jitter.
 */
export const POLLER_QUIET_MS = 120_000;

/** What the xDS server exposes of its open streams. */
export interface OpenStreams {
  list(node?: string): ProxyStatus[];
  countByKind(): Map<string, number>;
}

/** One entry of /debug/proxies. */
export type ClientStatus = ProxyStatus | PollerStatus;

/**
 * Every client of this daemon, for /debug/proxies and the sextant_clients gauge: the open xDS
 * streams (the xDS server's), streams closed within the retention window, and the REST pollers
 * seen within it. Memory is bounded whatever clients send: closed streams and pollers are
 * capped (least recently seen first out) and every text they carry is cut.
 */
export class Fleet {
  readonly retentionMs: number;
  private readonly maxTracked: number;
  private readonly now: () => number;
  private readonly pollers: RestPollers;
  /** Closed streams by stream id, oldest first. */
  private readonly closed = new Map<number, { view: ProxyStatus; at: number }>();
  private streams: OpenStreams | undefined;
  private readonly repeats: RepeatedEvents;

  constructor(
    private readonly mesh: MeshState,
    private readonly logger: PinoLogger,
    prometheus: PromRegistry,
    options: FleetOptions = {},
  ) {
    this.retentionMs = options.retentionMs ?? DEFAULT_PROXY_RETENTION_MS;
    this.maxTracked = options.maxTracked ?? DEFAULT_MAX_TRACKED_CLIENTS;
    this.now = options.now ?? Date.now;
    this.pollers = new RestPollers(this.maxTracked);
    this.repeats = new RepeatedEvents({ now: this.now });
    const counts = () => this.connectedByKind();
    new Gauge({
      name: 'sextant_clients',
      help: `Connected clients by kind: xDS streams (envoy, grpc, unknown) and REST pollers seen in the last ${POLLER_QUIET_MS / 1000} s (rest-v1, rest-v3).`,
      labelNames: ['kind'],
      registers: [prometheus],
      collect() {
        this.reset();
        for (const kind of ['envoy', 'grpc', 'rest-v1', 'rest-v3']) this.set({ kind }, 0);
        for (const [kind, count] of counts()) this.set({ kind }, count);
      },
    });
  }

  /** The xDS server registers its open streams. */
  attachStreams(streams: OpenStreams): void {
    this.streams = streams;
  }

  /** A stream closed: listed as disconnected for the retention window. */
  streamClosed(view: ProxyStatus): void {
    const now = this.now();
    this.closed.set(view.stream, { view: retained(view), at: now });
    this.forgetOld(now);
    if (this.closed.size > this.maxTracked) {
      const oldest = this.closed.keys().next().value;
      if (oldest !== undefined) this.closed.delete(oldest);
    }
  }

  /** The key of a v1 poller, to compute once per URL. */
  static v1Key(cluster: string, node: string): string {
    return RestPollers.key('rest-v1', cluster, node);
  }

  /**
   * A v1 poll answered from snapshot `version`. Called for every poll: no allocation beyond the
   * first poll of a poller.
   */
  v1Polled(
    key: string,
    cluster: string,
    node: string,
    api: string,
    version: string,
    request: IncomingMessage,
  ): void {
    this.polled(key, 'rest-v1', cluster, node, api, version, version, request);
  }

  /** A v3 REST-JSON poll answered with resources of digest `version` from snapshot `snapshot`. */
  v3Polled(
    node: string,
    cluster: string,
    type: string,
    version: string,
    snapshot: string,
    request: IncomingMessage,
  ): void {
    this.polled(
      RestPollers.key('rest-v3', cluster, node),
      'rest-v3',
      cluster,
      node,
      type,
      version,
      snapshot,
      request,
    );
  }

  /** Every client, or those of one node id: open streams, then closed ones, then REST pollers. */
  list(node?: string): ClientStatus[] {
    const now = this.now();
    this.forgetOld(now);
    const open = this.streams?.list(node) ?? [];
    const closed = [...this.closed.values()]
      .map((c) => c.view)
      .filter((view) => node === undefined || view.node === node)
      .reverse();
    const current = this.mesh.current()?.version;
    return [...open, ...closed, ...this.pollers.list(current, now, now - POLLER_QUIET_MS, node)];
  }

  /** Connected clients by kind (open streams, pollers seen lately). */
  connectedByKind(): Map<string, number> {
    const counts = new Map(this.streams?.countByKind() ?? []);
    for (const [kind, count] of this.pollers.countSeenSince(this.now() - POLLER_QUIET_MS))
      counts.set(kind, count);
    return counts;
  }

  private polled(
    key: string,
    kind: RestKind,
    cluster: string,
    node: string,
    type: string,
    version: string,
    snapshot: string,
    request: IncomingMessage,
  ): void {
    const now = this.now();
    const address = request.socket.remoteAddress ?? '';
    const agent = request.headers['user-agent'] ?? '';
    const isNew = this.pollers.seen(key, kind, cluster, node, type, version, snapshot, address, agent, now);
    if (!isNew) return;
    this.pollers.forgetSilentSince(now - this.retentionMs);
    const evicted = this.pollers.takeEvicted();
    if (evicted > 0) {
      // At the cap, new pollers come and go faster than they can be listed: one line a minute.
      const leftOut = this.repeats.admit('pollers evicted');
      if (leftOut !== undefined)
        this.logger.warn(
          { maxTracked: this.maxTracked, ...leftOutFields(leftOut) },
          `tracking ${this.maxTracked} REST pollers, the most it keeps: the least recently seen are forgotten`,
        );
      return;
    }
    const shown = clientText(node);
    this.logger.info(
      { node: shown, kind, address, agent: clientText(agent) },
      `${kind} client ${shown} first seen`,
    );
  }

  private forgetOld(now: number): void {
    const before = now - this.retentionMs;
    for (const [id, entry] of this.closed) {
      if (entry.at >= before) break;
      this.closed.delete(id);
    }
    this.pollers.forgetSilentSince(before);
  }
}

/** A closed stream's view with the client's text cut, to keep for the retention window. */
function retained(view: ProxyStatus): ProxyStatus {
  const cut = (text: string) => (text.length > POLLER_TEXT_MAX ? text.slice(0, POLLER_TEXT_MAX) : text);
  return {
    ...view,
    node: view.node === null ? null : cut(view.node),
    cluster: cut(view.cluster),
    agent: cut(view.agent),
    proxy: view.proxy && {
      type: cut(view.proxy.type),
      ip: view.proxy.ip,
      domain: cut(view.proxy.domain),
    },
  };
}
