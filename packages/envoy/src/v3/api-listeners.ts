import {
  isHttpProtocol,
  type ProxyIdentity,
  type ServiceEntry,
  type ServicePort,
  type Snapshot,
} from '@sextant/core';
import { proxySource, sourceKey } from '../plan/proxy-source';
import { routePlan } from '../plan/route-plan';
import { HTTP_CONNECTION_MANAGER_TYPE, typedConfig } from './building-blocks';
import type { EncodedResource } from './encoded-resource';
import { cachedResource, encode, type V3Scope } from './render-scope';
import { httpConnectionManager } from './filters';
import { encodeRoute } from './route-encoding';
import { LISTENER_TYPE } from './type-urls';
import type { Listener } from './wire-types';

/**
 * Listeners for proxyless gRPC clients. A client dialling `xds:///reviews.default.svc.cluster.local:9080`
 * asks LDS for exactly that string, so there is one `api_listener` per HTTP-family port of every
 * service, named `<hostname>:<port>`, and also `<hostname>` when that port is the service's only
 * one. Its HttpConnectionManager carries the routes inline (one fewer round trip than RDS), with the
 * fault filter before the router.
 */

/** The service port an api listener name denotes, if it denotes one. */
export function apiListenerTarget(
  snapshot: Snapshot,
  name: string,
): { entry: ServiceEntry; port: ServicePort } | undefined {
  const colon = name.lastIndexOf(':');
  const hostname = colon < 0 ? name : name.slice(0, colon);
  const entry = snapshot.services.get(hostname);
  if (!entry) return undefined;
  const ports = entry.service.ports;
  let port: ServicePort | undefined;
  if (colon < 0) {
    port = ports.length === 1 ? ports[0] : undefined;
  } else {
    const text = name.slice(colon + 1);
    port = /^\d{1,5}$/.test(text) ? ports.find((p) => p.port === Number(text)) : undefined;
  }
  return port && isHttpProtocol(port.protocol) ? { entry, port } : undefined;
}

/**
 * The api listener `name` for one HTTP port of a service: its routes are the host's route plan
 * for that port, in the form gRPC clients accept. It depends on the host's shape (its policy
 * included), the shapes of the hosts its routes name, the name, and the client's source when
 * some route selects clients.
 */
export function apiListener(
  scope: V3Scope,
  snapshot: Snapshot,
  entry: ServiceEntry,
  port: ServicePort,
  name: string,
  proxy: ProxyIdentity,
): EncodedResource {
  const source = proxySource(scope.mesh, snapshot, proxy);
  const key = `lds api ${routeDependencies(snapshot, entry)} ${name} ${sourceKey(scope.mesh, snapshot, source)}`;
  return cachedResource(scope, key, () => {
    const plan = routePlan(snapshot, entry, port, source, scope.defaults);
    const manager = httpConnectionManager(
      name,
      {
        route_config: {
          name,
          virtual_hosts: [
            {
              name,
              domains: [name],
              routes: plan.routes.flatMap((route) => encodeRoute(route, 'grpc') ?? []),
            },
          ],
        },
      },
      'grpc',
    );
    const listener: Listener = {
      name,
      api_listener: { api_listener: typedConfig(HTTP_CONNECTION_MANAGER_TYPE, manager) },
    };
    return encode(scope, LISTENER_TYPE, name, listener);
  });
}

/** A host's shape and the shapes of the hosts its routes name: what its route plan is built from. */
function routeDependencies(snapshot: Snapshot, entry: ServiceEntry): string {
  const names = new Set<string>();
  for (const route of entry.policy?.http ?? []) {
    if (route.action.kind === 'route') for (const d of route.action.destinations) names.add(d.host);
    for (const mirror of route.mirrors) names.add(mirror.destination.host);
  }
  names.delete(entry.service.hostname);
  if (names.size === 0) return entry.shape;
  return [entry.shape, ...[...names].sort().map((host) => snapshot.services.get(host)?.shape ?? '-')].join(
    ':',
  );
}
