import { parseV3ClusterName } from '@sextant/core';
import { blackHoleCluster, inboundCluster, outboundClusters } from '../clusters';
import { cachedGroup } from '../render-scope';
import { CLUSTER_TYPE } from '../type-urls';
import type { ResourceType } from './resource-type';
import { localPortsKey } from './local-ports-key';

/**
 * CDS. Shared: an EDS cluster per port of every service (`outbound|<port>||<hostname>`), per
 * config source kind. Own (sidecars): an inbound cluster per port of its workload, and the black
 * hole its virtual listener uses.
 */
export const clusterType: ResourceType = {
  typeUrl: CLUSTER_TYPE,
  shortName: 'cds',
  wholeState: true,
  sharedKey: (_scope, _snapshot, { kind }) => kind,
  ownKey: (scope, snapshot, { proxy }) =>
    proxy.type === 'sidecar' ? `sidecar ${localPortsKey(scope.mesh.localPorts(snapshot, proxy.ip))}` : '',
  shared: (scope, snapshot, { kind }) =>
    cachedGroup(scope, `cds shared ${kind} ${snapshot.version}`, () =>
      scope.mesh.sortedEntries(snapshot).flatMap((entry) => outboundClusters(scope, entry, kind)),
    ),
  own: (scope, snapshot, { proxy }) => {
    if (proxy.type !== 'sidecar') return [];
    const inbound = scope.mesh
      .localPorts(snapshot, proxy.ip)
      .map(({ port, servicePort, hostname }) => inboundCluster(scope, hostname, port, servicePort));
    return [...inbound, blackHoleCluster(scope)];
  },
  find: (scope, snapshot, { kind }, name, parts) => {
    const parsed = parseV3ClusterName(name);
    if (parsed?.direction === 'outbound' && parsed.subset === '') {
      const entry = snapshot.services.get(parsed.hostname);
      return entry ? outboundClusters(scope, entry, kind).find((c) => c.name === name) : undefined;
    }
    return parts.own().find((c) => c.name === name);
  },
  dependency: (name) => {
    const parsed = parseV3ClusterName(name);
    return parsed ? `host:${parsed.hostname}` : 'static';
  },
};
