import { parseV3ClusterName } from '@sextant/core';
import { blackHoleCluster, inboundCluster, outboundClusters } from '../clusters';
import { cachedGroup } from '../render-scope';
import { CLUSTER_TYPE } from '../type-urls';
import type { ResourceType } from './resource-type';
import { localPortsKey } from './local-ports-key';

/**
 * CDS. Shared: an EDS cluster per port of every service (`outbound|<port>||<hostname>`) and per
 * subset of its policy (`outbound|<port>|<subset>|<hostname>`), per config source kind and kind of
 * client (Envoy or proxyless gRPC, which accept different load balancing). Own (sidecars): an inbound cluster per port of its workload, and the black
 * hole its virtual listener uses.
 */
export const clusterType: ResourceType = {
  typeUrl: CLUSTER_TYPE,
  shortName: 'cds',
  wholeState: true,
  sharedKey: (_scope, _snapshot, { kind, target = 'v3' }) => `${kind} ${target}`,
  ownKey: (scope, snapshot, { proxy }) =>
    proxy.type === 'sidecar' ? `sidecar ${localPortsKey(scope.mesh.localPorts(snapshot, proxy.ip))}` : '',
  shared: (scope, snapshot, { kind, target = 'v3' }) =>
    cachedGroup(scope, `cds shared ${kind} ${target} ${snapshot.version}`, () =>
      scope.mesh.sortedEntries(snapshot).flatMap((entry) => outboundClusters(scope, entry, kind, target)),
    ),
  own: (scope, snapshot, { proxy }) => {
    if (proxy.type !== 'sidecar') return [];
    const inbound = scope.mesh
      .localPorts(snapshot, proxy.ip)
      .map(({ port, servicePort, hostname }) => inboundCluster(scope, hostname, port, servicePort));
    return [...inbound, blackHoleCluster(scope)];
  },
  find: (scope, snapshot, { kind, target = 'v3' }, name, parts) => {
    const parsed = parseV3ClusterName(name);
    if (parsed?.direction === 'outbound') {
      const entry = snapshot.services.get(parsed.hostname);
      return entry ? outboundClusters(scope, entry, kind, target).find((c) => c.name === name) : undefined;
    }
    return parts.own().find((c) => c.name === name);
  },
  dependency: (name) => {
    const parsed = parseV3ClusterName(name);
    return parsed ? `host:${parsed.hostname}` : 'static';
  },
};
