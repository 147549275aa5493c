import { isResourceTypeUrl, TYPE_SHORT_NAMES } from '@sextant/envoy';
import type { AckRecord, NackRecord, SentRecord } from './type-status';
import type { TypeSubscriber } from './xds-stream';

/** One open stream as /debug/proxies shows it. */
export interface ProxyStatus {
  readonly stream: number;
  readonly node: string | null;
  readonly client: { readonly kind: string; readonly agent: string; readonly cluster: string } | null;
  readonly proxy: { readonly type: string; readonly ip: string | null; readonly domain: string } | null;
  /** `ADS` or the per-type service (`CDS`…), and the protocol. */
  readonly api: string;
  readonly protocol: string;
  readonly peer: string;
  readonly connectedSince: string;
  readonly connectedSeconds: number;
  readonly types: Readonly<Record<string, TypeView>>;
  /** Types the client asked for that Sextant does not serve. */
  readonly unsupportedTypes: readonly string[];
  /** The client is not reading: newer state waits until it does (a slow or stuck client). */
  readonly waitingForClient: boolean;
}

export interface TypeView {
  readonly wildcard: boolean;
  /** How many names it subscribes to; with `?node=`, the names themselves. */
  readonly subscribed: number;
  readonly names?: readonly string[];
  readonly lastSent: (Omit<SentRecord, 'at'> & { readonly at: string }) | null;
  readonly lastAcked: (Omit<AckRecord, 'at'> & { readonly at: string }) | null;
  readonly lastNack: (Omit<NackRecord, 'at'> & { readonly at: string }) | null;
  /** The latest response has been acknowledged. */
  readonly upToDate: boolean;
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
}

const iso = (ms: number) => new Date(ms).toISOString();

function withIso<T extends { readonly at: number }>(
  record: T | undefined,
): (Omit<T, 'at'> & { at: string }) | null {
  return record ? { ...record, at: iso(record.at) } : null;
}

export function proxyStatus(stream: ObservableStream, now: number, withNames: boolean): ProxyStatus {
  const { client } = stream;
  const types: Record<string, TypeView> = {};
  for (const subscriber of stream.subscribers()) {
    const { subscription, status } = subscriber;
    const names = subscription.resourceNames();
    types[TYPE_SHORT_NAMES[subscriber.typeUrl]] = {
      wildcard: subscription.isWildcard(),
      subscribed: names.size,
      ...(withNames ? { names: [...names].sort() } : {}),
      lastSent: withIso(status.lastSent),
      lastAcked: withIso(status.lastAcked),
      lastNack: withIso(status.lastNack),
      upToDate: status.upToDate(),
      staleRequests: status.staleRequests,
    };
  }
  const typeUrl = stream.method.typeUrl;
  return {
    stream: stream.id,
    node: client?.id ?? null,
    client: client ? { kind: client.kind, agent: client.agent, cluster: client.cluster } : null,
    proxy: client
      ? { type: client.proxy.type, ip: client.proxy.ip ?? null, domain: client.proxy.domain }
      : null,
    api: typeUrl && isResourceTypeUrl(typeUrl) ? TYPE_SHORT_NAMES[typeUrl].toUpperCase() : 'ADS',
    protocol: stream.method.protocol,
    peer: stream.peer,
    connectedSince: iso(stream.connectedSince),
    connectedSeconds: Math.max(0, Math.round((now - stream.connectedSince) / 1000)),
    types,
    unsupportedTypes: [...stream.unsupportedTypes].sort(),
    waitingForClient: stream.congested,
  };
}
