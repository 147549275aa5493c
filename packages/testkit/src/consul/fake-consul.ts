import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { AclTable } from './acl';
import type { ConfigEntryInput } from './config-entries';
import { BlockingQueries } from './blocking-queries';
import { handleConsulRequest, type ConsulWorld } from './consul-routes';
import { DatacenterState } from './datacenter-state';
import { FaultPlan } from './fault-plan';
import type { CheckStatus, FakeCheckInput, FakeNodeInput, FakeServiceInput, FakeTokenPolicy } from './types';

export interface FakeConsulOptions {
  /** Datacenters served (`?dc=`, /v1/catalog/datacenters); the first is the agent's own. Default `['dc1']`. */
  readonly datacenters?: readonly string[];
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** Default: a free port chosen by the OS (kept across stop/start). */
  readonly port?: number;
  /** Raft index of the first write in each datacenter. Default 10. */
  readonly firstIndex?: number;
  /** Turn ACLs on from the start (they also turn on with the first `setToken`). */
  readonly acl?: { readonly defaultPolicy?: 'allow' | 'deny' };
  /** Serve HTTPS with this PEM key and certificate; with `ca`, require client certificates it signed. */
  readonly tls?: {
    readonly key: string | Buffer;
    readonly cert: string | Buffer;
    readonly ca?: string | Buffer;
  };
  /** Register the servers' own `consul` service in each datacenter, as Consul always has it. Default true. */
  readonly consulService?: boolean;
  /** Source of the wait jitter. Default Math.random. */
  readonly random?: () => number;
}

/** One instance for `addInstance`: a node (created if new) running the service, with one service check. */
export interface FakeInstanceSpec {
  readonly service: string;
  /** The node's address. */
  readonly address: string;
  /** Default `node-<address>`. */
  readonly node?: string;
  /** Default `<service>-<address>-<port>`. */
  readonly id?: string;
  /** The instance's own address; default `""` (clients then use the node's). */
  readonly serviceAddress?: string;
  readonly port?: number;
  readonly tags?: readonly string[];
  readonly meta?: Readonly<Record<string, string>>;
  readonly nodeMeta?: Readonly<Record<string, string>>;
  readonly weights?: { readonly passing: number; readonly warning: number };
  readonly kind?: string;
  /** Status of its service check `service:<id>`; `null` for no check at all. Default `passing`. */
  readonly status?: CheckStatus | null;
  readonly datacenter?: string;
}

/** Where an instance lives, to change or remove it later. */
export interface FakeInstanceRef {
  readonly datacenter: string;
  readonly node: string;
  readonly id: string;
  readonly service: string;
}

/** One request the fake received. */
export interface FakeRequestRecord {
  readonly method: string;
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  /** Whether it carried a token (never the token itself). */
  readonly token: boolean;
}

/**
 * A fake Consul agent speaking Consul's HTTP API on a real socket: catalog and health reads with
 * blocking queries, ACL tokens, several datacenters, catalog registration, and faults a test can
 * inject at the protocol level (error answers, hung connections, indexes going backwards or to 0,
 * a restart that drops every connection). Shapes follow ../shared/spec/fixtures/consul-*.json.
 */
export class FakeConsul {
  readonly faults = new FaultPlan();
  readonly acl = new AclTable();
  /** Every request received, in order. */
  readonly requests: FakeRequestRecord[] = [];
  private readonly datacenters = new Map<string, DatacenterState>();
  private readonly blocking: BlockingQueries;
  private readonly sockets = new Set<Socket>();
  private readonly world: ConsulWorld;
  private server: Server | undefined;
  private boundPort: number;
  private active = 0;
  private peakActive = 0;
  private peakSockets = 0;
  private connectionCount = 0;

  private constructor(private readonly options: FakeConsulOptions) {
    this.blocking = new BlockingQueries(options.random);
    if (options.acl) {
      this.acl.enabled = true;
      this.acl.defaultPolicy = options.acl.defaultPolicy ?? 'allow';
    }
    const names = options.datacenters ?? ['dc1'];
    if (names.length === 0) throw new Error('a fake Consul needs at least one datacenter');
    for (const name of names) this.addDatacenter(name);
    this.boundPort = options.port ?? 0;
    const blocking = this.blocking;
    this.world = {
      datacenters: this.datacenters,
      localDatacenter: names[0] as string,
      agentNode: 'consul-server',
      acl: this.acl,
      faults: this.faults,
      blocking: this.blocking,
      wrote: (dc) => blocking.wake(dc),
    };
  }

  /** Starts a fake agent listening on a free port (or `options.port`). */
  static async start(options: FakeConsulOptions = {}): Promise<FakeConsul> {
    const fake = new FakeConsul(options);
    await fake.listen();
    return fake;
  }

