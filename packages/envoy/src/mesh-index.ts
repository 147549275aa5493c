import {
  isHttpProtocol,
  type ServiceEntry,
  type ServiceInstance,
  type ServicePort,
  type Snapshot,
} from '@sextant/core';
import { routeTargets, selectsClients } from './plan/route-plan';

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
    return listAt(this.indexOf(snapshot).byAddress, ip);
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

  /** Whether any host's routes apply only to some clients (then route tables are keyed by the client too). */
  hasSourceSelectors(snapshot: Snapshot): boolean {
    return this.indexOf(snapshot).selective.size > 0;
  }

  /** Whether some source selector names this namespace (otherwise a client's namespace decides nothing). */
  isSelectorNamespace(snapshot: Snapshot, namespace: string): boolean {
    return this.indexOf(snapshot).selectorNamespaces.has(namespace);
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
  /**
   * Instances by IP, for a proxy's own (inbound) instances. Mutated in place; lists replaced. An IP
   * with one instance (nearly all of them) holds it alone: a list each is some 5 MB at 100,000.
   */
  readonly byAddress: Map<string, AtAddress>;
  readonly httpByPort: Map<number, PortIndex>;
  /** Entries with a TCP port and a VIP (they get outbound TCP listeners), hostname order. */
  tcpWithVip: readonly ServiceEntry[];
  /** Proper suffixes of every hostname (`svc.cluster.local`, `cluster.local`, `local`…), counted. */
  readonly suffixes: Map<string, number>;
  /** For each host, the hosts whose routes send traffic to it: their route tables name its clusters. */
  readonly referrers: Map<string, Set<string>>;
  /** Hosts whose routes apply only to some clients (a source selector): route tables then differ by client. */
  readonly selective: Set<string>;
  /** Namespaces source selectors name, counted: a client's namespace matters only if one is. */
  readonly selectorNamespaces: Map<string, number>;
}

/** What an IP holds: its one instance, or its instances (two or more). */
type AtAddress = ServiceInstance | readonly ServiceInstance[];

function listOf(found: AtAddress): readonly ServiceInstance[] {
  return isList(found) ? found : [found];
}

function isList(found: AtAddress): found is readonly ServiceInstance[] {
  return Array.isArray(found);
}

function listAt(byAddress: ReadonlyMap<string, AtAddress>, ip: string): readonly ServiceInstance[] {
  const found = byAddress.get(ip);
  return found === undefined ? [] : listOf(found);
}

function setAt(byAddress: Map<string, AtAddress>, ip: string, list: readonly ServiceInstance[]): void {
  if (list.length === 0) byAddress.delete(ip);
  else byAddress.set(ip, list.length === 1 ? (list[0] as ServiceInstance) : list);
}

function build(snapshot: Snapshot): MeshIndex {
  const entries = [...snapshot.services.values()].sort((a, b) =>
    compareHost(a.service.hostname, b.service.hostname),
  );
  const byAddress = new Map<string, AtAddress>();
  const byPort = new Map<number, ServiceEntry[]>();
  const suffixes = new Map<string, number>();
  const tcp: ServiceEntry[] = [];
  for (const entry of entries) {
    for (const instance of entry.instances) {
      const found = byAddress.get(instance.address);
      if (found === undefined) byAddress.set(instance.address, instance);
      // Lists made here are this build's own: appended to, not copied (a host may run thousands).
      else if (isList(found)) (found as ServiceInstance[]).push(instance);
      else byAddress.set(instance.address, [found, instance]);
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
  const index = {
    snapshot,
    entries,
    byAddress,
    httpByPort,
    tcpWithVip: tcp,
    suffixes,
    referrers: new Map(),
    selective: new Set<string>(),
    selectorNamespaces: new Map<string, number>(),
  };
  for (const entry of entries) linkRoutes(index, entry.service.hostname, undefined, entry);
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
    if (before) countSuffixes(index.suffixes, hostname, -1);
    if (after) countSuffixes(index.suffixes, hostname, 1);
    for (const instance of before?.instances ?? []) {
      const rest = listAt(index.byAddress, instance.address).filter((i) => i.hostname !== hostname);
      setAt(index.byAddress, instance.address, rest);
    }
    for (const instance of after?.instances ?? []) {
      const list = [...listAt(index.byAddress, instance.address), instance];
      setAt(
        index.byAddress,
        instance.address,
        list.sort((a, b) => compareHost(a.hostname, b.hostname) || a.port - b.port),
      );
    }
    linkRoutes(index, hostname, before, after);
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
  // A host whose shape changed (ports, subsets, policy) or that came or went changes the route
  // tables of every host routing to it: their ports' tables are re-rendered.
  for (const hostname of next.changed) {
    const before = index.snapshot.services.get(hostname);
    const after = next.services.get(hostname);
    if (before?.shape === after?.shape) continue;
    for (const referrer of index.referrers.get(hostname) ?? []) {
      const entry = next.services.get(referrer);
      for (const port of entry ? httpPortNumbers(entry) : []) {
        const current = index.httpByPort.get(port);
        if (current) index.httpByPort.set(port, { entries: current.entries, version: next.version });
      }
    }
  }
  index.entries = entries;
  index.tcpWithVip = tcp;
  index.snapshot = next;
}

/** Records which hosts `hostname`'s routes send traffic to, and whether they select clients. */
function linkRoutes(
  index: Pick<MeshIndex, 'referrers' | 'selective' | 'selectorNamespaces'>,
  hostname: string,
  before: ServiceEntry | undefined,
  after: ServiceEntry | undefined,
): void {
  if (before?.policy === after?.policy) return;
  for (const target of routeTargets(before)) {
    const referrers = index.referrers.get(target);
    referrers?.delete(hostname);
    if (referrers?.size === 0) index.referrers.delete(target);
  }
  for (const target of routeTargets(after)) {
    let referrers = index.referrers.get(target);
    if (!referrers) index.referrers.set(target, (referrers = new Set()));
    referrers.add(hostname);
  }
  for (const namespace of selectorNamespaces(before)) count(index.selectorNamespaces, namespace, -1);
  for (const namespace of selectorNamespaces(after)) count(index.selectorNamespaces, namespace, 1);
  if (selectsClients(after)) {
    index.selective.add(hostname);
  } else {
    index.selective.delete(hostname);
  }
}

function selectorNamespaces(entry: ServiceEntry | undefined): string[] {
  return (entry?.policy?.http ?? []).flatMap((route) =>
    route.matches.flatMap((m) => [
      ...(m.source?.namespace === undefined ? [] : [m.source.namespace]),
      ...(m.source?.excludedNamespaces ?? []),
    ]),
  );
}

function count(counts: Map<string, number>, key: string, delta: number): void {
  const next = (counts.get(key) ?? 0) + delta;
  if (next > 0) counts.set(key, next);
  else counts.delete(key);
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
