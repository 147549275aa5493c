import { isResourceTypeUrl, TYPE_SHORT_NAMES } from '@sextant/envoy';
import type { AckRecord, NackRecord, SentRecord, SyncState } from './type-status';
import type { TypeSubscriber } from './xds-stream';

/** One xDS stream as /debug/proxies shows it, open or recently closed. */
export interface ProxyStatus {
  /** `envoy`, `grpc` (a proxyless gRPC library) or `unknown` (a stream that has not said). */
  readonly kind: string;
  readonly status: 'connected' | 'disconnected';
  readonly node: string | null;
  readonly cluster: string;
  /** What the client calls itself: `envoy 1.31.2`, `gRPC Node Pure JS 1.14.1`. */
  readonly agent: string;
  readonly address: string;
  readonly connectedAt: string;
  readonly connectedSeconds: number;
  readonly disconnectedAt?: string;
  readonly stream: number;
  readonly proxy: { readonly type: string; readonly ip: string | null; readonly domain: string } | null;
  /** `ADS` or the per-type service (`CDS`…), and the protocol. */
  readonly api: string;
  readonly protocol: string;
  readonly types: Readonly<Record<string, TypeView>>;
  /** Types the client asked for that Sextant does not serve. */
  readonly unsupportedTypes: readonly string[];
  /** The client is not reading: newer state waits until it does (a slow or stuck client). */
  readonly waitingForClient: boolean;
}

export interface TypeView {
  readonly state: SyncState;
  readonly wildcard: boolean;
  /** How many names it subscribes to; with `?node=`, the names themselves. */
  readonly subscribed: number;
  readonly names?: readonly string[];
  readonly lastSent: (Omit<SentRecord, 'at'> & { readonly at: string }) | null;
  readonly lastAcked: (Omit<AckRecord, 'at'> & { readonly at: string }) | null;
  /** The last NACK, its message cut to NACK_MESSAGE_MAX characters. */
  readonly lastNack: (Omit<NackRecord, 'at'> & { readonly at: string }) | null;
  readonly staleRequests: number;
}

/** What a stream exposes to the status view. */
export interface ObservableStream {
  readonly id: number;
  readonly client?: {
    readonly id: string;
    readonly kind: string;
    readonly agent: string;
    readonly cluster: string;
    readonly proxy: { readonly type: string; readonly ip?: string; readonly domain: string };
  };
  readonly method: { readonly typeUrl?: string; readonly protocol: string };
  readonly peer: string;
  readonly connectedSince: number;
  readonly unsupportedTypes: ReadonlySet<string>;
  readonly congested: boolean;
  subscribers(): Iterable<TypeSubscriber>;
  stateOf(subscriber: TypeSubscriber): SyncState;
}

const iso = (ms: number) => new Date(ms).toISOString();

function withIso<T extends { readonly at: number }>(
  record: T | undefined,
): (Omit<T, 'at'> & { at: string }) | null {
  return record ? { ...record, at: iso(record.at) } : null;
}

/** The view of a stream; `closedAt` for one that has closed (kept a while on /debug/proxies). */
export function proxyStatus(
  stream: ObservableStream,
  now: number,
  withNames: boolean,
  closedAt?: number,
): ProxyStatus {
  const { client } = stream;
  const types: Record<string, TypeView> = {};
  for (const subscriber of stream.subscribers()) {
    const { subscription, status } = subscriber;
    const names = subscription.resourceNames();
    types[TYPE_SHORT_NAMES[subscriber.typeUrl]] = {
      state: stream.stateOf(subscriber),
      wildcard: subscription.isWildcard(),
      subscribed: names.size,
      ...(withNames ? { names: [...names].sort() } : {}),
      lastSent: withIso(status.lastSent),
      lastAcked: withIso(status.lastAcked),
      lastNack: withIso(status.lastNack),
      staleRequests: status.staleRequests,
    };
  }
  const typeUrl = stream.method.typeUrl;
  const until = closedAt ?? now;
  return {
    kind: client?.kind ?? 'unknown',
    status: closedAt === undefined ? 'connected' : 'disconnected',
    node: client?.id ?? null,
    cluster: client?.cluster ?? '',
    agent: client?.agent ?? '',
    address: stream.peer,
    connectedAt: iso(stream.connectedSince),
    connectedSeconds: Math.max(0, Math.round((until - stream.connectedSince) / 1000)),
    ...(closedAt !== undefined ? { disconnectedAt: iso(closedAt) } : {}),
    stream: stream.id,
    proxy: client
      ? { type: client.proxy.type, ip: client.proxy.ip ?? null, domain: client.proxy.domain }
      : null,
    api: typeUrl && isResourceTypeUrl(typeUrl) ? TYPE_SHORT_NAMES[typeUrl].toUpperCase() : 'ADS',
    protocol: stream.method.protocol,
    types,
    unsupportedTypes: [...stream.unsupportedTypes].sort(),
    waitingForClient: stream.congested,
  };
}
