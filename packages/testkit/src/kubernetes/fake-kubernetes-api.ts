import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { ApiRequestHandler, type ApiState, type RecordedRequest } from './api-request-handler';
import {
  writeKubeconfig,
  writeServiceAccount,
  type KubeconfigOptions,
  type ServiceAccount,
} from './client-files';
import { CustomResourceTypes, type CustomResourceDefinition } from './custom-resources';
import { FaultTable, type FaultRule, type InjectedFault, type Verb } from './faults';
import { ListPager } from './list-pager';
import { ObjectStore, type KubeObject } from './object-store';
import { objectJson } from './representation';
import { builtInType, resourceTypeOfKind, type ResourceType } from './resource-types';
import { TEST_SERVER_CERT, TEST_SERVER_KEY } from './test-certificate';
import { TokenReviews, type ServiceAccountToken } from './token-reviews';
import type { WatchSession } from './watch-session';

export type { RecordedRequest };

export interface FakeKubernetesOptions {
  /** Serve HTTPS with the testkit's test certificate (needed for the in-cluster path). Default false. */
  readonly tls?: boolean;
  /** Bearer tokens the server accepts; when absent, requests need no credentials. */
  readonly tokens?: readonly string[];
  /** The user 403 messages name. Default `system:serviceaccount:sextant:sextant`. */
  readonly user?: string;
  /** The resourceVersion of the empty store. Default 1000. */
  readonly initialResourceVersion?: number;
  /** Changes a watch can resume from; older ones are compacted (→ 410). Default 10 000. */
  readonly historyLimit?: number;
  /** How long a continue token stays valid. Default 5 minutes, as etcd compaction allows. */
  readonly continueTtlMs?: number;
  /**
   * How long the server keeps a watch open when the client sets no `timeoutSeconds`: a random time
   * in [this, 2 × this), as `--min-request-timeout` does. Default 30 minutes.
   */
  readonly watchTimeoutMs?: number;
  /** How often watches that allow bookmarks get one. Default 60 s; 0 sends none unprompted. */
  readonly bookmarkIntervalMs?: number;
}

/**
 * Which kind of object: the `kind` (`EndpointSlice`) of the fake's built-in types, or of an
 * installed custom resource (`VirtualService`).
 */
export type KindName = 'Service' | 'EndpointSlice' | 'Pod' | 'Node' | (string & {});

const DEFAULT_USER = 'system:serviceaccount:sextant:sextant';

/**
 * A Kubernetes API server for tests, speaking the real protocol over HTTP(S): Services,
 * EndpointSlices (discovery.k8s.io/v1), Pods and Nodes, and custom resources of the CRDs a test
 * installs (served at each version the CRD serves, and writable); list with resourceVersion, `limit` and
 * `continue` (tokens expire → 410), label and field selectors, metadata-only representations,
 * watches as chunked newline-delimited JSON (ADDED / MODIFIED / DELETED / BOOKMARK / ERROR) that
 * resume from a resourceVersion and end after `timeoutSeconds`, 410 once history is compacted,
 * bearer-token authentication with rotation, and injected 401 / 403 / 429 (Retry-After) / 5xx.
 * Clients reach it through an ordinary kubeconfig (`writeKubeconfig`) or an in-cluster
 * service-account directory (`writeServiceAccount`). Bodies are shaped like the API server's.
 */
export class FakeKubernetesApi {
  readonly requests: RecordedRequest[] = [];
  private readonly store: ObjectStore;
  private readonly crds = new CustomResourceTypes();
  private readonly state: ApiState;
  private readonly handler: ApiRequestHandler;
  private readonly requestListeners = new Set<(request: RecordedRequest) => void>();
  private readonly bookmarkTimer: NodeJS.Timeout | undefined;

  private constructor(
    private readonly server: ReturnType<typeof createHttpServer>,
    readonly url: string,
    readonly tls: boolean,
    options: FakeKubernetesOptions,
  ) {
    this.store = new ObjectStore({
      ...options,
      typeOf: (object) => resourceTypeOfKind(object.kind) ?? this.crds.typeOfObject(object),
    });
    this.state = {
      store: this.store,
      pager: new ListPager(options.continueTtlMs ?? 5 * 60_000),
      faults: new FaultTable(),
      sessions: new Set<WatchSession>(),
      tokens: options.tokens ? new Set(options.tokens) : undefined,
      outageStatus: undefined,
      ignoreLimit: false,
      user: options.user ?? DEFAULT_USER,
      tokenReviews: new TokenReviews(),
      watchTimeoutMs: options.watchTimeoutMs ?? 30 * 60_000,
      lookup: (group, version, resource) =>
        builtInType(group, version, resource) ?? this.crds.lookup(group, version, resource),
    };
    this.handler = new ApiRequestHandler(this.state, url);
    this.store.onChange((change) => {
      for (const session of this.state.sessions) session.deliver(change);
    });
    const bookmarkMs = options.bookmarkIntervalMs ?? 60_000;
    if (bookmarkMs > 0) {
      this.bookmarkTimer = setInterval(() => this.bookmark(), bookmarkMs);
      this.bookmarkTimer.unref();
    }
  }

