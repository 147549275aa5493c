/**
 * `sextant status`: the proxies that /debug/proxies reports, one row per node id, with the state
 * of each resource type. Reads the endpoint's stream view (per stream: node, client, peer,
 * connectedSeconds, and per type lastSent/lastAcked/lastNack), and also the richer proxy view
 * (kind, address, userAgent, connectedAt/lastSeen, status, and per type a `state` of its own)
 * when the daemon returns one: fields it does not know are ignored, fields missing are shown `-`.
 */

import { AdminRequestError } from '../admin-client/admin-client';

export const TYPE_COLUMNS = ['cds', 'lds', 'rds', 'eds'] as const;
export type TypeColumn = (typeof TYPE_COLUMNS)[number];

export type TypeState = 'SYNCED' | 'STALE' | 'NOT SENT' | 'NACKED';

export interface ProxyRow {
  readonly name: string;
  readonly kind: string | null;
  readonly address: string | null;
  readonly agent: string | null;
  /** connected / disconnected, when the daemon says (REST pollers have no connection). */
  readonly status: string | null;
  readonly types: Readonly<Record<TypeColumn, TypeState>>;
  /** Why a client rejected a type's latest response, by type. */
  readonly nacks: Readonly<Partial<Record<TypeColumn, string>>>;
  readonly connectedSeconds: number | null;
  readonly lastSeen: string | null;
}

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  value !== null && typeof value === 'object' && !Array.isArray(value);
const text = (value: unknown): string | null =>
  typeof value === 'string' && value !== '' ? value : typeof value === 'number' ? String(value) : null;

/** The proxies of a /debug/proxies answer (`clients`; the older `streams` and `proxies` are read too). */
export function fleetRows(body: unknown, now: number): ProxyRow[] {
  const entries = isObject(body) ? [body.clients, body.proxies, body.streams].find(Array.isArray) : undefined;
  if (!entries) {
    throw new AdminRequestError('/debug/proxies: the answer has no "clients" (is this sextant?)');
  }
  const byName = new Map<string, ProxyRow>();
  for (const [index, entry] of (entries as unknown[]).entries()) {
    if (!isObject(entry)) continue;
    const row = proxyRow(entry, now, index);
    const seen = byName.get(row.name);
    byName.set(row.name, seen ? mergeRows(seen, row) : row);
  }
  return [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function proxyRow(entry: Json, now: number, index: number): ProxyRow {
  const client = isObject(entry.client) ? entry.client : {};
  const types: Record<TypeColumn, TypeState> = {
    cds: 'NOT SENT',
    lds: 'NOT SENT',
    rds: 'NOT SENT',
    eds: 'NOT SENT',
  };
  const nacks: Partial<Record<TypeColumn, string>> = {};
  const typeViews = isObject(entry.types) ? entry.types : {};
  for (const [key, view] of Object.entries(typeViews)) {
    const column = typeColumn(key);
    if (!column || !isObject(view)) continue;
    types[column] = typeState(view);
    const nack = nackMessage(view);
    if (types[column] === 'NACKED' && nack !== null) nacks[column] = nack;
  }
  const connectedAt = text(entry.connectedAt) ?? text(entry.connectedSince);
  const connectedSeconds =
    typeof entry.connectedSeconds === 'number'
      ? entry.connectedSeconds
      : connectedAt !== null && !Number.isNaN(Date.parse(connectedAt))
        ? Math.max(0, Math.round((now - Date.parse(connectedAt)) / 1000))
        : null;
  return {
    name:
      text(entry.node) ?? text(entry.nodeId) ?? text(entry.id) ?? `(stream ${text(entry.stream) ?? index})`,
    kind: text(entry.kind) ?? text(client.kind),
    address: text(entry.address) ?? text(entry.peer),
    agent: text(entry.userAgent) ?? text(entry.agent) ?? text(client.agent),
    status: text(entry.status),
    types,
    nacks,
    connectedSeconds,
    lastSeen: text(entry.lastSeen),
  };
}

/** `cds`, `CDS`, `clusters` or a type URL: the column it belongs in. */
function typeColumn(key: string): TypeColumn | undefined {
  const lower = key.toLowerCase();
  if ((TYPE_COLUMNS as readonly string[]).includes(lower)) return lower as TypeColumn;
  if (/cluster(s)?$|clusterloadassignment/.test(lower))
    return lower.includes('loadassignment') ? 'eds' : 'cds';
  if (/endpoint(s)?$/.test(lower)) return 'eds';
  if (/listener(s)?$/.test(lower)) return 'lds';
  if (/route(s)?$|routeconfiguration$/.test(lower)) return 'rds';
  return undefined;
}

function typeState(view: Json): TypeState {
  const state = text(view.state)?.toUpperCase().replace(/[_-]/g, ' ');
  if (state === 'SYNCED' || state === 'STALE' || state === 'NOT SENT' || state === 'NACKED') return state;
  const sent = isObject(view.lastSent) ? text(view.lastSent.nonce) : null;
  if (sent === null) return 'NOT SENT';
  if (isObject(view.lastNack) && text(view.lastNack.nonce) === sent) return 'NACKED';
  return view.upToDate === true ? 'SYNCED' : 'STALE';
}

function nackMessage(view: Json): string | null {
  const nack = isObject(view.nack) ? view.nack : isObject(view.lastNack) ? view.lastNack : null;
  return nack ? text(nack.message) : text(view.nack);
}

const SEVERITY: Record<TypeState, number> = { SYNCED: 0, 'NOT SENT': 1, STALE: 2, NACKED: 3 };

/** Streams of one node (an Envoy with one stream per type): each type from the stream that serves it. */
function mergeRows(a: ProxyRow, b: ProxyRow): ProxyRow {
  const types = { ...a.types };
  const nacks = { ...a.nacks };
  for (const column of TYPE_COLUMNS) {
    if (a.types[column] === 'NOT SENT' || SEVERITY[b.types[column]] > SEVERITY[a.types[column]]) {
      if (b.types[column] !== 'NOT SENT') types[column] = b.types[column];
      if (b.nacks[column] !== undefined) nacks[column] = b.nacks[column];
    }
  }
  return {
    ...a,
    kind: a.kind ?? b.kind,
    address: a.address ?? b.address,
    agent: a.agent ?? b.agent,
    status: a.status === 'connected' || b.status === null ? a.status : b.status,
    types,
    nacks,
    // The node has been connected since its oldest stream opened.
    connectedSeconds: oldest(a.connectedSeconds, b.connectedSeconds),
    lastSeen: a.lastSeen ?? b.lastSeen,
  };
}

function oldest(a: number | null, b: number | null): number | null {
  if (a === null) return b;
  return b === null ? a : Math.max(a, b);
}