  /** `http://127.0.0.1:<port>` (or https). */
  get url(): string {
    const scheme = this.options.tls ? 'https' : 'http';
    return `${scheme}://${this.options.host ?? '127.0.0.1'}:${this.boundPort}`;
  }

  get port(): number {
    return this.boundPort;
  }

  /** Whether the listener is up. */
  get running(): boolean {
    return this.server !== undefined;
  }

  /** The agent's own datacenter. */
  get localDatacenter(): string {
    return this.world.localDatacenter;
  }

  /** Adds a datacenter (it shows in /v1/catalog/datacenters at once). */
  addDatacenter(name: string): DatacenterState {
    const existing = this.datacenters.get(name);
    if (existing) return existing;
    const dc = new DatacenterState(name, this.options.firstIndex ?? 10);
    this.datacenters.set(name, dc);
    if (this.options.consulService !== false) {
      dc.registerNode({ node: 'consul-server', address: '127.0.0.1' });
      dc.registerService('consul-server', { id: 'consul', service: 'consul', port: 8300 });
    }
    return dc;
  }

  /** The state of one datacenter, for reads; write through the methods below, which wake watchers. */
  datacenter(name = this.localDatacenter): DatacenterState {
    const dc = this.datacenters.get(name);
    if (!dc) throw new Error(`the fake Consul has no datacenter "${name}"`);
    return dc;
  }

  /** Runs a write against one datacenter's state and wakes its blocked queries. */
  write<T>(datacenter: string | undefined, change: (dc: DatacenterState) => T): T {
    const dc = this.datacenter(datacenter);
    const result = change(dc);
    this.blocking.wake(dc.name);
    return result;
  }

  registerNode(node: FakeNodeInput, datacenter?: string): number {
    return this.write(datacenter, (dc) => dc.registerNode(node));
  }

  registerService(
    node: string,
    service: FakeServiceInput,
    checks: readonly FakeCheckInput[] = [],
    datacenter?: string,
  ): number {
    return this.write(datacenter, (dc) => dc.registerService(node, service, checks));
  }

  /** Registers one instance (and its node, if new) with a service check; returns where it lives. */
  addInstance(spec: FakeInstanceSpec): FakeInstanceRef {
    const datacenter = spec.datacenter ?? this.localDatacenter;
    const node = spec.node ?? `node-${spec.address}`;
    const id = spec.id ?? `${spec.service}-${spec.address}-${spec.port ?? 0}`;
    this.write(datacenter, (dc) => {
      if (!dc.node(node))
        dc.registerNode({ node, address: spec.address, ...(spec.nodeMeta && { meta: spec.nodeMeta }) });
      const status = spec.status === undefined ? 'passing' : spec.status;
      dc.registerService(
        node,
        {
          id,
          service: spec.service,
          ...(spec.tags && { tags: spec.tags }),
          address: spec.serviceAddress ?? '',
          ...(spec.port !== undefined && { port: spec.port }),
          ...(spec.meta && { meta: spec.meta }),
          ...(spec.weights && { weights: spec.weights }),
          ...(spec.kind !== undefined && { kind: spec.kind }),
        },
        status === null
          ? []
          : [{ checkId: `service:${id}`, name: `Service '${spec.service}' check`, status, serviceId: id }],
      );
    });
    return { datacenter, node, id, service: spec.service };
  }

  /** Flips an instance's service check (`critical` takes it out of `?passing`). */
  setInstanceStatus(instance: FakeInstanceRef, status: CheckStatus, output?: string): number {
    return this.write(instance.datacenter, (dc) =>
      dc.setCheckStatus(instance.node, `service:${instance.id}`, status, output),
    );
  }

  /** Flips a node's serfHealth check: every instance on the node follows it. */
  setNodeStatus(node: string, status: CheckStatus, datacenter?: string): number {
    return this.write(datacenter, (dc) => dc.setCheckStatus(node, 'serfHealth', status));
  }

  removeInstance(instance: FakeInstanceRef): number {
    return this.write(instance.datacenter, (dc) => dc.deregisterService(instance.node, instance.id));
  }

  /** An idempotent re-registration: watchers of `service` wake with a new index and an identical body. */
  touchService(service: string, datacenter?: string): number {
    return this.write(datacenter, (dc) => dc.touchService(service));
  }

  /** Sets a KV key (as `PUT /v1/kv/<key>` does) and wakes its watchers; returns the raft index of the write. */
  putKv(key: string, value: string | Buffer, datacenter?: string): number {
    return this.write(datacenter, (dc) => {
      dc.kv.put(key, typeof value === 'string' ? Buffer.from(value) : value);
      return dc.lastIndex;
    });
  }

