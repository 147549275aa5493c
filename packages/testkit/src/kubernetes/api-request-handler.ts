import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendGoRedirect } from '../go-redirect';
import { serveCustomResourceWrite } from './custom-resource-writes';
import type { FaultedRequest, FaultRule, FaultTable, Verb } from './faults';
import type { ListPage, ListPager } from './list-pager';
import type { ObjectStore, StoredObject } from './object-store';
import { itemJson, listHeader, objectJson, representationFor, type Representation } from './representation';
import {
  apiVersionOf,
  parseResourcePath,
  type ResourcePath,
  type ResourceTypeLookup,
} from './resource-types';
import { parseFieldSelector, parseLabelSelector, SelectorError } from './selectors';
import {
  continueExpired,
  forbidden,
  kubeStatus,
  notFound,
  tooLargeResourceVersion,
  tooManyRequests,
  tooOldResourceVersion,
  type KubeStatus,
} from './status';
import type { TokenReviews } from './token-reviews';
import { WatchSession, type WatchScope } from './watch-session';

/** One request the fake received, for assertions about what a client asked. */
export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  /** The bearer token sent, if any. */
  readonly token?: string;
  readonly verb?: Verb;
  readonly resource?: string;
  readonly namespace?: string;
  readonly accept?: string;
  /** The HTTP status answered (200 for a watch, even one that then sends an ERROR event). */
  status: number;
  readonly at: number;
}

/** What the fake's controls change and its requests read. */
export interface ApiState {
  readonly store: ObjectStore;
  readonly pager: ListPager;
  readonly faults: FaultTable;
  readonly sessions: Set<WatchSession>;
  /** Accepted bearer tokens; undefined: no authentication. */
  tokens: Set<string> | undefined;
  /** While set, every request is answered with this status. */
  outageStatus: number | undefined;
  ignoreLimit: boolean;
  /** The user 403 messages name. */
  readonly user: string;
  /** The service-account tokens TokenReview knows. */
  readonly tokenReviews: TokenReviews;
  /** The server's own limit on a watch without `timeoutSeconds` (randomised up to twice this). */
  readonly watchTimeoutMs: number;
  /** The types served at a path: built-in ones and installed custom resources. */
  readonly lookup: ResourceTypeLookup;
}

const WRITE_VERBS: Readonly<Record<string, Verb>> = { POST: 'create', PUT: 'update', DELETE: 'delete' };

/** The RBAC verb a request needs, if it is a request for a resource at all. */
function verbOf(
  method: string | undefined,
  path: ResourcePath | undefined,
  watch: string | null,
): Verb | undefined {
  if (!path) return undefined;
  if (method !== undefined && method !== 'GET') return WRITE_VERBS[method];
  if (path.name !== undefined) return 'get';
  return watch === 'true' || watch === '1' ? 'watch' : 'list';
}

/**
 * The API server's side of each request: authentication, injected faults, content negotiation,
 * and get, list (with resourceVersion semantics and chunking) and watch (from a resourceVersion,
 * replaying history, or with synthetic ADDED events), answering failures with `Status` bodies.
 */
export class ApiRequestHandler {
  constructor(
    private readonly state: ApiState,
    private readonly baseUrl: string,
  ) {}

  /** Serves one request and returns its record (with the status it was answered). */
  handle(request: IncomingMessage, response: ServerResponse): RecordedRequest {
    const url = new URL(request.url ?? '/', this.baseUrl);
    const auth = request.headers.authorization;
    const token = auth?.startsWith('Bearer ') ? auth.slice('Bearer '.length).trim() : undefined;
    const watch = url.searchParams.get('watch');
    const path = parseResourcePath(url.pathname, this.state.lookup);
    const verb = verbOf(request.method, path, watch);
    const record: RecordedRequest = {
      method: request.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      ...(token !== undefined && { token }),
      ...(verb !== undefined && { verb }),
      ...(path && { resource: path.type.resource }),
      ...(path?.namespace !== undefined && { namespace: path.namespace }),
      ...(request.headers.accept !== undefined && { accept: request.headers.accept }),
      status: 200,
      at: Date.now(),
    };
    const fail = (status: KubeStatus, headers: Record<string, string> = {}) => {
      record.status = status.code;
      sendStatus(response, status, headers);
    };
    const redirect = (status: number, location: URL) => {
      record.status = status;
      sendGoRedirect(response, status, location);
    };
    const answered = (status: number) => {
      record.status = status;
    };
    this.serve(request, response, { url, token, path, verb, redirect, answered, record }, fail);
    return record;
  }

