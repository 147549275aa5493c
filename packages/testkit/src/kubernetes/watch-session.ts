import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ChangeRecord, ChangeType, StoredObject } from './object-store';
import { bookmarkJson, objectJson, type Representation } from './representation';
import type { ResourceType } from './resource-types';
import type { SelectableFields, Selector } from './selectors';
import type { KubeStatus } from './status';

/** What one watch request asked for. */
export interface WatchScope {
  readonly type: ResourceType;
  readonly namespace?: string;
  readonly labels: Selector;
  readonly fields: (fields: SelectableFields) => boolean;
  readonly bookmarks: boolean;
  readonly representation: Representation;
  /** The `apiVersion` events carry (the version the watch asked for). */
  readonly apiVersion: string;
}

/**
 * One open watch: a chunked `200` response carrying one JSON event per line. It ends cleanly when
 * its time is up (`timeoutSeconds`, or the server's own limit), with an ERROR event (the server
 * closes right after one), or abruptly when a test resets the connection. Its timer is released
 * as soon as the client goes away.
 */
export class WatchSession {
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private stalled = false;
  private readonly closeListeners: (() => void)[] = [];
  /** Events written to this session, bookmarks included. */
  sent = 0;

  constructor(
    readonly scope: WatchScope,
    private readonly request: IncomingMessage,
    private readonly response: ServerResponse,
    timeoutMs: number,
  ) {
    response.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private' });
    response.flushHeaders();
    this.timer = setTimeout(() => this.end(), timeoutMs);
    response.on('close', () => this.release());
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  onClose(listener: () => void): void {
    if (this.closed) listener();
    else this.closeListeners.push(listener);
  }

  matches(item: StoredObject): boolean {
    const { namespace, labels, fields } = this.scope;
    if (item.type !== this.scope.type) return false;
    if (namespace !== undefined && item.namespace !== namespace) return false;
    return (
      labels(item.labels) && fields({ 'metadata.name': item.name, 'metadata.namespace': item.namespace })
    );
  }

  /**
   * Sends a change as this watch sees it: an object entering the selection is ADDED, one leaving
   * it is DELETED (with its new state), as the API server's filtered watches do.
   */
  deliver(change: ChangeRecord): void {
    if (change.current.type !== this.scope.type) return;
    const now = this.matches(change.current);
    const before = change.previous !== undefined && this.matches(change.previous);
    let type: ChangeType | undefined;
    if (change.type === 'DELETED') type = before ? 'DELETED' : undefined;
    else if (now && before) type = 'MODIFIED';
    else if (now) type = 'ADDED';
    else if (before) type = 'DELETED';
    if (type) this.event(type, change.current);
  }

  event(type: ChangeType, item: StoredObject): void {
    this.write(
      `{"type":"${type}","object":${objectJson(item, this.scope.representation, this.scope.apiVersion)}}\n`,
    );
  }

  bookmark(resourceVersion: number, annotations?: Record<string, string>): void {
    if (!this.scope.bookmarks) return;
    const object = bookmarkJson(
      this.scope.type,
      this.scope.representation,
      resourceVersion,
      annotations,
      this.scope.apiVersion,
    );
    this.write(`{"type":"BOOKMARK","object":${object}}\n`);
  }

  /** An ERROR event carrying `status`, then the end of the stream, as the API server does. */
  fail(status: KubeStatus): void {
    this.write(`{"type":"ERROR","object":${JSON.stringify(status)}}\n`);
    this.end();
  }

  /** Ends the stream cleanly (the client sees EOF after the last event). */
  end(): void {
    if (this.closed) return;
    this.response.end();
    this.release();
  }

  /**
   * Keeps the connection open but sends nothing more, and never ends it: a stalled watch, as a
   * half-dead connection or a wedged proxy leaves a client (kubernetes-client/javascript#596).
   */
  stall(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.stalled = true;
  }

  /** Drops the connection without ending the response, as a network failure or a crashed server would. */
  reset(): void {
    if (this.closed) return;
    this.request.socket.destroy();
    this.release();
  }

  private write(line: string): void {
    if (this.closed || this.stalled) return;
    this.sent += 1;
    this.response.write(line);
  }

  private release(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.closed) return;
    this.closed = true;
    for (const listener of this.closeListeners.splice(0)) listener();
  }
}
