import {
  isHttpProtocol,
  type ServiceEntry,
  type ServiceInstance,
  type ServicePort,
  type Snapshot,
} from '@sextant/core';

/** A port the proxy's own workload listens on, and the service port it serves. */
export interface LocalPort {
  readonly port: number;
  readonly servicePort: ServicePort;
  readonly hostname: string;
}

/**
 * Lookups every renderer needs, kept up to date with work proportional to what changed: the
 * index of the newest snapshot is advanced from its predecessor's by applying `changed`, and
 * only a snapshot with no known predecessor is indexed from scratch.
 *
 * Owned by a Renderer (one per server), never shared through module state. Callers ask with a
 * snapshot and never hold the index itself; every list returned is immutable, so a later
 * snapshot cannot change what an earlier answer contained.
 */
export class MeshIndexes {
  private live: MeshIndex | undefined;
  /** Indexes of snapshots other than the live one (asked for by a debug view, a test). */
  private readonly others = new WeakMap<Snapshot, MeshIndex>();

  /** Every entry, in hostname order. */
  sortedEntries(snapshot: Snapshot): readonly ServiceEntry[] {
    return this.indexOf(snapshot).entries;
  }

  /** The instances at an IP, in hostname order. */
  instancesAt(snapshot: Snapshot, ip: string): readonly ServiceInstance[] {
    return this.indexOf(snapshot).byAddress.get(ip) ?? [];
  }

  /** Entries with an HTTP port numbered `port`, in hostname order. */
  httpEntriesOnPort(snapshot: Snapshot, port: number): readonly ServiceEntry[] {
    return this.indexOf(snapshot).httpByPort.get(port)?.entries ?? [];
  }

  /** Every port number some service speaks HTTP on, ascending. */
  httpPorts(snapshot: Snapshot): number[] {
    return [...this.indexOf(snapshot).httpByPort.keys()].sort((a, b) => a - b);
  }

  /**
   * A label for the state of the services on an HTTP port (which services, and their shapes):
   * the version of the snapshot in which it last changed. Route tables are cached under it, so
   * a snapshot that did not touch a port's services reuses its tables.
   */
  portVersion(snapshot: Snapshot, port: number): string {
    return this.indexOf(snapshot).httpByPort.get(port)?.version ?? 'none';
  }

  /** Entries with a TCP port and at least one VIP, in hostname order. */
  tcpEntriesWithVip(snapshot: Snapshot): readonly ServiceEntry[] {
    return this.indexOf(snapshot).tcpWithVip;
  }

  /**
   * The part of a proxy's domain that short host names can depend on: its longest suffix that is
   * also a proper suffix of some hostname in the mesh (`""` when none is). Every hostname has the
   * same aliases seen from `domain` as from this (see hostnameAliases), so renderers key route
   * tables on it: a client inventing domains reaches one of the mesh's few, not a new table.
   */
  effectiveDomain(snapshot: Snapshot, domain: string): string {
    const suffixes = this.indexOf(snapshot).suffixes;
    let rest = domain;
    while (rest !== '') {
      if (suffixes.has(rest)) return rest;
      const dot = rest.indexOf('.');
      rest = dot < 0 ? '' : rest.slice(dot + 1);
    }
    return '';
  }

  /**
   * The ports of the workload co-located with a proxy: instances whose address is the proxy's IP.
   * One per port number; when two services share a workload port, the first by hostname wins.
   */
  localPorts(snapshot: Snapshot, ip: string | undefined): LocalPort[] {
    if (ip === undefined) return [];
    const byPort = new Map<number, LocalPort>();
    for (const instance of this.instancesAt(snapshot, ip)) {
      if (byPort.has(instance.port)) continue;
      const servicePort = snapshot.services
        .get(instance.hostname)
        ?.service.ports.find((p) => p.name === instance.portName);
      if (servicePort)
        byPort.set(instance.port, { port: instance.port, servicePort, hostname: instance.hostname });
    }
    return [...byPort.values()].sort((a, b) => a.port - b.port);
  }

