import { request as httpRequest, type Agent, type IncomingMessage } from 'node:http';
import { request as httpsRequest, type RequestOptions } from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import type { Redactor } from '@sextant/adapter-kit';
import { fromResponse, fromStatus, toKubeApiError, type KubeApiError } from './api-error';
import { rememberAuthorization, rememberBasicAuth } from './credentials';

/** One line of a watch stream. */
export interface WatchEvent {
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  readonly object: unknown;
}

export interface WatchRequest {
  /** Collection path (`/api/v1/pods`); `watch=true` is added. */
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  /** The `Accept` header (for metadata-only watches). Default `application/json`. */
  readonly accept?: string;
  /** Give up on a stream that sends nothing (not even a byte) for this long: a stalled connection. */
  readonly idleTimeoutMs: number;
  readonly signal: AbortSignal;
}

/** How a watch ended; `events` counts the events it delivered. */
export type WatchEnd =
  /** The server ended the stream (its timeout, or the connection closed): resume from the last RV. */
  | { readonly kind: 'closed'; readonly events: number }
  /** An ERROR event (the server ends the stream after one); a 410 in it means relist. */
  | { readonly kind: 'error-event'; readonly error: KubeApiError; readonly events: number }
  /** Nothing arrived for `idleTimeoutMs`. */
  | { readonly kind: 'stalled'; readonly events: number }
  /** The signal aborted it. */
  | { readonly kind: 'aborted'; readonly events: number }
  /** No stream: an error status, or the server could not be reached. */
  | { readonly kind: 'failed'; readonly error: KubeApiError; readonly events: number };

const MAX_ERROR_BODY = 64 * 1024;

/**
 * Opens one watch and delivers its events until it ends; never rejects. Connection, TLS and
 * credentials come from client-node's KubeConfig (`applyToHTTPSOptions`: CA, client certificates,
 * bearer tokens from files and exec plugins, proxies), so this is the reading of one chunked
 * response, not an API client. client-node 1.4's own `Watch` cannot be used: it leaves a 30 s
 * timer behind on every call, and drops the body and headers of a failed response, so neither the
 * server's message (a 403's RBAC explanation) nor a 429's Retry-After would reach the adapter.
 * A redirect is not followed (`http.request` never does): it fails the watch, naming its target.
 * The credentials about to be sent are told to `redactor` first.
 */
export async function watchCollection(
  config: KubeConfig,
  redactor: Redactor,
  watch: WatchRequest,
  onOpen: () => void,
  onEvent: (event: WatchEvent) => void,
): Promise<WatchEnd> {
  let events = 0;
  const options: RequestOptions = { headers: {} };
  let url: URL;
  try {
    await config.applyToHTTPSOptions(options);
    const headers = (options.headers ?? {}) as Record<string, unknown>;
    rememberAuthorization(headers.Authorization ?? headers.authorization, redactor);
    rememberBasicAuth(options.auth ?? undefined, redactor);
    const server = config.getCurrentCluster()?.server;
    if (!server) throw new Error('the kubeconfig context names no cluster server');
    url = new URL(`${server}${watch.path}`);
  } catch (error) {
    destroyAgent(options);
    return { kind: 'failed', error: toKubeApiError(error), events };
  }
  url.searchParams.set('watch', 'true');
  for (const [key, value] of Object.entries(watch.query)) url.searchParams.set(key, value);
  if (watch.signal.aborted) {
    destroyAgent(options);
    return { kind: 'aborted', events };
  }

  return new Promise<WatchEnd>((resolve) => {
    let settled = false;
    let stalled = false;
    let responded = false;
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const request = send(url, {
      method: 'GET',
      agent: options.agent,
      auth: options.auth,
      headers: { ...options.headers, Accept: watch.accept ?? 'application/json' },
      signal: watch.signal,
    });
    const idleTimer = setTimeout(() => {
      stalled = true;
      request.destroy();
    }, watch.idleTimeoutMs);
    const finish = (end: WatchEnd) => {
      if (settled) return;
      settled = true;
      clearTimeout(idleTimer);
      request.destroy();
      destroyAgent(options);
      resolve(end);
    };
    const ended = (error?: unknown): void => {
      if (watch.signal.aborted) return finish({ kind: 'aborted', events });
      if (stalled) return finish({ kind: 'stalled', events });
      // A connection dropped mid-stream is, to the client, a stream that ended: resume from the RV.
      if (error === undefined || responded) return finish({ kind: 'closed', events });
      finish({ kind: 'failed', error: toKubeApiError(error), events });
    };
    request.on('error', (error) => ended(error));
    request.on('response', (response: IncomingMessage) => {
      responded = true;
      idleTimer.refresh();
      if (response.statusCode !== 200) {
        readBody(response).then(
          (body) =>
            finish({
              kind: 'failed',
              error: fromResponse(response.statusCode ?? 0, body, header(response), url),
              events,
            }),
          (error: unknown) => ended(error),
        );
        return;
      }
      onOpen();
      let buffer = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        idleTimer.refresh();
        buffer += chunk;
        let newline = buffer.indexOf('\n');
        while (newline >= 0 && !settled) {
          const line = buffer.slice(0, newline).trim();
          buffer = buffer.slice(newline + 1);
          newline = buffer.indexOf('\n');
          if (line === '') continue;
          const event = parseEvent(line);
          // A line that is not an event is skipped, as client-go and client-node skip it.
          if (!event) continue;
          if (event.type === 'ERROR')
            return finish({ kind: 'error-event', error: fromStatus(event.object), events });
          events += 1;
          onEvent(event);
        }
      });
      response.on('end', () => ended());
      response.on('error', (error) => ended(error));
      response.on('close', () => ended());
    });
    request.end();
  });
}

const EVENT_TYPES = new Set(['ADDED', 'MODIFIED', 'DELETED', 'BOOKMARK', 'ERROR']);

function parseEvent(line: string): WatchEvent | undefined {
  try {
    const value = JSON.parse(line) as { type?: unknown; object?: unknown };
    if (typeof value?.type !== 'string' || !EVENT_TYPES.has(value.type)) return undefined;
    return { type: value.type as WatchEvent['type'], object: value.object };
  } catch {
    return undefined;
  }
}

function readBody(response: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    let text = '';
    response.setEncoding('utf8');
    response.on('data', (chunk: string) => {
      if (text.length < MAX_ERROR_BODY) text += chunk;
    });
    response.on('end', () => {
      try {
        resolve(JSON.parse(text) as unknown);
      } catch {
        resolve(text);
      }
    });
    response.on('error', reject);
  });
}

/** The agent client-node made for this request holds its sockets: closed with the request. */
function destroyAgent(options: RequestOptions): void {
  (options.agent as Agent | undefined)?.destroy?.();
}

function header(response: IncomingMessage): (name: string) => string | undefined {
  return (name) => {
    const value = response.headers[name.toLowerCase()];
    return Array.isArray(value) ? value[0] : value;
  };
}
