import { Backoff, sleep } from '@sextant/adapter-kit';
import type { Logger } from '@sextant/core';
import { KubeApiError, toKubeApiError } from './api-error';
import type { KubeConnection } from './kube-connection';
import { objectKey, resourceVersionOf } from './projections';
import { METADATA_WATCH, type ResourceKind } from './resource-kinds';
import type { ViewStore } from './view-store';
import { watchCollection, type WatchEnd, type WatchEvent } from './watch-stream';

/** Backoff after a failure: delays double (with jitter) from `initialMs` up to `maxMs`. */
export interface BackoffPolicy {
  readonly initialMs: number;
  readonly maxMs: number;
}

/** client-go's reflector backs off from 800 ms to 30 s; so does this, with jitter. */
export const DEFAULT_BACKOFF: BackoffPolicy = { initialMs: 800, maxMs: 30_000 };

export interface ReflectorTiming {
  /** Items per list chunk (`limit`). */
  readonly pageSize: number;
  readonly backoff: BackoffPolicy;
  /** Watches ask the server to end them after a random time in [this, 2 × this) seconds (client-go: 5–10 min). */
  readonly watchTimeoutSeconds: number;
  /** A watch silent this long past its timeout is given up as stalled (a dead connection nobody closed). */
  readonly stallGraceMs: number;
  /** A watch that ends this soon with no events is not normal: back off before the next. */
  readonly shortWatchMs: number;
  /** Relist from scratch this often (jittered ±10%); 0 never. */
  readonly resyncMs: number;
  /** How often to look again for a kind of rule whose CRD is not installed (jittered ±10%). */
  readonly crdRecheckMs: number;
}

export const DEFAULT_TIMING: ReflectorTiming = {
  pageSize: 500,
  backoff: DEFAULT_BACKOFF,
  watchTimeoutSeconds: 300,
  stallGraceMs: 30_000,
  shortWatchMs: 1000,
  resyncMs: 30 * 60_000,
  crdRecheckMs: 45_000,
};

/** A mirrored collection, as its listener sees it. */
export interface WatchedCollection {
  /** `endpointslices`, or `endpointslices in namespace web`. */
  readonly description: string;
}

/** What a reflector tells the adapter. */
export interface ReflectorListener {
  /** The collection was listed completely; the store holds exactly it. */
  listed(collection: WatchedCollection): void;
  /** A list completed or a watch was accepted: whatever failed is over. */
  recovered(collection: WatchedCollection): void;
  /** `operation` is what failed: listing the collection, or watching it. */
  failed(collection: WatchedCollection, error: KubeApiError, operation: 'list' | 'watch'): void;
  /** Views may have changed. */
  changed(): void;
}

/**
 * Keeps one collection (a kind, in all namespaces or one) mirrored in a store, as client-go's
 * Reflector does: list it in chunks, then watch from the list's resourceVersion, resuming each
 * watch from the last resourceVersion seen (bookmarks included) when it ends. Only a 410 (an
 * ERROR event or a status) relists, and the relist is diffed against the store, so objects
 * deleted while the watch was down are deleted here too. Failures are retried with jittered
 * exponential backoff (at least as long as a 429's Retry-After), never in a tight loop; a 401 first
 * reloads the credentials (a rotated token) and retries at once.
 */
export class Reflector<V> implements WatchedCollection {
  readonly description: string;
  private resourceVersion: string | undefined;
  private relistAt = Number.POSITIVE_INFINITY;
  private readonly backoff: Backoff;
  private expiredInARow = 0;
  private unauthorizedInARow = 0;

  constructor(
    private readonly kind: ResourceKind<V>,
    private readonly namespace: string | undefined,
    private readonly connection: KubeConnection,
    private readonly store: ViewStore<V>,
    private readonly listener: ReflectorListener,
    private readonly timing: ReflectorTiming,
    private readonly signal: AbortSignal,
    private readonly logger: Logger,
    private readonly random: () => number = Math.random,
  ) {
    this.description = namespace === undefined ? kind.resource : `${kind.resource} in namespace ${namespace}`;
    this.backoff = new Backoff(timing.backoff.initialMs, timing.backoff.maxMs, random);
  }

  /** Mirrors the collection until the signal aborts; resolves with every request and timer closed. */
  async run(): Promise<void> {
    while (!this.signal.aborted) {
      const delayMs = this.resourceVersion === undefined ? await this.list() : await this.watch();
      if (delayMs > 0) await sleep(delayMs, this.signal);
    }
  }