  private serve(
    request: IncomingMessage,
    response: ServerResponse,
    {
      url,
      token,
      path,
      verb,
      redirect,
      answered,
      record,
    }: {
      record: RecordedRequest;
      url: URL;
      token?: string;
      path?: ResourcePath;
      verb?: Verb;
      redirect: (status: number, location: URL) => void;
      /** Records the status of an answer given later (a write, after its body is read). */
      answered: (status: number) => void;
    },
    fail: (status: KubeStatus, headers?: Record<string, string>) => void,
  ): void {
    if (this.state.outageStatus !== undefined) {
      return fail(kubeStatus(this.state.outageStatus, 'the API server is unavailable'), {
        'Retry-After': '1',
      });
    }
    if (['/healthz', '/readyz', '/livez'].includes(url.pathname)) {
      response.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' }).end('ok');
      return;
    }
    if (this.state.tokens && (token === undefined || !this.state.tokens.has(token))) {
      return fail(kubeStatus(401, 'Unauthorized'));
    }
    if (url.pathname === '/apis/authentication.k8s.io/v1/tokenreviews') {
      this.state.tokenReviews.serve(request, response, (code) => (record.status = code));
      return;
    }
    if (url.pathname === '/version') {
      sendJson(response, 200, {
        major: '1',
        minor: '30',
        gitVersion: 'v1.30.0-sextant-fake',
        platform: 'fake',
      });
      return;
    }
    if (!path) return fail(kubeStatus(404, 'the server could not find the requested resource'));
    const writable = path.type.custom === true && (verb === 'create') === (path.name === undefined);
    if (!verb || (request.method !== 'GET' && !writable)) {
      const what = path.type.custom ? 'this path' : 'built-in resources';
      return fail(kubeStatus(405, `the fake does not serve ${request.method ?? ''} on ${what}`));
    }
    const fault = this.state.faults.take(path.type, path.namespace, verb);
    if (fault?.redirectTo !== undefined) {
      return redirect(fault.status, new URL(`${url.pathname}${url.search}`, fault.redirectTo));
    }
    if (fault) {
      const status = this.faultStatus(fault, path, verb, { path: url.pathname, token });
      if (verb === 'watch' && fault.asWatchEvent) {
        this.openSession(request, response, url, path, 'object', 1000).fail(status);
        return;
      }
      const retryAfter = fault.retryAfterSeconds ?? (status.code === 429 ? 1 : undefined);
      return fail(status, retryAfter === undefined ? {} : { 'Retry-After': String(retryAfter) });
    }
    if (verb === 'create' || verb === 'update' || verb === 'delete') {
      if (path.type.namespaced && path.namespace === undefined) {
        return fail(kubeStatus(405, `${verb} of a namespaced resource needs a namespaced path`));
      }
      return serveCustomResourceWrite(this.state.store, request, response, path, verb, fail, answered);
    }
    const representation = representationFor(request.headers.accept, verb === 'list');
    if (representation === 'unacceptable') {
      return fail(kubeStatus(406, `only application/json is served, not ${request.headers.accept ?? ''}`));
    }
    try {
      if (verb === 'get') this.serveGet(response, path, representation, fail);
      else if (verb === 'list') this.serveList(response, url, path, representation, fail);
      else this.serveWatch(request, response, url, path, representation, fail);
    } catch (error) {
      if (!(error instanceof SelectorError)) throw error;
      fail(kubeStatus(400, error.message));
    }
  }

  private serveGet(
    response: ServerResponse,
    path: ResourcePath,
    representation: Representation,
    fail: (status: KubeStatus) => void,
  ): void {
    const stored = this.state.store.get(path.type, path.namespace, path.name ?? '');
    if (!stored) return fail(notFound(path.type, path.name ?? ''));
    response
      .writeHead(200, { 'Content-Type': 'application/json' })
      .end(objectJson(stored, representation, apiVersionOf(path.type, path.version)));
  }

  private serveList(
    response: ServerResponse,
    url: URL,
    path: ResourcePath,
    representation: Representation,
    fail: (status: KubeStatus, headers?: Record<string, string>) => void,
  ): void {
    const query = url.searchParams;
    const rv = query.get('resourceVersion');
    const current = this.state.store.resourceVersion;
    if (rv !== null && rv !== '' && rv !== '0') {
      const asked = Number(rv);
      if (!Number.isInteger(asked)) return fail(kubeStatus(400, `resourceVersion: Invalid value: "${rv}"`));
      if (asked > current) return fail(tooLargeResourceVersion(rv, current), { 'Retry-After': '1' });
      if (query.get('resourceVersionMatch') === 'Exact' && asked !== current) {
        return fail(tooOldResourceVersion(rv, this.state.store.oldestResumable));
      }
    }
    const limitText = query.get('limit');
    const limit =
      limitText === null || this.state.ignoreLimit || rv === '0'
        ? undefined
        : Math.max(1, Number(limitText) || 1);
    const continueToken = query.get('continue');
    let page: ListPage;
    if (continueToken !== null && continueToken !== '') {
      const outcome = this.state.pager.next(continueToken, limit, this.state.store.oldestResumable);
      if (outcome.kind === 'invalid') return fail(kubeStatus(400, 'continue key is not valid'));
      if (outcome.kind === 'expired') {
        // The remainder from the current state: what a client may continue with if it accepts
        // an inconsistent list (a careful one starts over instead).
        const rest = this.selected(url, path).filter((item) => item.key > outcome.lastKey);
        return fail(continueExpired(this.state.pager.resume(rest, current)));
      }
      page = outcome.page;
    } else {
      page = this.state.pager.first(this.selected(url, path), current, limit);
    }
    const metadata = {
      resourceVersion: String(page.resourceVersion),
      ...(page.continue !== undefined && { continue: page.continue }),
      ...(page.remainingItemCount !== undefined && { remainingItemCount: page.remainingItemCount }),
    };
    const apiVersion = apiVersionOf(path.type, path.version);
    const items = page.items.map((item) => itemJson(item, representation, apiVersion)).join(',');
    response
      .writeHead(200, { 'Content-Type': 'application/json' })
      .end(
        `{${listHeader(path.type, representation, apiVersion)},"metadata":${JSON.stringify(metadata)},"items":[${items}]}`,
      );
  }

