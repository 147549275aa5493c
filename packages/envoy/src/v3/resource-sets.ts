import { parseServiceKey, type ProxyIdentity, type Snapshot } from '@sextant/core';
import { httpPorts, localPorts, sortedEntries, tcpEntriesWithVip } from '../mesh-index';
import { apiListener, apiListenerTarget } from './api-listeners';
import { blackHoleCluster, inboundCluster, outboundClusters } from './clusters';
import type { EncodedResource } from './encoded-resource';
import { clusterLoadAssignment } from './endpoints';
import {
  inboundListener,
  outboundHttpListener,
  outboundTcpListeners,
  virtualOutboundListener,
} from './listeners';
import { DEFAULT_V3_OPTIONS, type ConfigSourceKind, type V3RenderOptions } from './options';
import { compose, group, groupResources, type ResourceGroup } from './resource-group';
import { routeConfigPort } from '../route-domains';
import { routeConfiguration } from './routes';
import { CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, ROUTE_TYPE, type ResourceTypeUrl } from './type-urls';

/**
 * Every resource of one type one proxy can ask for, from one snapshot: what a wildcard
 * subscription receives, and lookup by name for named subscriptions. Split into the part every
 * proxy of its class shares (built once per snapshot) and the proxy's own part (its inbound
 * resources, built when first asked), so comparing a fleet's wildcard state across snapshots
 * costs nothing for proxies whose own part did not change.
 */
export interface ResourceSet {
  readonly typeUrl: ResourceTypeUrl;
  /** The part of the wildcard group shared by every proxy of this class; same object within a snapshot. */
  shared(): ResourceGroup;
  /** What a wildcard subscription receives: the proxy's own resources, then the shared ones. */
  wildcard(): ResourceGroup;
  /** A resource by name, whether or not a wildcard subscription would receive it. */
  get(name: string): EncodedResource | undefined;
}

/** Who is asking, as far as resources depend on it. */
export interface ResourceRequester {
  readonly proxy: ProxyIdentity;
  /** How the client fetches the resources these resources point at. */
  readonly kind: ConfigSourceKind;
}

const sets = new WeakMap<V3RenderOptions, WeakMap<Snapshot, Map<string, ResourceSet>>>();

/** The resources of `typeUrl` for a requester, memoised per snapshot and class of proxy. */
export function resourceSet(
  snapshot: Snapshot,
  typeUrl: ResourceTypeUrl,
  requester: ResourceRequester,
  options: V3RenderOptions = DEFAULT_V3_OPTIONS,
): ResourceSet {
  let bySnapshot = sets.get(options);
  if (!bySnapshot) {
    bySnapshot = new WeakMap();
    sets.set(options, bySnapshot);
  }
  let byKey = bySnapshot.get(snapshot);
  if (!byKey) {
    byKey = new Map();
    bySnapshot.set(snapshot, byKey);
  }
  const key = setKey(typeUrl, requester);
  let set = byKey.get(key);
  if (!set) {
    set = buildSet(snapshot, typeUrl, requester, options);
    byKey.set(key, set);
  }
  return set;
}

/**
 * The part of a requester's wildcard group that every proxy of its class shares, without building
 * the requester's own set: comparing it across two snapshots tells whether a wildcard subscription
 * can have changed (its own part aside) at the cost of a lookup.
 */
export function sharedGroup(
  snapshot: Snapshot,
  typeUrl: ResourceTypeUrl,
  { proxy, kind }: ResourceRequester,
  options: V3RenderOptions = DEFAULT_V3_OPTIONS,
): ResourceGroup {
  switch (typeUrl) {
    case CLUSTER_TYPE:
      return outboundClusterGroup(snapshot, kind, options);
    case ENDPOINT_TYPE:
      return endpointGroup(snapshot);
    case LISTENER_TYPE:
      return sharedListenerGroup(snapshot, proxy, kind, options);
    case ROUTE_TYPE:
      return routeGroup(snapshot, proxy.domain);
  }
}

/** What of the requester a type's resources depend on: the finest sharing that stays correct. */
function setKey(typeUrl: ResourceTypeUrl, { proxy, kind }: ResourceRequester): string {
  switch (typeUrl) {
    case CLUSTER_TYPE:
    case LISTENER_TYPE:
      return `${typeUrl} ${proxy.type} ${proxy.ip ?? ''} ${kind}`;
    case ENDPOINT_TYPE:
      return typeUrl;
    case ROUTE_TYPE:
      return `${typeUrl} ${proxy.domain}`;
  }
}

