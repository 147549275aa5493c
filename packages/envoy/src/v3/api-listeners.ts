import {
  isHttpProtocol,
  v3OutboundClusterName,
  type ServiceEntry,
  type ServicePort,
  type Snapshot,
} from '@sextant/core';
import { HTTP_CONNECTION_MANAGER_TYPE, typedConfig } from './building-blocks';
import type { EncodedResource } from './encoded-resource';
import { cachedResource, encode, type V3Scope } from './render-scope';
import { httpConnectionManager, singleClusterRoutes } from './filters';
import { LISTENER_TYPE } from './type-urls';
import type { Listener } from './wire-types';

/**
 * Listeners for proxyless gRPC clients. A client dialling `xds:///reviews.default.svc.cluster.local:9080`
 * asks LDS for exactly that string, so there is one `api_listener` per HTTP-family port of every
 * service, named `<hostname>:<port>`, and also `<hostname>` when that port is the service's only
 * one. Its HttpConnectionManager carries the routes inline (one fewer round trip than RDS): every
 * request for the dialled name goes to the port's outbound cluster.
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

/** The api listener `name` for one HTTP port of a service; it depends on the service's shape and the name. */
export function apiListener(
  scope: V3Scope,
  entry: ServiceEntry,
  port: ServicePort,
  name: string,
): EncodedResource {
  return cachedResource(scope, `lds api ${entry.shape} ${name}`, () => {
    const cluster = v3OutboundClusterName(port.port, entry.service.hostname);
    const manager = httpConnectionManager(name, {
      route_config: singleClusterRoutes(name, name, [name], cluster),
    });
    const listener: Listener = {
      name,
      api_listener: { api_listener: typedConfig(HTTP_CONNECTION_MANAGER_TYPE, manager) },
    };
    return encode(scope, LISTENER_TYPE, name, listener);
  });
}