  /** Starts a fake on a free port of 127.0.0.1. */
  static async start(options: FakeKubernetesOptions = {}): Promise<FakeKubernetesApi> {
    const tls = options.tls ?? false;
    const server = tls
      ? createHttpsServer({ cert: TEST_SERVER_CERT, key: TEST_SERVER_KEY })
      : createHttpServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    const fake = new FakeKubernetesApi(server, `${tls ? 'https' : 'http'}://127.0.0.1:${port}`, tls, options);
    server.on('request', (request: IncomingMessage, response: ServerResponse) =>
      fake.serve(request, response),
    );
    return fake;
  }

  /** When set, `limit` is ignored and lists come whole, as some servers (and RV "0" lists) do. */
  get ignoreLimit(): boolean {
    return this.state.ignoreLimit;
  }

  set ignoreLimit(ignore: boolean) {
    this.state.ignoreLimit = ignore;
  }

  get port(): number {
    return Number(new URL(this.url).port);
  }

  /** The current resourceVersion (the last write's). */
  get resourceVersion(): string {
    return String(this.store.resourceVersion);
  }

  // ---- objects -------------------------------------------------------------------------------

  /** Creates or replaces an object (by `kind`, namespace and name): ADDED or MODIFIED for watchers. */
  put(object: KubeObject): KubeObject {
    return this.store.put(object);
  }

  /** Deletes an object: DELETED (with its last state) for watchers. False if there was none. */
  remove(kind: KindName, namespace: string | undefined, name: string): boolean {
    return this.store.remove(this.typeOf(kind), namespace, name);
  }

  /** The object as stored (with `kind`, `apiVersion` and its resourceVersion), if any. */
  get(kind: KindName, namespace: string | undefined, name: string): KubeObject | undefined {
    const stored = this.store.get(this.typeOf(kind), namespace, name);
    return stored ? (JSON.parse(objectJson(stored, 'object')) as KubeObject) : undefined;
  }

  /** Every object of a kind, as stored. */
  list(kind: KindName, namespace?: string): KubeObject[] {
    return this.store
      .list(this.typeOf(kind), namespace)
      .map((stored) => JSON.parse(objectJson(stored, 'object')) as KubeObject);
  }

  /**
   * A MODIFIED event that changes nothing a consumer of the object's content uses: a new
   * resourceVersion, an annotation and a managedFields timestamp, as controllers' no-op updates
   * produce (kubernetes-client/javascript#2424).
   */
  touch(kind: KindName, namespace: string | undefined, name: string): KubeObject {
    const current = this.get(kind, namespace, name);
    if (!current) throw new Error(`no ${kind} ${namespace ?? ''}/${name} to touch`);
    const touches = Number(current.metadata.annotations?.['fake.sextant.io/touched'] ?? 0) + 1;
    return this.store.put({
      ...current,
      metadata: {
        ...current.metadata,
        annotations: { ...current.metadata.annotations, 'fake.sextant.io/touched': String(touches) },
        managedFields: [
          { manager: 'kube-controller-manager', operation: 'Update', time: new Date().toISOString() },
        ],
      },
    });
  }

  // ---- custom resources ----------------------------------------------------------------------

  /**
   * Installs a CustomResourceDefinition (or changes the versions an installed one serves): its
   * resources are served at `/apis/<group>/<version>/…` for each version it serves, and written
   * with POST, PUT and DELETE. Until then, those paths are 404.
   */
  installCrd(definition: CustomResourceDefinition): void {
    this.crds.install(definition);
  }

  /**
   * Deletes a CRD (`virtualservices.networking.istio.io`) as the API server does: its resources
   * are deleted first (DELETED for watchers), then its watches end and its paths are 404.
   */
  uninstallCrd(name: string): boolean {
    const type = this.crds.uninstall(name);
    if (!type) return false;
    for (const item of this.store.list(type)) this.store.remove(type, item.namespace, item.name);
    for (const session of [...this.state.sessions]) if (session.scope.type === type) session.end();
    return true;
  }

