import net, { type AddressInfo } from 'node:net';
import {
  Server,
  ServerCredentials,
  type ServerDuplexStream,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import type { Snapshot } from '@sextant/core';
import {
  snapshotChange,
  type DeltaDiscoveryRequest,
  type DiscoveryRequest,
  type Renderer,
  type ResourceTypeUrl,
} from '@sextant/envoy';
import type { Logger as PinoLogger } from 'pino';
import type { Registry as PromRegistry } from 'prom-client';
import { formatHostPort, parseListenAddress } from '../listen-address';
import { ReloadingServerCredentials } from '../security/grpc-credentials';
import type { NodeAuthorizer } from '../security/node-authorizer';
import type { ServerTls } from '../security/server-tls';
import type { MeshState } from '../mesh-state';
import type { Fleet } from '../fleet/fleet';
import type { GrpcService } from '../ca/certificate-service';
import { Convergence } from './convergence';
import { releaseDecodedChunks, writePreFramed } from './grpc-js-call';
import { DeltaStream } from './delta-stream';
import { leftOutFields, RepeatedEvents } from '../repeated-events';
import { RecentNameLists } from './name-lists';
import { proxyStatus, type ProxyStatus } from './proxy-status';
import { SharedResponses } from './shared-responses';
import { SotwStream } from './sotw-stream';
import { SharedNameSets } from './subscription';
import { NO_TYPES, typeSetOf, type TypeSet } from './type-set';
import { SubscriptionIndex } from './subscription-index';
import { serviceDefinition, XDS_METHODS, type EncodedResponse, type XdsMethod } from './wire';
import { DEFAULT_XDS_LIMITS, type XdsLimits } from './xds-limits';
import { XdsMetrics } from './xds-metrics';
import type { SnapshotFollower, TypeSubscriber, XdsContext } from './xds-stream';

export interface XdsServerOptions {
  /** Streams brought up to date per turn of the event loop during a push (others' requests go between). */
  readonly pushBatch?: number;
  /** How long shutdown waits for streams to close before cutting connections. */
  readonly shutdownGraceMs?: number;
  readonly limits?: XdsLimits;
  readonly now?: () => number;
  /** Serve gRPC over TLS with these files (read at listen, followed while listening). */
  readonly tls?: ServerTls;
  /** Serve a node only to a client whose certificate is for it (strict node authorization). */
  readonly authorizer?: NodeAuthorizer;
  /** Where closed streams are kept for /debug/proxies (and open ones are listed from). */
  readonly fleet?: Fleet;
  /** More services on the same listener (the CA's CreateCertificate). */
  readonly services?: readonly GrpcService[];
}

type AnyStream = SotwStream | DeltaStream;

/**
 * Envoy's v3 discovery services over gRPC: ADS (state-of-the-world and delta) and the per-type
 * services, all fed from the registry's snapshots. A new snapshot is pushed only to the streams
 * its changes concern (found through the subscription index), each resource encoded once and
 * shared by every stream that receives it.
 */
export class XdsServer {
  private readonly grpc: Server;
  private readonly streams = new Set<AnyStream>();
  private readonly index = new SubscriptionIndex<TypeSubscriber>();
  private readonly context: XdsContext;
  private readonly unsubscribe: () => void;
  private readonly graceMs: number;
  private readonly limits: XdsLimits;
  /**
   * Accept connections (and refuse those past the cap), handing them to grpc-js, by bound address:
   * two while a reload moves the listener, the new one bound before the old one stops accepting.
   */
  private readonly listeners = new Map<string, net.Server>();
  private readonly tls: ServerTls | undefined;
  private credentials: ReloadingServerCredentials | undefined;
  private processed: Snapshot | undefined;
  private nextId = 0;
  /** Streams a snapshot concerns that have not been brought up to date yet, with the types concerned. */
  private readonly pushQueue = new Map<SnapshotFollower, TypeSet>();
  private pushStartedAt: bigint | undefined;
  private readonly pushBatch: number;
  private readonly fleet: Fleet | undefined;
  readonly metrics: XdsMetrics;

  constructor(
    mesh: MeshState,
    renderer: Renderer,
    prometheus: PromRegistry,
    logger: PinoLogger,
    options: XdsServerOptions = {},
  ) {
    const now = options.now ?? Date.now;
    this.graceMs = options.shutdownGraceMs ?? 3000;
    // 50: at 5,000 streams on a 1,000-service mesh, a v1 request waited at most one batch (p99
    // 35-40 ms during pushes against 48-91 ms with 200), and the push took no longer (bench xds-streams).
    this.pushBatch = options.pushBatch ?? 50;
    this.limits = options.limits ?? DEFAULT_XDS_LIMITS;
    this.tls = options.tls;
    const authorizer = options.authorizer;
    this.metrics = new XdsMetrics(prometheus, () => this.streamCounts());
    this.context = {
      current: () => this.processed,
      renderer: renderer.v3,
      responses: new SharedResponses(renderer.cache),
      nameSets: new SharedNameSets(),
      index: this.index,
      metrics: this.metrics,
      logger: logger.child({ listener: 'xds' }),
      limits: this.limits,
      repeats: new RepeatedEvents({ now }),
      convergence: new Convergence<TypeSubscriber>(this.metrics.convergenceSeconds, now),
      now,
      ...(authorizer && {
        authorize: (client, call, peer) => {
          // grpc-js hands over the certificate only when the handshake verified it.
          const certificate = call.getAuthContext().sslPeerCertificate;
          authorizer.check(authorizer.certificateIdentities(certificate), client.proxy, 'xds', peer);
        },
      }),
    };
    this.fleet = options.fleet;
    this.fleet?.attachStreams({ list: (node) => this.proxies(node), countByKind: () => this.countByKind() });
    const limits = this.limits;
    this.grpc = new Server({
      // Nothing reads grpc-js's channelz registry; without it, no per-connection and per-message bookkeeping.
      'grpc.enable_channelz': 0,
      // Find clients that vanished without closing (a crashed VM keeps no stream open for ever)…
      'grpc.keepalive_time_ms': 30_000,
      'grpc.keepalive_timeout_ms': 10_000,
      // …and let clients probe us as often as Envoy's and gRPC's keepalive defaults do.
      'grpc.http2.min_ping_interval_without_data_ms': 5_000,
      'grpc.keepalive_permit_without_calls': 1,
      'grpc.max_concurrent_streams': limits.maxStreamsPerConnection,
      'grpc.max_connection_idle_ms': limits.idleTimeoutMs,
      ...(limits.maxConnectionAgeMs > 0
        ? {
            'grpc.max_connection_age_ms': limits.maxConnectionAgeMs,
            'grpc.max_connection_age_grace_ms': limits.maxConnectionAgeGraceMs,
          }
        : {}),
      // grpc-node.max_session_memory is left unbounded, as grpc-js leaves it: Node counts a
      // session's outbound buffers against it, and a large push to a slow client would trip it.
    });
    const byService = new Map<string, XdsMethod[]>();
    for (const method of XDS_METHODS)
      byService.set(method.service, [...(byService.get(method.service) ?? []), method]);
    const names = new RecentNameLists();
    for (const [service, methods] of byService) {
      const implementation: UntypedServiceImplementation = {};
      for (const method of methods) {
        implementation[method.method] = (call: ServerDuplexStream<unknown, EncodedResponse>) =>
          this.accept(method, call);
      }
      this.grpc.addService(serviceDefinition(service, methods, names), implementation);
    }
    for (const service of options.services ?? [])
      this.grpc.addService(service.definition, service.implementation);
    this.processed = mesh.current();
    this.unsubscribe = mesh.onSnapshot((snapshot) => this.onSnapshot(snapshot));
  }

  /**
   * Starts listening on `host:port`; resolves with the bound address. The socket is Sextant's
   * own (grpc-js has no connection cap): it refuses connections past `limits.maxConnections` as
   * they arrive and hands the others to grpc-js. With TLS, the files are read first (an
   * unreadable one rejects) and grpc-js does the handshakes.
   */
  async listen(address: string): Promise<string> {
    const { host, port } = parseListenAddress(address);
    // One set of credentials for every address (a reload may bind a second one while the first serves).
    if (this.tls && !this.credentials) {
      await this.tls.start();
      this.credentials = new ReloadingServerCredentials(this.tls);
    }
    const credentials = this.credentials ?? ServerCredentials.createInsecure();
    const injector = this.grpc.createConnectionInjector(credentials);
    const listener = net.createServer((socket) => injector.injectConnection(socket));
    listener.maxConnections = this.limits.maxConnections;
    listener.on('drop', () => {
      const leftOut = this.context.repeats.admit('connection refused');
      if (leftOut === undefined) return;
      this.context.logger.warn(
        { maxConnections: this.limits.maxConnections, ...leftOutFields(leftOut) },
        `refused a connection: ${this.limits.maxConnections} are open, the most this listener takes`,
      );
    });
    return new Promise((resolve, reject) => {
      listener.once('error', reject);
      listener.listen({ host, port }, () => {
        listener.off('error', reject);
        const bound = formatHostPort(host, (listener.address() as AddressInfo).port);
        this.listeners.set(bound, listener);
        resolve(bound);
      });
    });
  }

  /**
   * Stops accepting on one address `listen` bound. The connections open there stay, with their
   * streams: a client is moved only when it reconnects.
   */
  stopListening(bound: string): void {
    this.listeners.get(bound)?.close();
    this.listeners.delete(bound);
  }

  /**
   * Stops accepting, ends every stream normally (clients reconnect, to another replica if they
   * have one, keeping their configuration meanwhile), and cuts what is left after the grace time.
   */
  close(): Promise<void> {
    this.unsubscribe();
    this.pushQueue.clear();
    this.context.convergence.clear();
    // Stop accepting; the connections already open are grpc-js's to close, below.
    for (const listener of this.listeners.values()) listener.close();
    this.listeners.clear();
    this.credentials?.close();
    this.tls?.stop();
    return new Promise((resolve) => {
      const force = setTimeout(() => {
        this.grpc.forceShutdown();
        resolve();
      }, this.graceMs);
      this.grpc.tryShutdown(() => {
        clearTimeout(force);
        resolve();
      });
      for (const stream of [...this.streams]) stream.end();
    });
  }

  /** Whether a push is under way: streams a snapshot concerns are still being brought up to date. */
  pushing(): boolean {
    return this.pushQueue.size > 0;
  }

  /** How many streams hold a subscription to `typeUrl` whose latest response the client has ACKed. */
  upToDate(typeUrl: ResourceTypeUrl): number {
    let count = 0;
    for (const stream of this.streams) {
      for (const subscriber of stream.subscribers()) {
        if (subscriber.typeUrl === typeUrl && subscriber.status.upToDate()) count += 1;
      }
    }
    return count;
  }

  /** Every open stream for /debug/proxies; given a node id, its streams with their subscribed names. */
  proxies(node?: string): ProxyStatus[] {
    const now = this.context.now();
    return [...this.streams]
      .filter((s) => node === undefined || s.client?.id === node)
      .sort((a, b) => (a.client?.id ?? '').localeCompare(b.client?.id ?? '') || a.id - b.id)
      .map((s) => proxyStatus(s, now, node !== undefined));
  }

  private accept(method: XdsMethod, call: ServerDuplexStream<unknown, EncodedResponse>): void {
    this.nextId += 1;
    releaseDecodedChunks(call);
    writePreFramed(call);
    const onClose = () => {
      this.streams.delete(stream);
      this.pushQueue.delete(stream);
      const now = this.context.now();
      if (stream.client) this.fleet?.streamClosed(proxyStatus(stream, now, false, now));
    };
    const stream: AnyStream =
      method.protocol === 'sotw'
        ? new SotwStream(
            this.nextId,
            method,
            call as ServerDuplexStream<DiscoveryRequest, EncodedResponse>,
            this.context,
            onClose,
          )
        : new DeltaStream(
            this.nextId,
            method,
            call as ServerDuplexStream<DeltaDiscoveryRequest, EncodedResponse>,
            this.context,
            onClose,
          );
    this.streams.add(stream);
  }

  /**
   * Queues every stream the snapshot concerns and brings them up to date a batch per turn of the
   * event loop, so a push to thousands of streams never holds up v1 polls and REST requests for
   * its whole duration. Streams render from the latest snapshot when their turn comes, so a
   * snapshot published during a push is folded into it.
   */
  private onSnapshot(next: Snapshot): void {
    const change = snapshotChange(this.processed, next);
    this.processed = next;
    const concerned = [...this.index.concerned(change)];
    this.context.convergence.start(next.changedSince, concerned);
    for (const subscriber of concerned) {
      const types = this.pushQueue.get(subscriber.stream) ?? NO_TYPES;
      this.pushQueue.set(subscriber.stream, types | typeSetOf(subscriber.typeUrl));
    }
    if (this.pushStartedAt === undefined && this.pushQueue.size > 0) {
      this.pushStartedAt = process.hrtime.bigint();
      this.pushBatchOfStreams();
    }
  }

  private pushBatchOfStreams(): void {
    let done = 0;
    for (const [stream, types] of this.pushQueue) {
      if (done >= this.pushBatch) break;
      this.pushQueue.delete(stream);
      done += 1;
      try {
        stream.onSnapshot(types);
      } catch (error) {
        this.context.logger.error({ err: error }, 'pushing a snapshot to an xDS stream failed');
      }
    }
    if (this.pushQueue.size > 0) {
      setImmediate(() => this.pushBatchOfStreams());
      return;
    }
    const started = this.pushStartedAt ?? process.hrtime.bigint();
    this.pushStartedAt = undefined;
    this.metrics.pushSeconds.observe(Number(process.hrtime.bigint() - started) / 1e9);
  }

  /** Open streams by client kind. */
  private countByKind(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const stream of this.streams) {
      const kind = stream.client?.kind ?? 'unknown';
      counts.set(kind, (counts.get(kind) ?? 0) + 1);
    }
    return counts;
  }

  private streamCounts(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const stream of this.streams) {
      const key = `${stream.protocol} ${stream.client?.kind ?? 'unknown'}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    return counts;
  }
}
