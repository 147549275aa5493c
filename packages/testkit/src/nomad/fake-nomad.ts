import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import { AclSystem, PERMISSION_DENIED, type AclOptions, type Resolved } from './acl';
import {
  NOMAD_MAX_WAIT_MS,
  runBlockingQuery,
  type BlockingQuery,
  type BlockingSettings,
} from './blocking-query';
import { sendGoRedirect } from '../go-redirect';
import { parseTopics, serveEventStream } from './event-stream';
import { DEFAULT_ERROR_BODIES, FaultInjector, type NomadFault } from './faults';
import { paginate } from './pagination';
import { parseQueryOptions, tokenFrom, type QueryOptions } from './query-options';
import { SeededRandom } from './random';
import { RegistrationFactory } from './registration-input';
import { RegistrationTable, type UnindexedRegistration } from './registration-table';
import {
  inWireOrder,
  REGISTRATION_FIELDS,
  type NomadServiceListStub,
  type NomadServiceRegistration,
  type RegistrationInput,
} from './wire';

export interface FakeNomadTls {
  readonly key: string;
  readonly cert: string;
  /** CA that client certificates must chain to. */
  readonly ca?: string;
  /** Refuse clients without a certificate from `ca` (Nomad's `verify_https_client`). */
  readonly requireClientCert?: boolean;
}

export interface FakeNomadOptions {
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** Default: a free port. */
  readonly port?: number;
  /** The server's region; requests for another get 500 `No path to region`. Default `global`. */
  readonly region?: string;
  /** Seed of every random choice (orderings, IDs, jitter). Default: random, see `seed`. */
  readonly seed?: number;
  /** The table index before the first write. Default 1. */
  readonly initialIndex?: number;
  /** Longest a blocking query is held. Default 5 minutes, as Nomad. */
  readonly maxWaitMs?: number;
  /** Nomad's random stagger of up to wait/16 on blocking queries. Default true. */
  readonly jitter?: boolean;
  /** Lists come back in random order, as Nomad builds them from hash maps. Default true. */
  readonly shuffle?: boolean;
  /** Event stream heartbeat period. Default 30 s, as Nomad. */
  readonly heartbeatMs?: number;
  /** Event batches kept for resuming streams. Default 100. */
  readonly eventBufferSize?: number;
  /** ACLs on, with these tokens. Default off (everything allowed). */
  readonly acl?: AclOptions;
  /** Serve HTTPS. */
  readonly tls?: FakeNomadTls;
  /** Keep a log of requests in `requests`. Default true; benchmarks turn it off. */
  readonly recordRequests?: boolean;
}

/** One request as the fake received it (the token is recorded: this is a test double). */
export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  readonly token: string | undefined;
}

const JSON_TYPE = 'application/json';
const TEXT_TYPE = 'text/plain; charset=utf-8';

/**
 * A fake Nomad HTTP API for native service discovery (`provider = "nomad"`), faithful to the
 * wire: blocking queries on a table-wide index with Nomad's 5-minute cap and jitter, lists in
 * random order, pagination of registrations, ACLs (filtered wildcard listings, 403 on a
 * namespace), plain-text errors, the `Service` event stream with heartbeats and gaps, and hooks
 * for what production does to clients: an index that moves without a change or goes backwards,
 * ghost and duplicate registrations, lost leaders, injected errors, hung and dropped connections,
 * and the whole server going away and coming back on the same address.
 */
export class FakeNomad {
  readonly acl: AclSystem;
  readonly requests: RecordedRequest[] = [];
  /** The seed of this instance's random choices: pass it back in `seed` to replay them. */
  readonly seed: number;
  private readonly table: RegistrationTable;
  private readonly faults = new FaultInjector();
  private readonly random: SeededRandom;
  private readonly registrations: RegistrationFactory;
  private readonly sockets = new Set<Socket>();
  private readonly streams = new Set<ServerResponse>();
  private readonly server: Server;
  private readonly blocking: BlockingSettings;
  private boundPort: number | undefined;
  private leader = true;
  private deliverEvents = true;
  private parked = 0;
  private closed = false;