  /** Lists the collection, chunk by chunk, and makes the store hold exactly it; returns the delay before the next step. */
  private async list(): Promise<number> {
    const generation = this.connection.generation;
    const seen = new Map<string, V>();
    let resourceVersion = '';
    let continueToken: string | undefined;
    try {
      do {
        const chunk = await this.kind.list(this.connection, {
          ...(this.namespace !== undefined && { namespace: this.namespace }),
          limit: this.timing.pageSize,
          ...(continueToken !== undefined && { continueToken }),
          signal: this.signal,
        });
        // Every chunk of a list shares the first chunk's resourceVersion.
        if (continueToken === undefined) resourceVersion = chunk.resourceVersion;
        for (const item of chunk.items) {
          const keyed = this.kind.project(item);
          if (keyed) seen.set(keyed.key, keyed.view);
        }
        continueToken = chunk.continueToken;
      } while (continueToken !== undefined);
    } catch (error) {
      if (this.signal.aborted) return 0;
      const failure = toKubeApiError(error);
      if (failure.expired && continueToken !== undefined) {
        // The continue token outlived its snapshot (etcd compaction). Its remainder would be
        // inconsistent with the chunks read: start over, at once the first time.
        this.logger.debug({ resource: this.description }, 'list continue token expired; listing again');
        this.expiredInARow += 1;
        return this.expiredInARow === 1 ? 0 : this.backoff.next();
      }
      return this.fail(failure, generation, 'list');
    }
    for (const [key, view] of seen) this.store.put(key, view);
    // Whatever the store holds that the list lacks was deleted while no watch saw it.
    for (const key of this.store.keys(this.namespace)) if (!seen.has(key)) this.store.delete(key);
    this.resourceVersion = resourceVersion;
    this.unauthorizedInARow = 0;
    this.relistAt =
      this.timing.resyncMs > 0
        ? Date.now() + this.timing.resyncMs * (0.9 + 0.2 * this.random())
        : Number.POSITIVE_INFINITY;
    this.logger.debug({ resource: this.description, items: seen.size, resourceVersion }, 'listed');
    this.listener.changed();
    this.listener.listed(this);
    this.listener.recovered(this);
    return 0;
  }

  /** Watches from the last resourceVersion until the stream ends; returns the delay before the next step. */
  private async watch(): Promise<number> {
    const untilRelist = this.relistAt - Date.now();
    if (untilRelist <= 0) {
      this.resourceVersion = undefined;
      return 0;
    }
    const generation = this.connection.generation;
    const timeoutSeconds = Math.max(
      1,
      Math.min(
        Math.round(this.timing.watchTimeoutSeconds * (1 + this.random())),
        Math.ceil(untilRelist / 1000),
      ),
    );
    const started = Date.now();
    const end = await watchCollection(
      this.connection.config,
      this.connection.redactor,
      {
        path: this.kind.path(this.namespace),
        query: {
          resourceVersion: this.resourceVersion ?? '',
          allowWatchBookmarks: 'true',
          timeoutSeconds: String(timeoutSeconds),
        },
        ...(this.kind.metadataOnly && { accept: METADATA_WATCH }),
        idleTimeoutMs: timeoutSeconds * 1000 + this.timing.stallGraceMs,
        signal: this.signal,
      },
      () => {
        this.unauthorizedInARow = 0;
        this.listener.recovered(this);
      },
      (event) => this.apply(event),
    );
    return this.afterWatch(end, Date.now() - started, generation);
  }

  private apply(event: WatchEvent): void {
    if (event.type === 'ADDED' || event.type === 'MODIFIED') {
      const keyed = this.kind.project(event.object);
      if (keyed) this.store.put(keyed.key, keyed.view);
    } else if (event.type === 'DELETED') {
      const key = objectKey(event.object);
      if (key !== undefined) this.store.delete(key);
    }
    // Resuming from a bookmark's resourceVersion skips history the collection had no part in.
    const resourceVersion = resourceVersionOf(event.object);
    if (resourceVersion !== undefined) this.resourceVersion = resourceVersion;
    this.listener.changed();
  }

  private afterWatch(end: WatchEnd, lastedMs: number, generation: number): number {
    switch (end.kind) {
      case 'aborted':
        return 0;
      case 'stalled':
        this.logger.warn(
          { resource: this.description },
          'watch went silent past its timeout; watching again',
        );
        return 0;
      case 'closed':
        // A watch the server ends at once, with nothing in it, again and again, would be a tight loop.
        if (end.events === 0 && lastedMs < this.timing.shortWatchMs) return this.backoff.next();
        // Only a watch that served its time proves the collection healthy: a successful list does
        // not (a server answering every watch with 410 would have it relisting in a loop).
        this.backoff.reset();
        this.expiredInARow = 0;
        return 0;
      case 'error-event':
      case 'failed':
        if (end.error.expired) {
          this.logger.debug(
            { resource: this.description, resourceVersion: this.resourceVersion, message: end.error.message },
            'watch resourceVersion expired; listing again',
          );
          this.resourceVersion = undefined;
          this.expiredInARow = lastedMs >= this.timing.shortWatchMs ? 1 : this.expiredInARow + 1;
          return this.expiredInARow === 1 ? 0 : this.backoff.next();
        }
        return this.fail(end.error, generation, 'watch');
    }
  }

  private fail(error: KubeApiError, generation: number, operation: 'list' | 'watch'): number {
    if (error.unauthorized) {
      // Most likely a rotated token (projected service-account tokens live an hour) or expired
      // exec credentials: reload them, and retry at once the first time.
      this.unauthorizedInARow += 1;
      try {
        this.connection.refreshCredentials(generation);
      } catch (reloadError) {
        error = new KubeApiError(
          `${error.message}; reloading credentials failed: ${(reloadError as Error).message}`,
          401,
        );
      }
      if (this.unauthorizedInARow === 1) return 0;
    }
    this.listener.failed(this, error, operation);
    // At least as long as a 429's Retry-After asks.
    return this.backoff.next(error.retryAfterMs);
  }
}