function buildSet(
  snapshot: Snapshot,
  typeUrl: ResourceTypeUrl,
  requester: ResourceRequester,
  options: V3RenderOptions,
): ResourceSet {
  switch (typeUrl) {
    case CLUSTER_TYPE:
      return clusterSet(snapshot, requester, options);
    case ENDPOINT_TYPE:
      return endpointSet(snapshot);
    case LISTENER_TYPE:
      return listenerSet(snapshot, requester, options);
    case ROUTE_TYPE:
      return routeSet(snapshot, requester.proxy);
  }
}

/** A set whose parts are built on first use. */
function lazySet(
  typeUrl: ResourceTypeUrl,
  shared: () => ResourceGroup,
  own: () => readonly EncodedResource[],
  get: (name: string, own: () => readonly EncodedResource[]) => EncodedResource | undefined,
  combine: (own: readonly EncodedResource[], shared: ResourceGroup) => ResourceGroup = compose,
): ResourceSet {
  let ownResources: readonly EncodedResource[] | undefined;
  let wildcard: ResourceGroup | undefined;
  // Names looked up, found or not: a fleet asking for the same name costs one lookup per snapshot.
  const found = new Map<string, EncodedResource | undefined>();
  const ownOnce = () => (ownResources ??= own());
  return {
    typeUrl,
    shared,
    wildcard: () => (wildcard ??= combine(ownOnce(), shared())),
    get: (name) => {
      if (found.has(name)) return found.get(name);
      const resource = get(name, ownOnce);
      found.set(name, resource);
      return resource;
    },
  };
}

// ---- CDS

function outboundClusterGroup(
  snapshot: Snapshot,
  kind: ConfigSourceKind,
  options: V3RenderOptions,
): ResourceGroup {
  return perSnapshotKey(sharedGroups(options), snapshot, `cds ${kind}`, () =>
    group(sortedEntries(snapshot).flatMap((entry) => outboundClusters(entry, kind, options))),
  );
}

function clusterSet(
  snapshot: Snapshot,
  { proxy, kind }: ResourceRequester,
  options: V3RenderOptions,
): ResourceSet {
  const own = (): EncodedResource[] => {
    if (proxy.type !== 'sidecar') return [];
    const inbound = localPorts(snapshot, proxy.ip).flatMap(({ port, servicePort, hostname }) => {
      const entry = snapshot.services.get(hostname);
      return entry ? [inboundCluster(entry, port, servicePort, options)] : [];
    });
    return [...inbound, blackHoleCluster(options)];
  };
  return lazySet(
    CLUSTER_TYPE,
    () => outboundClusterGroup(snapshot, kind, options),
    own,
    (name, ownOnce) => {
      const outbound = /^outbound\|(\d+)\|\|(.+)$/.exec(name);
      if (outbound) {
        const entry = snapshot.services.get(outbound[2] ?? '');
        return entry ? outboundClusters(entry, kind, options).find((c) => c.name === name) : undefined;
      }
      return ownOnce().find((c) => c.name === name);
    },
  );
}

// ---- EDS

const allEndpoints = new WeakMap<Snapshot, ResourceGroup>();

function endpointGroup(snapshot: Snapshot): ResourceGroup {
  let shared = allEndpoints.get(snapshot);
  if (!shared) {
    shared = group(
      sortedEntries(snapshot).flatMap((entry) =>
        entry.service.ports.map((port) =>
          clusterLoadAssignment(entry, { hostname: entry.service.hostname, portName: port.name, labels: {} }),
        ),
      ),
    );
    allEndpoints.set(snapshot, shared);
  }
  return shared;
}

function endpointSet(snapshot: Snapshot): ResourceSet {
  return lazySet(
    ENDPOINT_TYPE,
    () => endpointGroup(snapshot),
    () => [],
    (name) => endpointsByKey(snapshot, name),
  );
}

function endpointsByKey(snapshot: Snapshot, name: string): EncodedResource | undefined {
  let key;
  try {
    key = parseServiceKey(name);
  } catch {
    return undefined;
  }
  const entry = snapshot.services.get(key.hostname);
  if (!entry?.service.ports.some((p) => p.name === key.portName)) return undefined;
  return clusterLoadAssignment(entry, key);
}

