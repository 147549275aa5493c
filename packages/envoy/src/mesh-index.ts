import {
  isHttpProtocol,
  type ServiceEntry,
  type ServiceInstance,
  type ServicePort,
  type Snapshot,
} from '@sextant/core';

/**
 * Lookups every renderer needs, kept up to date with work proportional to what changed: the
 * index of the newest snapshot is advanced from its predecessor's by applying `changed`, and
 * only a snapshot with no known predecessor is indexed from scratch.
 *
 * Callers never hold the index itself: they ask with a snapshot, and every list returned is
 * immutable, so a later snapshot cannot change what an earlier answer contained.
 */
interface MeshIndex {
  snapshot: Snapshot;
  /** Entries in hostname order: the order of every rendered list. Replaced, never mutated. */
  entries: readonly ServiceEntry[];
  /** Instances by IP, for a proxy's own (inbound) instances. Mutated in place; lists replaced. */
  readonly byAddress: Map<string, readonly ServiceInstance[]>;
  /** Entries with an HTTP port of that number, hostname order. Lists replaced, never mutated. */
  readonly httpByPort: Map<number, readonly ServiceEntry[]>;
  /** Entries with a TCP port and a VIP (they get outbound TCP listeners), hostname order. */
  tcpWithVip: readonly ServiceEntry[];
}

let live: MeshIndex | undefined;
const others = new WeakMap<Snapshot, MeshIndex>();

function indexOf(snapshot: Snapshot): MeshIndex {
  if (live?.snapshot === snapshot) return live;
  if (live && snapshot.previousVersion !== undefined && snapshot.previousVersion === live.snapshot.version) {
    // Versions are content digests: equal versions mean equal content, so applying this
    // snapshot's changes to the live index yields exactly this snapshot's index. The index
    // then belongs to the new snapshot; the old one, if asked again, is indexed afresh.
    others.delete(live.snapshot);
    advance(live, snapshot);
    return live;
  }
  let index = others.get(snapshot);
  if (!index) {
    index = build(snapshot);
    others.set(snapshot, index);
    if (!live || snapshot.createdAt >= live.snapshot.createdAt) live = index;
  }
  return index;
}

/** Every entry, in hostname order. */
export function sortedEntries(snapshot: Snapshot): readonly ServiceEntry[] {
  return indexOf(snapshot).entries;
}

/** The instances at an IP, in hostname order. */
export function instancesAt(snapshot: Snapshot, ip: string): readonly ServiceInstance[] {
  return indexOf(snapshot).byAddress.get(ip) ?? [];
}

/** Entries with an HTTP port numbered `port`, in hostname order. */
export function httpEntriesOnPort(snapshot: Snapshot, port: number): readonly ServiceEntry[] {
  return indexOf(snapshot).httpByPort.get(port) ?? [];
}

/** Every port number some service speaks HTTP on, ascending. */
export function httpPorts(snapshot: Snapshot): number[] {
  return [...indexOf(snapshot).httpByPort.keys()].sort((a, b) => a - b);
}

/** Entries with a TCP port and at least one VIP, in hostname order. */
export function tcpEntriesWithVip(snapshot: Snapshot): readonly ServiceEntry[] {
  return indexOf(snapshot).tcpWithVip;
}

function build(snapshot: Snapshot): MeshIndex {
  const index: MeshIndex = {
    snapshot,
    entries: [...snapshot.services.values()].sort((a, b) =>
      compareHost(a.service.hostname, b.service.hostname),
    ),
    byAddress: new Map(),
    httpByPort: new Map(),
    tcpWithVip: [],
  };
  const tcp: ServiceEntry[] = [];
  for (const entry of index.entries) {
    for (const instance of entry.instances) {
      const list = index.byAddress.get(instance.address) as ServiceInstance[] | undefined;
      if (list) list.push(instance);
      else index.byAddress.set(instance.address, [instance]);
    }
    for (const port of httpPortNumbers(entry)) {
      const list = index.httpByPort.get(port) as ServiceEntry[] | undefined;
      if (list) list.push(entry);
      else index.httpByPort.set(port, [entry]);
    }
    if (hasTcpVip(entry)) tcp.push(entry);
  }
  index.tcpWithVip = tcp;
  return index;
}