  // ---- protocol events and faults -----------------------------------------------------------

  /** Sends every watch that allows bookmarks a BOOKMARK at the current resourceVersion. */
  bookmark(): void {
    for (const session of this.state.sessions) session.bookmark(this.store.resourceVersion);
  }

  /** Forgets the change history: a watch from any earlier resourceVersion gets 410 "too old". */
  compact(): void {
    this.store.compact();
  }

  /** Makes every continue token handed out so far expire (the next continue gets 410). */
  expireContinueTokens(): void {
    this.state.pager.expireAll();
  }

  /** Ends every open watch cleanly, as at `timeoutSeconds`: clients should resume from their last RV. */
  endWatches(): void {
    for (const session of [...this.state.sessions]) session.end();
  }

  /** Leaves every open watch open but silent for good, ignoring its timeout: stalled connections. */
  stallWatches(): void {
    for (const session of this.state.sessions) session.stall();
  }

  /** Drops every open watch connection without a clean end, as a network failure does. */
  resetWatches(): void {
    for (const session of [...this.state.sessions]) session.reset();
  }

  /** Answers matching requests with a failure until removed (or `times` is used up). */
  inject(rule: FaultRule): InjectedFault {
    return this.state.faults.add(rule);
  }

  /** RBAC says no: 403 with the API server's message, for one resource (optionally one namespace). */
  forbid(resource: string, namespace?: string): InjectedFault {
    return this.inject({ status: 403, resource, ...(namespace !== undefined && { namespace }) });
  }

  /**
   * The API server goes away: open watches are reset and every request is answered with
   * `status` (503 by default, as while it starts) until `restore()`.
   */
  outage(status = 503): void {
    this.state.outageStatus = status;
    this.resetWatches();
  }

  restore(): void {
    this.state.outageStatus = undefined;
  }

  /** Replaces the accepted bearer tokens (rotation): requests with any other get 401. */
  setTokens(tokens: readonly string[]): void {
    this.state.tokens = new Set(tokens);
  }

  /**
   * A service-account token that TokenReview (`POST /apis/authentication.k8s.io/v1/tokenreviews`)
   * authenticates as `system:serviceaccount:<namespace>:<serviceAccount>`. Independent of the
   * tokens the fake accepts from its own clients (setTokens).
   */
  addServiceAccountToken(token: string, account: ServiceAccountToken): void {
    this.state.tokenReviews.add(token, account);
  }

  /** TokenReview no longer authenticates `token` (deleted service account, expired token). */
  revokeServiceAccountToken(token: string): void {
    this.state.tokenReviews.revoke(token);
  }

  /** Open watches, optionally of one resource. */
  openWatches(resource?: string): number {
    let count = 0;
    for (const session of this.state.sessions) {
      if (session.isOpen && (resource === undefined || session.scope.type.resource === resource)) count += 1;
    }
    return count;
  }

  /**
   * Calls `listener` with every request once it has been answered (for a watch: once its stream
   * has started), so a test can act at an exact point of a client's sequence, such as between
   * two chunks of a list.
   */
  onRequest(listener: (request: RecordedRequest) => void): () => void {
    this.requestListeners.add(listener);
    return () => this.requestListeners.delete(listener);
  }

  /** Requests received, optionally only those for one resource and verb. */
  requestsFor(resource?: string, verb?: Verb): RecordedRequest[] {
    return this.requests.filter(
      (r) => (resource === undefined || r.resource === resource) && (verb === undefined || r.verb === verb),
    );
  }

  // ---- client setup --------------------------------------------------------------------------

  /** Writes a kubeconfig file pointing at this server; returns its path. */
  writeKubeconfig(file: string, options: KubeconfigOptions = {}): string {
    return writeKubeconfig(file, this, options);
  }

  /** Writes an in-cluster service-account directory under `root` (needs `tls`). */
  writeServiceAccount(root: string, token: string, namespace = 'sextant'): ServiceAccount {
    return writeServiceAccount(root, this, token, namespace);
  }

  async close(): Promise<void> {
    clearInterval(this.bookmarkTimer);
    for (const session of [...this.state.sessions]) session.reset();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private serve(request: IncomingMessage, response: ServerResponse): void {
    const record = this.handler.handle(request, response);
    this.requests.push(record);
    for (const listener of this.requestListeners) listener(record);
  }

  private typeOf(kind: KindName): ResourceType {
    const type = resourceTypeOfKind(kind) ?? this.crds.typeOfKind(kind);
    if (!type) throw new Error(`the fake does not serve kind ${kind}`);
    return type;
  }
}