  private constructor(private readonly options: FakeNomadOptions) {
    this.seed = options.seed ?? Math.floor(Math.random() * 2 ** 31);
    this.random = new SeededRandom(this.seed);
    this.registrations = new RegistrationFactory(this.random);
    this.table = new RegistrationTable(options.initialIndex ?? 1, options.eventBufferSize ?? 100);
    this.acl = new AclSystem(options.acl);
    this.blocking = {
      maxWaitMs: options.maxWaitMs ?? NOMAD_MAX_WAIT_MS,
      jitter: options.jitter ?? true,
      random: this.random,
      onPark: (delta) => (this.parked += delta),
    };
    const handler = (req: IncomingMessage, res: ServerResponse) => this.handle(req, res);
    const tls = options.tls;
    this.server = tls
      ? createHttpsServer(
          {
            key: tls.key,
            cert: tls.cert,
            ...(tls.ca && { ca: tls.ca }),
            requestCert: tls.requireClientCert ?? false,
            rejectUnauthorized: tls.requireClientCert ?? false,
          },
          handler,
        )
      : createHttpServer(handler);
    this.server.on(tls ? 'secureConnection' : 'connection', (socket: Socket) => this.track(socket));
    // A TLS socket that fails its handshake never becomes a secure connection; track it too.
    if (tls) this.server.on('connection', (socket: Socket) => this.track(socket));
  }

  /** Starts a fake listening on `options.port` (default: a free port). */
  static async start(options: FakeNomadOptions = {}): Promise<FakeNomad> {
    const fake = new FakeNomad(options);
    await fake.listen(options.port ?? 0);
    return fake;
  }

  /** `http://127.0.0.1:<port>` (https with `tls`): what `NOMAD_ADDR` would be. */
  get url(): string {
    return `${this.options.tls ? 'https' : 'http'}://${this.host}:${this.port}`;
  }

  get port(): number {
    if (this.boundPort === undefined) throw new Error('the fake Nomad is not listening');
    return this.boundPort;
  }

  /** The `service_registrations` table index (`X-Nomad-Index`). */
  get index(): number {
    return this.table.index;
  }

  /** Blocking queries held right now (each is a client's watch, re-armed). */
  parkedQueries(): number {
    return this.parked;
  }

  /** Event streams open right now. */
  openStreams(): number {
    return this.streams.size;
  }

  /** Every registration, in ID order. */
  allRegistrations(): NomadServiceRegistration[] {
    return this.table.all();
  }

  // ---- the table ----------------------------------------------------------------------------

  /** Registers these in one write (one index), as a client syncing an allocation does. */
  register(...inputs: RegistrationInput[]): NomadServiceRegistration[] {
    const rows = inputs.map((input) => this.registrations.build(input));
    this.table.upsert(rows);
    return rows.map((row) => this.table.get(row.ID) as NomadServiceRegistration);
  }

  /** Removes registrations by ID in one write. */
  deregister(...ids: string[]): void {
    this.table.remove(ids);
  }

  /** Removes every registration of `name` in `namespace` in one write. */
  deregisterService(name: string, namespace = 'default'): void {
    this.table.remove(this.table.byName(namespace, name).map((r) => r.ID));
  }

  /**
   * Makes the table hold exactly these registrations: one write removing the others, one writing
   * the new and changed ones (an unchanged registration is not rewritten). Give `ID` or `AllocID`
   * to keep a registration's identity across calls.
   */
  setRegistrations(inputs: readonly RegistrationInput[]): void {
    const rows = inputs.map((input) => this.registrations.build(input));
    const wanted = new Set(rows.map((row) => row.ID));
    this.table.remove(this.table.all().flatMap((row) => (wanted.has(row.ID) ? [] : [row.ID])));
    this.table.upsert(rows.filter((row) => !sameContent(this.table.get(row.ID), row)));
  }

