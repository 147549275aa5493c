import type { StoredObject } from './object-store';

/** One page of a chunked list. */
export interface ListPage {
  readonly items: readonly StoredObject[];
  /** The resourceVersion every page of this list shares: the first page's. */
  readonly resourceVersion: number;
  readonly continue?: string;
  readonly remainingItemCount?: number;
}

export type ContinueOutcome =
  | { readonly kind: 'page'; readonly page: ListPage }
  | { readonly kind: 'expired'; readonly lastKey: string }
  | { readonly kind: 'invalid' };

interface Snapshot {
  readonly items: readonly StoredObject[];
  readonly resourceVersion: number;
  readonly createdAt: number;
}

interface ContinueToken {
  readonly v: 'meta.k8s.io/v1';
  readonly rv: number;
  /** The key to start after, followed by NUL, as the API server's tokens hold it. */
  readonly start: string;
  readonly snapshot: number;
  readonly offset: number;
}

/**
 * Chunked lists (`limit` / `continue`) with the API server's guarantee: every page comes from the
 * state at the first page's resourceVersion, whatever changed since. The state is held until the
 * last page is read or the token expires (after `ttlMs`, when the history is compacted past it, or
 * when a test expires every token); then a continue gets 410 `Expired`, as from etcd.
 */
export class ListPager {
  private readonly snapshots = new Map<number, Snapshot>();
  private nextId = 1;

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** The first page of `items` (already filtered and in key order) at `resourceVersion`. */
  first(items: readonly StoredObject[], resourceVersion: number, limit: number | undefined): ListPage {
    if (limit === undefined || items.length <= limit) return { items, resourceVersion };
    const id = this.nextId;
    this.nextId += 1;
    this.snapshots.set(id, { items, resourceVersion, createdAt: this.now() });
    return this.page(id, 0, limit);
  }

  /**
   * A token for reading `items` (the remainder after an expired token, from the current state)
   * page by page; undefined when there is nothing left.
   */
  resume(items: readonly StoredObject[], resourceVersion: number): string | undefined {
    if (items.length === 0) return undefined;
    const id = this.nextId;
    this.nextId += 1;
    this.snapshots.set(id, { items, resourceVersion, createdAt: this.now() });
    return encodeToken({
      v: 'meta.k8s.io/v1',
      rv: resourceVersion,
      start: '\u0000',
      snapshot: id,
      offset: 0,
    });
  }

  /** The page after `token`; `oldestResourceVersion` is the store's compaction point. */
  next(token: string, limit: number | undefined, oldestResourceVersion: number): ContinueOutcome {
    const decoded = decodeToken(token);
    if (!decoded) return { kind: 'invalid' };
    const snapshot = this.snapshots.get(decoded.snapshot);
    const lastKey = decoded.start.endsWith('\u0000') ? decoded.start.slice(0, -1) : decoded.start;
    if (
      !snapshot ||
      this.now() - snapshot.createdAt >= this.ttlMs ||
      snapshot.resourceVersion < oldestResourceVersion
    ) {
      this.snapshots.delete(decoded.snapshot);
      return { kind: 'expired', lastKey };
    }
    return { kind: 'page', page: this.page(decoded.snapshot, decoded.offset, limit) };
  }

  /** Makes every continue token handed out so far expire. */
  expireAll(): void {
    this.snapshots.clear();
  }

  private page(id: number, offset: number, limit: number | undefined): ListPage {
    const snapshot = this.snapshots.get(id) as Snapshot;
    const end = limit === undefined ? snapshot.items.length : Math.min(snapshot.items.length, offset + limit);
    const items = snapshot.items.slice(offset, end);
    const remaining = snapshot.items.length - end;
    if (remaining === 0) {
      this.snapshots.delete(id);
      return { items, resourceVersion: snapshot.resourceVersion };
    }
    const token: ContinueToken = {
      v: 'meta.k8s.io/v1',
      rv: snapshot.resourceVersion,
      start: `${items[items.length - 1]?.key ?? ''}\u0000`,
      snapshot: id,
      offset: end,
    };
    return {
      items,
      resourceVersion: snapshot.resourceVersion,
      continue: encodeToken(token),
      remainingItemCount: remaining,
    };
  }
}

function encodeToken(token: ContinueToken): string {
  return Buffer.from(JSON.stringify(token)).toString('base64url');
}

function decodeToken(token: string): ContinueToken | undefined {
  try {
    const value = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as Partial<ContinueToken>;
    if (
      value.v !== 'meta.k8s.io/v1' ||
      typeof value.rv !== 'number' ||
      typeof value.start !== 'string' ||
      typeof value.snapshot !== 'number' ||
      typeof value.offset !== 'number'
    ) {
      return undefined;
    }
    return value as ContinueToken;
  } catch {
    return undefined;
  }
}