  private serveWatch(
    request: IncomingMessage,
    response: ServerResponse,
    url: URL,
    path: ResourcePath,
    representation: Representation,
    fail: (status: KubeStatus, headers?: Record<string, string>) => void,
  ): void {
    const query = url.searchParams;
    const rv = query.get('resourceVersion') ?? '';
    const current = this.state.store.resourceVersion;
    const from = rv === '' || rv === '0' ? undefined : Number(rv);
    if (from !== undefined && !Number.isInteger(from)) {
      return fail(kubeStatus(400, `resourceVersion: Invalid value: "${rv}"`));
    }
    if (from !== undefined && from > current) {
      return fail(tooLargeResourceVersion(rv, current), { 'Retry-After': '1' });
    }
    const timeoutSeconds = Number(query.get('timeoutSeconds') ?? '');
    const serverLimit = (this.state.watchTimeoutMs ?? 30 * 60_000) * (1 + Math.random());
    const timeoutMs =
      Number.isFinite(timeoutSeconds) && timeoutSeconds > 0
        ? Math.min(timeoutSeconds * 1000, serverLimit)
        : serverLimit;
    const session = this.openSession(request, response, url, path, representation, timeoutMs);
    if (from === undefined) {
      // No resourceVersion: synthetic ADDED for everything there is, then changes.
      for (const item of this.state.store.list(path.type, path.namespace)) {
        if (session.matches(item)) session.event('ADDED', item);
      }
      if (query.get('sendInitialEvents') === 'true') {
        session.bookmark(current, { 'k8s.io/initial-events-end': 'true' });
      }
    } else {
      const changes = this.state.store.changesSince(from);
      if (changes === 'expired') {
        session.fail(tooOldResourceVersion(rv, this.state.store.oldestResumable));
        return;
      }
      for (const change of changes) session.deliver(change);
    }
  }

  private openSession(
    request: IncomingMessage,
    response: ServerResponse,
    url: URL,
    path: ResourcePath,
    representation: Representation,
    timeoutMs: number,
  ): WatchSession {
    const scope: WatchScope = {
      type: path.type,
      ...(path.namespace !== undefined && { namespace: path.namespace }),
      labels: parseLabelSelector(url.searchParams.get('labelSelector')),
      fields: parseFieldSelector(url.searchParams.get('fieldSelector')),
      bookmarks: url.searchParams.get('allowWatchBookmarks') === 'true',
      representation,
      apiVersion: apiVersionOf(path.type, path.version),
    };
    const session = new WatchSession(scope, request, response, timeoutMs);
    this.state.sessions.add(session);
    session.onClose(() => this.state.sessions.delete(session));
    return session;
  }

  private selected(url: URL, path: ResourcePath): StoredObject[] {
    const labels = parseLabelSelector(url.searchParams.get('labelSelector'));
    const fields = parseFieldSelector(url.searchParams.get('fieldSelector'));
    return this.state.store
      .list(path.type, path.namespace)
      .filter(
        (item) =>
          labels(item.labels) && fields({ 'metadata.name': item.name, 'metadata.namespace': item.namespace }),
      );
  }

  private faultStatus(fault: FaultRule, path: ResourcePath, verb: Verb, request: FaultedRequest): KubeStatus {
    const user = this.state.user;
    let status: KubeStatus;
    if (fault.status === 403) status = forbidden(path.type, verb, user, path.namespace);
    else if (fault.status === 429) status = tooManyRequests(fault.retryAfterSeconds ?? 1);
    else if (fault.status === 401) status = kubeStatus(401, 'Unauthorized');
    else if (fault.status === 410) status = tooOldResourceVersion('0', this.state.store.oldestResumable);
    else status = kubeStatus(fault.status, `injected failure (${fault.status})`);
    if (fault.message === undefined && fault.reason === undefined) return status;
    const message = typeof fault.message === 'function' ? fault.message(request) : fault.message;
    return {
      ...status,
      ...(message !== undefined && { message }),
      ...(fault.reason !== undefined && { reason: fault.reason }),
    };
  }
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
}

function sendStatus(response: ServerResponse, status: KubeStatus, headers: Record<string, string>): void {
  response
    .writeHead(status.code, { 'Content-Type': 'application/json', ...headers })
    .end(JSON.stringify(status));
}
