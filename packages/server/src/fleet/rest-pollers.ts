import type { SyncState } from '../xds/type-status';

export type RestKind = 'rest-v1' | 'rest-v3';

/** One type's last answer to a poller. */
interface Served {
  /** The version the answer carried: the snapshot's for v1, the digest of the resources for v3. */
  version: string;
  /** The snapshot it came from. */
  snapshot: string;
  at: number;
}

/** A client polling v1 REST (by service cluster and node in the URL) or v3 REST-JSON (by node id). */
interface Poller {
  readonly kind: RestKind;
  readonly node: string;
  readonly cluster: string;
  address: string;
  agent: string;
  readonly firstSeen: number;
  lastSeen: number;
  /** When it was last moved to the end of the table: the table is ordered by this. */
  movedAt: number;
  readonly types: Record<string, Served>;
}

/**
 * A poller is moved to the end of the table at most this often: moving costs a Map delete and
 * set, several times a lookup, and pollers poll several types every second or so. So pollers are
 * forgotten least recently seen first to within this much.
 */
export const POLLER_MOVE_INTERVAL_MS = 10_000;

/** One poller as /debug/proxies shows it. */
export interface PollerStatus {
  readonly kind: RestKind;
  readonly status: 'polling' | 'disconnected';
  readonly node: string;
  readonly cluster: string;
  readonly agent: string;
  readonly address: string;
  readonly firstSeen: string;
  readonly lastSeen: string;
  readonly lastSeenSeconds: number;
  readonly types: Readonly<
    Record<string, { state: SyncState; lastSent: { version: string; snapshot: string; at: string } }>
  >;
}

/** Client text kept per poller (node ids, clusters, user agents) is cut to this many characters. */
export const POLLER_TEXT_MAX = 256;

const cut = (text: string) => (text.length > POLLER_TEXT_MAX ? text.slice(0, POLLER_TEXT_MAX) : text);

/**
 * The REST pollers seen lately, least recently seen first (a Map keeps insertion order and a
 * poller is moved to the end when seen, at most every POLLER_MOVE_INTERVAL_MS). Past `max` the
 * least recently seen is forgotten, so invented node ids cost at most `max` entries of bounded
 * size. Recording a poll costs a lookup and a few field writes: v1 fleets poll every second.
 */
export class RestPollers {
  private readonly pollers = new Map<string, Poller>();
  /** Pollers forgotten to stay within `max` since the last call to takeEvicted(). */
  private evicted = 0;

  constructor(private readonly max: number) {}

  /** The key of a poller: computed once per URL (v1) or request (v3), then used for every poll. */
  static key(kind: RestKind, cluster: string, node: string): string {
    return `${kind}\u0000${cut(cluster)}\u0000${cut(node)}`;
  }

  /** Records a poll; returns true if the poller is new. */
  seen(
    key: string,
    kind: RestKind,
    cluster: string,
    node: string,
    type: string,
    version: string,
    snapshot: string,
    address: string,
    agent: string,
    now: number,
  ): boolean {
    let poller = this.pollers.get(key);
    const isNew = poller === undefined;
    if (poller) {
      if (now - poller.movedAt >= POLLER_MOVE_INTERVAL_MS) {
        this.pollers.delete(key);
        this.pollers.set(key, poller);
        poller.movedAt = now;
      }
    } else {
      poller = {
        kind,
        node: cut(node),
        cluster: cut(cluster),
        address,
        agent: cut(agent),
        firstSeen: now,
        lastSeen: now,
        movedAt: now,
        types: {},
      };
      if (this.pollers.size >= this.max) this.evictOldest();
      this.pollers.set(key, poller);
    }
    poller.lastSeen = now;
    if (poller.address !== address) poller.address = address;
    if (poller.agent !== agent) poller.agent = cut(agent);
    const served = poller.types[type];
    if (served) {
      served.version = version;
      served.snapshot = snapshot;
      served.at = now;
    } else {
      poller.types[type] = { version, snapshot, at: now };
    }
    return isNew;
  }

  /** Forgets pollers not seen since `before`. */
  forgetSilentSince(before: number): void {
    // Ordered by movedAt, and lastSeen is at most POLLER_MOVE_INTERVAL_MS later than it.
    for (const [key, poller] of this.pollers) {
      if (poller.movedAt >= before) break;
      if (poller.lastSeen < before) this.pollers.delete(key);
    }
  }

  get size(): number {
    return this.pollers.size;
  }

  /** How many pollers were forgotten to stay within the cap since the last call. */
  takeEvicted(): number {
    const evicted = this.evicted;
    this.evicted = 0;
    return evicted;
  }

  /** Pollers by kind seen since `since`. */
  countSeenSince(since: number): Map<RestKind, number> {
    const counts = new Map<RestKind, number>();
    for (const poller of this.pollers.values()) {
      if (poller.lastSeen >= since) counts.set(poller.kind, (counts.get(poller.kind) ?? 0) + 1);
    }
    return counts;
  }

  /**
   * Every poller (or those of one node id), most recently seen first. A type is SYNCED if its
   * last answer came from the current snapshot; `activeSince`: seen after it, a poller is `polling`.
   */
  list(current: string | undefined, now: number, activeSince: number, node?: string): PollerStatus[] {
    const iso = (ms: number) => new Date(ms).toISOString();
    const views: PollerStatus[] = [];
    const sorted = [...this.pollers.values()].sort((a, b) => a.lastSeen - b.lastSeen);
    for (const poller of sorted) {
      if (node !== undefined && poller.node !== node) continue;
      const types: Record<string, PollerStatus['types'][string]> = {};
      for (const [type, served] of Object.entries(poller.types)) {
        types[type] = {
          state: served.snapshot === current ? 'SYNCED' : 'STALE',
          lastSent: { version: served.version, snapshot: served.snapshot, at: iso(served.at) },
        };
      }
      views.push({
        kind: poller.kind,
        status: poller.lastSeen >= activeSince ? 'polling' : 'disconnected',
        node: poller.node,
        cluster: poller.cluster,
        agent: poller.agent,
        address: poller.address,
        firstSeen: iso(poller.firstSeen),
        lastSeen: iso(poller.lastSeen),
        lastSeenSeconds: Math.max(0, Math.round((now - poller.lastSeen) / 1000)),
        types,
      });
    }
    return views.reverse();
  }

  private evictOldest(): void {
    const oldest = this.pollers.keys().next().value;
    if (oldest === undefined) return;
    this.pollers.delete(oldest);
    this.evicted += 1;
  }
}