  /**
   * Re-registers every registration of a service unchanged (a client re-syncing it): a write
   * that wakes its watchers and the list's with bodies identical but for ModifyIndex, and with
   * the tags of each registration in a new order.
   */
  touch(name: string, namespace = 'default'): void {
    this.table.upsert(
      this.table.byName(namespace, name).map(({ CreateIndex: _c, ModifyIndex: _m, ...row }) => ({
        ...row,
        Tags: row.Tags && this.random.shuffled(row.Tags),
      })),
    );
  }

  /** A write that changes no registration: the index moves, nobody wakes. */
  bumpIndex(): number {
    return this.table.bumpIndex();
  }

  /**
   * A snapshot restore (or failover to a lagging server): the table becomes `registrations`
   * (default: as it is) at `index`, possibly lower than now, and every blocked query re-evaluates.
   */
  restore(index: number, registrations?: readonly NomadServiceRegistration[]): void {
    this.table.restore(index, registrations);
  }

  /** Drops buffered events but the newest `keep`: a stream resuming before them has a gap. */
  truncateEvents(keep = 0): void {
    this.table.truncateEvents(keep);
  }

  // ---- failures -----------------------------------------------------------------------------

  /** Answers matching requests with an error (or hangs or resets them) instead. */
  failNext(fault: NomadFault = {}): void {
    this.faults.add(fault);
  }

  clearFaults(): void {
    this.faults.clear();
  }

  /** The cluster loses its leader: 500 `No cluster leader` unless `stale`, which says KnownLeader false. */
  loseLeader(): void {
    this.leader = false;
  }

  electLeader(): void {
    this.leader = true;
  }

  /** Streams carry heartbeats only (events are lost silently) until turned back on. */
  setEventDelivery(on: boolean): void {
    this.deliverEvents = on;
  }

  /** Ends every event stream by dropping its connection, as an error after the 200 does. */
  closeStreams(): void {
    for (const stream of this.streams) stream.socket?.destroy();
  }

  /** Resets every open connection: held queries, streams and idle keep-alive sockets alike. */
  dropConnections(): void {
    for (const socket of this.sockets) socket.destroy();
  }

  /** The server goes away: new connections are refused and open ones reset, until `startUp()`. */
  async shutDown(): Promise<void> {
    if (!this.server.listening) return;
    const closing = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.dropConnections();
    await closing;
  }

  /** The server is back on the same address, with the same table. */
  async startUp(): Promise<void> {
    if (this.closed) throw new Error('the fake Nomad is closed');
    if (!this.server.listening) await this.listen(this.port);
  }

  /** Stops for good, releasing every socket and timer. */
  async close(): Promise<void> {
    this.closed = true;
    await this.shutDown();
  }

  // ---- the HTTP API -------------------------------------------------------------------------

  private get host(): string {
    return this.options.host ?? '127.0.0.1';
  }