function advance(index: MeshIndex, next: Snapshot): void {
  let entries = index.entries;
  let tcp = index.tcpWithVip;
  for (const hostname of next.changed) {
    const before = index.snapshot.services.get(hostname);
    const after = next.services.get(hostname);
    entries = replaceSorted(entries, hostname, after);
    tcp = replaceSorted(tcp, hostname, after && hasTcpVip(after) ? after : undefined);
    for (const instance of before?.instances ?? []) {
      const rest = (index.byAddress.get(instance.address) ?? []).filter((i) => i.hostname !== hostname);
      if (rest.length > 0) index.byAddress.set(instance.address, rest);
      else index.byAddress.delete(instance.address);
    }
    for (const instance of after?.instances ?? []) {
      const list = [...(index.byAddress.get(instance.address) ?? []), instance];
      index.byAddress.set(
        instance.address,
        list.sort((a, b) => compareHost(a.hostname, b.hostname) || a.port - b.port),
      );
    }
    const ports = new Set([
      ...(before ? httpPortNumbers(before) : []),
      ...(after ? httpPortNumbers(after) : []),
    ]);
    for (const port of ports) {
      const onPort = after && httpPortNumbers(after).includes(port) ? after : undefined;
      const list = replaceSorted(index.httpByPort.get(port) ?? [], hostname, onPort);
      if (list.length > 0) index.httpByPort.set(port, list);
      else index.httpByPort.delete(port);
    }
  }
  index.entries = entries;
  index.tcpWithVip = tcp;
  index.snapshot = next;
}

/** A copy of a hostname-sorted list with `hostname`'s entry replaced, inserted, or (undefined) removed. */
function replaceSorted(
  list: readonly ServiceEntry[],
  hostname: string,
  entry: ServiceEntry | undefined,
): readonly ServiceEntry[] {
  let low = 0;
  let high = list.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (compareHost((list[mid] as ServiceEntry).service.hostname, hostname) < 0) low = mid + 1;
    else high = mid;
  }
  const present = list[low]?.service.hostname === hostname;
  if (!present && !entry) return list;
  const copy = [...list];
  if (entry) copy.splice(low, present ? 1 : 0, entry);
  else copy.splice(low, 1);
  return copy;
}

function httpPortNumbers(entry: ServiceEntry): number[] {
  return entry.service.ports.filter((p) => isHttpProtocol(p.protocol)).map((p) => p.port);
}

function hasTcpVip(entry: ServiceEntry): boolean {
  return entry.service.addresses.length > 0 && entry.service.ports.some((p) => !isHttpProtocol(p.protocol));
}

function compareHost(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A port the proxy's own workload listens on, and the service port it serves. */
export interface LocalPort {
  readonly port: number;
  readonly servicePort: ServicePort;
  readonly hostname: string;
}

/**
 * The ports of the workload co-located with a proxy: instances whose address is the proxy's IP.
 * One per port number; when two services share a workload port, the first by hostname wins.
 */
export function localPorts(snapshot: Snapshot, ip: string | undefined): LocalPort[] {
  if (ip === undefined) return [];
  const byPort = new Map<number, LocalPort>();
  for (const instance of instancesAt(snapshot, ip)) {
    if (byPort.has(instance.port)) continue;
    const servicePort = snapshot.services
      .get(instance.hostname)
      ?.service.ports.find((p) => p.name === instance.portName);
    if (servicePort)
      byPort.set(instance.port, { port: instance.port, servicePort, hostname: instance.hostname });
  }
  return [...byPort.values()].sort((a, b) => a.port - b.port);
}

/**
 * Memoises a function of one immutable object by identity: unchanged service entries are the
 * same objects across snapshots, so their results are computed once.
 */
function memoByIdentity<K extends object, T>(compute: (key: K) => T): (key: K) => T {
  const cache = new WeakMap<K, T>();
  return (key) => {
    let value = cache.get(key);
    if (value === undefined) {
      value = compute(key);
      cache.set(key, value);
    }
    return value;
  };
}

/** Memoises a function of one service entry. */
export const perEntry = <T>(render: (entry: ServiceEntry) => T) => memoByIdentity(render);

/** Memoises a function of one snapshot. */
export const perSnapshot = <T>(render: (snapshot: Snapshot) => T) => memoByIdentity(render);
