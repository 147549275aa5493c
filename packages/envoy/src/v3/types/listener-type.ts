import { parseV3ListenerName, type Snapshot } from '@sextant/core';
import { apiListener, apiListenerTarget } from '../api-listeners';
import { serverListener, serverListenerAddress } from '../server-listeners';
import {
  inboundListener,
  outboundHttpListener,
  outboundTcpListeners,
  VIRTUAL_OUTBOUND_LISTENER,
  virtualOutboundListener,
} from '../listeners';
import { inboundMtlsModes } from '../../mesh-tls';
import { meshTlsOf } from '../options';
import { cachedGroup, type V3Scope } from '../render-scope';
import type { EncodedResource } from '../encoded-resource';
import { LISTENER_TYPE } from '../type-urls';
import { localPortsKey } from './local-ports-key';
import type { ResourceRequester, ResourceType } from './resource-type';

/**
 * LDS. Shared, per proxy type and config source kind: an outbound HTTP listener per port that
 * carries HTTP services and, for sidecars, a TCP listener per VIP and port of TCP services. Own
 * (sidecars): `virtualOutbound` and an inbound listener per port of its workload, on its IP.
 * Proxyless gRPC clients ask by name for `api_listener`s (`<hostname>:<port>`, `<hostname>`),
 * which no wildcard includes, and proxyless gRPC servers for their listening address
 * (`grpc/server?xds.resource.listening_address=<ip>:<port>`, see server-listeners).
 */
export const listenerType: ResourceType = {
  typeUrl: LISTENER_TYPE,
  shortName: 'lds',
  wholeState: true,
  sharedKey: (_scope, _snapshot, { proxy, kind }) => `${proxy.type} ${kind}`,
  ownKey: (scope, snapshot, { proxy }) => {
    if (proxy.type !== 'sidecar') return '';
    const ports = scope.mesh.localPorts(snapshot, proxy.ip);
    // Inbound listeners carry the proxy's IP; without any, every sidecar's own part is alike.
    if (ports.length === 0) return 'sidecar';
    const modes = inboundMtlsModes(scope.mesh, snapshot, proxy, ports, meshTlsOf(scope.options));
    return `sidecar ${proxy.ip ?? ''} ${localPortsKey(ports)} ${modes.map((m) => m ?? '').join(',')}`;
  },
  shared: (scope, snapshot, { proxy, kind }) =>
    cachedGroup(scope, `lds shared ${proxy.type} ${kind} ${snapshot.version}`, () => {
      const http = scope.mesh
        .httpPorts(snapshot)
        .map((port) => outboundHttpListener(scope, port, proxy.type, kind));
      if (proxy.type !== 'sidecar') return http;
      const tcp = scope.mesh
        .tcpEntriesWithVip(snapshot)
        .flatMap((entry) => outboundTcpListeners(scope, entry));
      return firstPerName([...http, ...tcp]);
    }),
  own: (scope, snapshot, requester) => ownListeners(scope, snapshot, requester),
  find: (scope, snapshot, { proxy }, name, parts) => {
    const address = serverListenerAddress(name);
    if (address) return serverListener(scope, snapshot, proxy, name, address);
    const mine = parts.own().find((l) => l.name === name);
    if (mine) return mine;
    const shared = parts.shared().get(name);
    if (shared) return shared;
    const api = apiListenerTarget(snapshot, name);
    return api ? apiListener(scope, snapshot, api.entry, api.port, name, proxy) : undefined;
  },
  dependency: (name) => {
    if (name === VIRTUAL_OUTBOUND_LISTENER) return 'static';
    // A server's mode depends on which instance listens at its address, and that one's policy.
    if (serverListenerAddress(name)) return 'any';
    const address = parseV3ListenerName(name);
    if (address?.ip === '0.0.0.0') return `port:${address.port}`;
    // Inbound and VIP listeners depend on which service holds the address.
    if (address) return 'any';
    const colon = name.lastIndexOf(':');
    return `host:${colon < 0 ? name : name.slice(0, colon)}`;
  },
};

function ownListeners(
  scope: V3Scope,
  snapshot: Snapshot,
  { proxy }: ResourceRequester,
): readonly EncodedResource[] {
  if (proxy.type !== 'sidecar') return [];
  const ip = proxy.ip;
  if (ip === undefined) return [virtualOutboundListener(scope)];
  const ports = scope.mesh.localPorts(snapshot, ip);
  const modes = inboundMtlsModes(scope.mesh, snapshot, proxy, ports, meshTlsOf(scope.options));
  const inbound = ports.map(({ port, servicePort, hostname }, i) =>
    inboundListener(scope, hostname, ip, port, servicePort, modes[i]),
  );
  return [virtualOutboundListener(scope), ...inbound];
}

function firstPerName(resources: readonly EncodedResource[]): EncodedResource[] {
  const seen = new Set<string>();
  return resources.filter((r) => !seen.has(r.name) && seen.add(r.name));
}