  private indexOf(snapshot: Snapshot): MeshIndex {
    const live = this.live;
    if (live?.snapshot === snapshot) return live;
    if (
      live &&
      snapshot.previousVersion !== undefined &&
      snapshot.previousVersion === live.snapshot.version
    ) {
      // Versions are content digests: equal versions mean equal content, so applying this
      // snapshot's changes to the live index yields exactly this snapshot's index. The index
      // then belongs to the new snapshot; the old one, if asked again, is indexed afresh.
      this.others.delete(live.snapshot);
      advance(live, snapshot);
      return live;
    }
    let index = this.others.get(snapshot);
    if (!index) {
      index = build(snapshot);
      this.others.set(snapshot, index);
      if (!live || snapshot.createdAt >= live.snapshot.createdAt) this.live = index;
    }
    return index;
  }
}

interface PortIndex {
  /** Entries with an HTTP port of that number, hostname order. Replaced, never mutated. */
  readonly entries: readonly ServiceEntry[];
  /** The version of the snapshot in which these entries (or their shapes) last changed. */
  readonly version: string;
}

interface MeshIndex {
  snapshot: Snapshot;
  /** Entries in hostname order: the order of every rendered list. Replaced, never mutated. */
  entries: readonly ServiceEntry[];
  /** Instances by IP, for a proxy's own (inbound) instances. Mutated in place; lists replaced. */
  readonly byAddress: Map<string, readonly ServiceInstance[]>;
  readonly httpByPort: Map<number, PortIndex>;
  /** Entries with a TCP port and a VIP (they get outbound TCP listeners), hostname order. */
  tcpWithVip: readonly ServiceEntry[];
  /** Proper suffixes of every hostname (`svc.cluster.local`, `cluster.local`, `local`…), counted. */
  readonly suffixes: Map<string, number>;
}

function build(snapshot: Snapshot): MeshIndex {
  const entries = [...snapshot.services.values()].sort((a, b) =>
    compareHost(a.service.hostname, b.service.hostname),
  );
  const byAddress = new Map<string, ServiceInstance[]>();
  const byPort = new Map<number, ServiceEntry[]>();
  const suffixes = new Map<string, number>();
  const tcp: ServiceEntry[] = [];
  for (const entry of entries) {
    for (const instance of entry.instances) {
      const list = byAddress.get(instance.address);
      if (list) list.push(instance);
      else byAddress.set(instance.address, [instance]);
    }
    for (const port of httpPortNumbers(entry)) {
      const list = byPort.get(port);
      if (list) list.push(entry);
      else byPort.set(port, [entry]);
    }
    if (hasTcpVip(entry)) tcp.push(entry);
    countSuffixes(suffixes, entry.service.hostname, 1);
  }
  const httpByPort = new Map<number, PortIndex>();
  for (const [port, list] of byPort) httpByPort.set(port, { entries: list, version: snapshot.version });
  return { snapshot, entries, byAddress, httpByPort, tcpWithVip: tcp, suffixes };
}

function advance(index: MeshIndex, next: Snapshot): void {
  let entries = index.entries;
  let tcp = index.tcpWithVip;
  for (const hostname of next.changed) {
    const before = index.snapshot.services.get(hostname);
    const after = next.services.get(hostname);
    entries = replaceSorted(entries, hostname, after);
    tcp = replaceSorted(tcp, hostname, after && hasTcpVip(after) ? after : undefined);
    if (before) countSuffixes(index.suffixes, hostname, -1);
    if (after) countSuffixes(index.suffixes, hostname, 1);
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
      const current = index.httpByPort.get(port);
      const list = replaceSorted(current?.entries ?? [], hostname, onPort);
      // Route tables depend on which services are on a port and their shapes, not on instances.
      const moved = !before || !onPort || before.shape !== onPort.shape;
      const version = moved || !current ? next.version : current.version;
      if (list.length > 0) index.httpByPort.set(port, { entries: list, version });
      else index.httpByPort.delete(port);
    }
  }
  index.entries = entries;
  index.tcpWithVip = tcp;
  index.snapshot = next;
}

/** Adds `delta` to the count of every proper suffix of `hostname` (`b.c` and `c` of `a.b.c`). */
function countSuffixes(suffixes: Map<string, number>, hostname: string, delta: number): void {
  let dot = hostname.indexOf('.');
  while (dot >= 0) {
    const suffix = hostname.slice(dot + 1);
    const count = (suffixes.get(suffix) ?? 0) + delta;
    if (count > 0) suffixes.set(suffix, count);
    else suffixes.delete(suffix);
    dot = hostname.indexOf('.', dot + 1);
  }
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