// ---- LDS

function sharedListenerGroup(
  snapshot: Snapshot,
  proxy: ProxyIdentity,
  kind: ConfigSourceKind,
  options: V3RenderOptions,
): ResourceGroup {
  return perSnapshotKey(sharedGroups(options), snapshot, `lds ${proxy.type} ${kind}`, () => {
    const http = httpPorts(snapshot).map((port) => outboundHttpListener(port, proxy.type, kind, options));
    if (proxy.type !== 'sidecar') return group(http);
    return group(firstPerName([...http, ...tcpEntriesWithVip(snapshot).flatMap(outboundTcpListeners)]));
  });
}

function listenerSet(
  snapshot: Snapshot,
  { proxy, kind }: ResourceRequester,
  options: V3RenderOptions,
): ResourceSet {
  const shared = () => sharedListenerGroup(snapshot, proxy, kind, options);
  const own = (): EncodedResource[] => {
    if (proxy.type !== 'sidecar') return [];
    const ip = proxy.ip;
    const inbound =
      ip === undefined
        ? []
        : localPorts(snapshot, ip).flatMap(({ port, servicePort, hostname }) => {
            const entry = snapshot.services.get(hostname);
            return entry ? [inboundListener(entry, ip, port, servicePort)] : [];
          });
    return [virtualOutboundListener(options), ...inbound];
  };
  const get = (name: string, ownOnce: () => readonly EncodedResource[]) => {
    const mine = ownOnce().find((l) => l.name === name);
    if (mine) return mine;
    for (const listener of groupResources(shared())) if (listener.name === name) return listener;
    const target = apiListenerTarget(snapshot, name);
    return target ? apiListener(target.entry, target.port, name) : undefined;
  };
  return lazySet(LISTENER_TYPE, shared, own, get, composeListeners);
}

/** Own listeners first; a shared one on an address an own one took (a VIP equal to the proxy's IP) is left out. */
function composeListeners(own: readonly EncodedResource[], shared: ResourceGroup): ResourceGroup {
  const taken = new Set(own.map((l) => l.name));
  const sharedList = [...groupResources(shared)];
  if (!sharedList.some((l) => taken.has(l.name))) return compose(own, shared);
  return group([...own, ...sharedList.filter((l) => !taken.has(l.name))]);
}

function firstPerName(resources: readonly EncodedResource[]): EncodedResource[] {
  const seen = new Set<string>();
  return resources.filter((r) => !seen.has(r.name) && seen.add(r.name));
}

// ---- RDS

const routeGroups = new WeakMap<Snapshot, Map<string, ResourceGroup>>();

function routeGroup(snapshot: Snapshot, domain: string): ResourceGroup {
  return perSnapshotKey(routeGroups, snapshot, domain, () =>
    group(httpPorts(snapshot).map((port) => routeConfiguration(snapshot, port, domain))),
  );
}

function routeSet(snapshot: Snapshot, proxy: ProxyIdentity): ResourceSet {
  return lazySet(
    ROUTE_TYPE,
    () => routeGroup(snapshot, proxy.domain),
    () => [],
    (name) => {
      const port = routeConfigPort(name);
      return port === undefined ? undefined : routeConfiguration(snapshot, port, proxy.domain);
    },
  );
}

// ----

const groupsByOptions = new WeakMap<V3RenderOptions, WeakMap<Snapshot, Map<string, ResourceGroup>>>();

/** Shared groups that embed render options (config sources, timeouts), kept per options object. */
function sharedGroups(options: V3RenderOptions): WeakMap<Snapshot, Map<string, ResourceGroup>> {
  let groups = groupsByOptions.get(options);
  if (!groups) {
    groups = new WeakMap();
    groupsByOptions.set(options, groups);
  }
  return groups;
}

function perSnapshotKey<T>(
  cache: WeakMap<Snapshot, Map<string, T>>,
  snapshot: Snapshot,
  key: string,
  build: () => T,
): T {
  let byKey = cache.get(snapshot);
  if (!byKey) {
    byKey = new Map();
    cache.set(snapshot, byKey);
  }
  let value = byKey.get(key);
  if (value === undefined) {
    value = build();
    byKey.set(key, value);
  }
  return value;
}