  /** Deletes a KV key (as `DELETE /v1/kv/<key>` does) and wakes its watchers. */
  deleteKv(key: string, datacenter?: string): number {
    return this.write(datacenter, (dc) => {
      dc.kv.delete(key);
      return dc.lastIndex;
    });
  }

  /** A KV key's value as text, or undefined. */
  kvValue(key: string, datacenter?: string): string | undefined {
    return this.datacenter(datacenter).kv.get(key)?.value?.toString('utf8');
  }

  /** Writes (creates or replaces) a config entry, as `PUT /v1/config` does; returns its ModifyIndex. */
  setConfigEntry(entry: ConfigEntryInput, datacenter?: string): number {
    return this.write(datacenter, (dc) => {
      dc.configEntries.apply(entry);
      return dc.configEntries.index;
    });
  }

  /** Deletes a config entry, as `DELETE /v1/config/:kind/:name` does. */
  deleteConfigEntry(kind: string, name: string, datacenter?: string): void {
    this.write(datacenter, (dc) => dc.configEntries.delete(kind, name));
  }

  /** Moves a datacenter's indexes back so its last write is at `to` (a snapshot restore). Wakes nobody. */
  rewindIndexes(to: number, datacenter?: string): void {
    this.datacenter(datacenter).rewindTo(to);
  }

  /** Adds (or changes) an ACL token, turning ACLs on. */
  setToken(secret: string, policy: FakeTokenPolicy = {}): void {
    this.acl.setToken(secret, policy);
  }

  /** Queries currently held by the blocking algorithm, for tests that wait for a client to block. */
  heldQueries(datacenter?: string): number {
    return this.blocking.count(datacenter);
  }

  /** Requests being answered (or held, or hung) right now; and the most at once since `resetPeaks`. */
  get inFlight(): number {
    return this.active;
  }

  get peakInFlight(): number {
    return this.peakActive;
  }

  /** Client connections open now, the most at once since `resetPeaks`, and how many were ever accepted. */
  get openConnections(): number {
    return this.sockets.size;
  }

  get peakConnections(): number {
    return this.peakSockets;
  }

  get acceptedConnections(): number {
    return this.connectionCount;
  }

  resetPeaks(): void {
    this.peakActive = this.active;
    this.peakSockets = this.sockets.size;
  }

  /** Requests received whose path starts with `prefix`. */
  requestsTo(prefix: string): FakeRequestRecord[] {
    return this.requests.filter((r) => r.path.startsWith(prefix));
  }

  /** Closes the listener and every connection (held and hung requests included); the catalog is kept. */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }

  /** Listens again on the same port after `stop`. */
  async start(): Promise<void> {
    if (this.server) return;
    await this.listen();
  }

  /**
   * Stops and starts again, as an agent restart does: every connection drops. With `rewindTo`, every
   * datacenter comes back with its indexes moved back so its last write is at that index.
   */
  async restart(options: { rewindTo?: number } = {}): Promise<void> {
    await this.stop();
    if (options.rewindTo !== undefined) {
      for (const dc of this.datacenters.values()) dc.rewindTo(options.rewindTo);
    }
    await this.start();
  }

  /** Stops for good. */
  async close(): Promise<void> {
    await this.stop();
  }

  private listen(): Promise<void> {
    const handler = (request: IncomingMessage, response: ServerResponse) => this.handle(request, response);
    const tls = this.options.tls;
    const server = tls
      ? createHttpsServer(
          {
            key: tls.key,
            cert: tls.cert,
            ...(tls.ca && { ca: tls.ca, requestCert: true, rejectUnauthorized: true }),
          },
          handler,
        )
      : createHttpServer(handler);
    // Blocking queries hold a request for minutes; Node's default request timeouts would cut them.
    server.requestTimeout = 0;
    server.headersTimeout = 0;
    server.keepAliveTimeout = 30_000;
    server.on(tls ? 'secureConnection' : 'connection', (socket: Socket) => this.track(socket));
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.boundPort, this.options.host ?? '127.0.0.1', () => {
        server.off('error', reject);
        this.boundPort = (server.address() as AddressInfo).port;
        this.server = server;
        resolve();
      });
    });
  }

  private track(socket: Socket): void {
    this.connectionCount += 1;
    this.sockets.add(socket);
    this.peakSockets = Math.max(this.peakSockets, this.sockets.size);
    socket.once('close', () => this.sockets.delete(socket));
  }

  private handle(request: IncomingMessage, response: ServerResponse): void {
    const url = new URL(request.url ?? '/', 'http://consul');
    this.requests.push({
      method: request.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      token: request.headers['x-consul-token'] !== undefined || url.searchParams.has('token'),
    });
    this.active += 1;
    this.peakActive = Math.max(this.peakActive, this.active);
    response.once('close', () => {
      this.active -= 1;
    });
    handleConsulRequest(this.world, request, response);
  }
}