  private async listen(port: number): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, this.host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    const address = this.server.address();
    if (address === null || typeof address === 'string') throw new Error('the fake Nomad has no TCP port');
    this.boundPort = address.port;
  }

  private track(socket: Socket): void {
    if (this.sockets.has(socket)) return;
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://nomad');
    const path = url.pathname;
    const parsed = parseQueryOptions(url.searchParams, req.headers);
    if (this.options.recordRequests ?? true) {
      this.requests.push({
        method: req.method ?? 'GET',
        path,
        query: Object.fromEntries(url.searchParams),
        token: parsed.ok ? parsed.options.token : undefined,
      });
    }
    const fault = this.faults.take(path, url.searchParams.get('namespace') ?? undefined);
    if (fault) return this.applyFault(fault, req, res, tokenFrom(req.headers));

    const method = req.method ?? 'GET';
    if (path === '/v1/services') {
      if (method !== 'GET') return this.text(res, 405, 'Invalid method');
      return this.admit(parsed, res, (options, acl) => this.serviceList(options, acl, res));
    }
    if (path.startsWith('/v1/service/')) {
      const parts = path.slice('/v1/service/'.length).split('/').map(decodeURIComponent);
      if (parts.length === 1) {
        if (method !== 'GET') return this.text(res, 405, 'Invalid method');
        if (parts[0] === '') return this.text(res, 400, 'missing service name');
        if (url.searchParams.has('choose'))
          return this.text(res, 400, 'the fake Nomad does not implement ?choose');
        return this.admit(parsed, res, (options, acl) => this.service(parts[0] as string, options, acl, res));
      }
      if (parts.length === 2) {
        if (method !== 'DELETE') return this.text(res, 405, 'Invalid method');
        if (parts[1] === '') return this.text(res, 400, 'missing service id');
        return this.admit(parsed, res, (options, acl) =>
          this.deleteRegistration(parts[1] as string, options, acl, res),
        );
      }
      return this.text(res, 400, 'invalid URI');
    }
    if (path === '/v1/event/stream') {
      return this.admit(parsed, res, (options, acl) => this.eventStream(url.searchParams, options, acl, res));
    }
    if (path === '/v1/status/leader') {
      return this.json(res, this.leader ? `${this.host}:4647` : '');
    }
    // Nomad's fallthrough: 404 with an empty body.
    res.writeHead(404).end();
  }

  /** The checks every query goes through before reading: parameters, region, leader, token. */
  private admit(
    parsed: ReturnType<typeof parseQueryOptions>,
    res: ServerResponse,
    next: (options: QueryOptions, acl: Extract<Resolved, { ok: true }>) => void,
  ): void {
    if (!parsed.ok) return this.text(res, 400, parsed.message);
    const { options } = parsed;
    if (options.region !== undefined && options.region !== this.region)
      return this.text(res, 500, 'No path to region');
    if (options.filter !== undefined) return this.text(res, 400, 'the fake Nomad does not implement ?filter');
    if (!this.leader && !options.stale) return this.text(res, 500, 'No cluster leader');
    const acl = this.acl.resolve(options.token);
    if (!acl.ok) return this.text(res, 403, acl.message);
    next(options, acl);
  }

  private serviceList(
    options: QueryOptions,
    acl: { canRead(ns: string): boolean },
    res: ServerResponse,
  ): void {
    const namespace = options.namespace;
    if (namespace !== '*' && !acl.canRead(namespace)) return this.text(res, 403, PERMISSION_DENIED);
    const query: BlockingQuery = {
      currentIndex: () => this.table.index,
      watch: (wake) => this.table.watchTable(wake),
      answer: () => this.json(res, this.listBody(namespace, acl.canRead)),
    };
    runBlockingQuery(options, query, this.blocking, res);
  }

  private service(
    name: string,
    options: QueryOptions,
    acl: { canRead(ns: string): boolean },
    res: ServerResponse,
  ): void {
    // `*` is not special here: it is looked up as a namespace of that name, which has nothing.
    const namespace = options.namespace;
    if (!acl.canRead(namespace)) return this.text(res, 403, PERMISSION_DENIED);
    const query: BlockingQuery = {
      currentIndex: () => this.table.index,
      watch: (wake) => this.table.watchService(namespace, name, wake),
      answer: () => {
        const page = paginate(this.table.byName(namespace, name), options);
        this.json(res, page.items.map(inWireOrder), page.nextToken);
      },
    };
    runBlockingQuery(options, query, this.blocking, res);
  }

  private deleteRegistration(
    id: string,
    options: QueryOptions,
    acl: { canSubmit(ns: string): boolean },
    res: ServerResponse,
  ): void {
    if (!acl.canSubmit(options.namespace)) return this.text(res, 403, PERMISSION_DENIED);
    const row = this.table.get(id);
    if (!row || row.Namespace !== options.namespace) {
      return this.text(res, 500, 'service registration not found');
    }
    const index = this.table.remove([id]);
    res.writeHead(200, { 'X-Nomad-Index': String(index) }).end();
  }

  private eventStream(
    query: URLSearchParams,
    options: QueryOptions,
    acl: { canRead(ns: string): boolean },
    res: ServerResponse,
  ): void {
    if (options.namespace !== '*' && !acl.canRead(options.namespace))
      return this.text(res, 403, PERMISSION_DENIED);
    this.streams.add(res);
    res.on('close', () => this.streams.delete(res));
    serveEventStream(
      this.table,
      {
        topics: parseTopics(query.getAll('topic')),
        namespace: options.namespace,
        index: options.minIndex,
        canRead: acl.canRead,
      },
      { heartbeatMs: this.options.heartbeatMs ?? 30_000, deliver: () => this.deliverEvents },
      res,
    );
  }

  private listBody(namespace: string, canRead: (ns: string) => boolean): NomadServiceListStub[] {
    const groups = new Map<string, Map<string, Set<string>>>();
    for (const row of this.table.all()) {
      if (namespace === '*' ? !canRead(row.Namespace) : row.Namespace !== namespace) continue;
      let services = groups.get(row.Namespace);
      if (!services) groups.set(row.Namespace, (services = new Map()));
      let tags = services.get(row.ServiceName);
      if (!tags) services.set(row.ServiceName, (tags = new Set()));
      for (const tag of row.Tags ?? []) tags.add(tag);
    }
    return this.order(
      [...groups].map(([ns, services]) => ({
        Namespace: ns,
        Services: this.order(
          [...services].map(([name, tags]) => ({ ServiceName: name, Tags: this.order([...tags]) })),
        ),
      })),
    );
  }

  private order<T>(items: T[]): T[] {
    return this.options.shuffle === false ? items : this.random.shuffled(items);
  }

  private get region(): string {
    return this.options.region ?? 'global';
  }

  private applyFault(
    fault: NomadFault,
    req: IncomingMessage,
    res: ServerResponse,
    token: string | undefined,
  ): void {
    if (fault.reset) {
      req.socket.destroy();
      return;
    }
    if (fault.hang) return;
    if (fault.redirectTo !== undefined) {
      return sendGoRedirect(res, fault.status ?? 307, new URL(req.url ?? '/', fault.redirectTo));
    }
    const status = fault.status ?? 500;
    const body =
      typeof fault.body === 'function'
        ? fault.body({ path: new URL(req.url ?? '/', 'http://nomad').pathname, token })
        : fault.body;
    this.text(res, status, body ?? DEFAULT_ERROR_BODIES[status] ?? '', fault.headers);
  }

  private json(res: ServerResponse, body: unknown, nextToken?: string): void {
    if (res.destroyed) return;
    res.writeHead(200, {
      'Content-Type': JSON_TYPE,
      'X-Nomad-Index': String(this.table.index),
      'X-Nomad-KnownLeader': String(this.leader),
      'X-Nomad-LastContact': '0',
      ...(nextToken !== undefined && { 'X-Nomad-NextToken': nextToken }),
    });
    res.end(JSON.stringify(body));
  }

  private text(
    res: ServerResponse,
    status: number,
    body: string,
    headers: Readonly<Record<string, string>> = {},
  ): void {
    if (res.destroyed) return;
    res.writeHead(status, { 'Content-Type': TEXT_TYPE, ...headers });
    res.end(body);
  }
}

/** Whether a stored registration already says what `row` says (indexes aside). */
function sameContent(stored: NomadServiceRegistration | undefined, row: UnindexedRegistration): boolean {
  if (!stored) return false;
  return REGISTRATION_FIELDS.every(
    (field) =>
      field === 'CreateIndex' ||
      field === 'ModifyIndex' ||
      JSON.stringify(stored[field]) === JSON.stringify(row[field as keyof UnindexedRegistration]),
  );
}
