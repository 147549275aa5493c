import type { Snapshot } from '@sextant/core';
import type protobuf from 'protobufjs';
import { routePlan, routePlanKey, selectsClients, type ProxySource } from '../plan/route-plan';
import { sizeOf } from '../render-cache';
import { routableHosts, routeDomains, type RoutableHost } from '../route-domains';
import { EncodedResource, lengthDelimited } from './encoded-resource';
import { envoyProtos } from './protos';
import { cachedResource, type V3Scope } from './render-scope';
import { encodeRoute } from './route-encoding';
import { ROUTE_TYPE } from './type-urls';
import type { RouteConfiguration, VirtualHost } from './wire-types';

/**
 * The RDS route configuration for the outbound HTTP listener on `port`: a virtual host per HTTP
 * service on that port, reachable by every name a client in the proxy's domain may use, with and
 * without `:port`, and by its VIPs (a domain already claimed by an earlier virtual host is left
 * out: Envoy rejects the whole table otherwise); each virtual host's routes are its host's route
 * plan (the rules' routes, or its default route).
 *
 * It depends on the services on that port, their shapes and policies, and the hosts their routes
 * name (the port's version), on the part of the proxy's domain short names depend on (its
 * effective domain), and on the proxy's source when some route selects clients (`sourceKey`).
 * Its virtual hosts' names and routes are encoded and cached one host at a time, by what they
 * are rendered from (routePlanKey): the same in every domain's table, and after a change of one
 * service encoded again only for that service and those routing to it. Domains (short names)
 * are written per table.
 */
export function routeConfiguration(
  scope: V3Scope,
  snapshot: Snapshot,
  port: number,
  proxyDomain: string,
  source: ProxySource,
  sourceKey: string,
): EncodedResource {
  const domain = scope.mesh.effectiveDomain(snapshot, proxyDomain);
  const key = `rds ${port} ${scope.mesh.portVersion(snapshot, port)} ${domain} ${sourceKey}`;
  return cachedResource(scope, key, () => {
    const hosts = routableHosts(scope.mesh.httpEntriesOnPort(snapshot, port), port, domain).map((host) =>
      encodedVirtualHost(scope, snapshot, host, source, sourceKey),
    );
    const type = envoyProtos().messageType(ROUTE_TYPE);
    const head: RouteConfiguration = { name: String(port) };
    const tail: RouteConfiguration = { validate_clusters: { value: false } };
    // The encoding of the whole table: RouteConfiguration declares name, virtual_hosts, then
    // validate_clusters, the order protobufjs writes fields in (a test compares the two).
    const bytes = Buffer.concat([
      type.encode(type.fromObject(head)).finish(),
      ...hosts.map((host) => host.field),
      type.encode(type.fromObject(tail)).finish(),
    ]);
    const rendered = scope.keepRendered && {
      ...head,
      virtual_hosts: hosts.map((host) => host.rendered),
      ...tail,
    };
    return new EncodedResource(ROUTE_TYPE, String(port), bytes, rendered || undefined);
  });
}

/** A virtual host encoded as one `virtual_hosts` field of a RouteConfiguration. */
interface EncodedVirtualHost {
  readonly field: Buffer;
  /** What was encoded, kept when the scope keeps what it renders (tests). */
  readonly rendered?: VirtualHost;
}

/** A virtual host's name and routes, each encoded as the fields of a VirtualHost they are. */
interface EncodedHostRoutes {
  readonly name: Uint8Array;
  readonly routes: Uint8Array;
  readonly rendered?: VirtualHost;
}

function encodedVirtualHost(
  scope: V3Scope,
  snapshot: Snapshot,
  host: RoutableHost,
  source: ProxySource,
  sourceKey: string,
): EncodedVirtualHost {
  const type = virtualHostType();
  // The client's source matters only to a host whose routes select clients. It goes last,
  // after the first '|' of the key (the plan key has none).
  const clients = selectsClients(host.entry) ? sourceKey : '';
  const cached = scope.cache.get(
    `rds routes ${host.servicePort.port} ${routePlanKey(snapshot, host.entry)} |${clients}`,
    (): EncodedHostRoutes => {
      const { name, routes } = hostRoutes(scope, snapshot, host, source);
      return {
        name: type.encode(type.fromObject({ name })).finish(),
        routes: type.encode(type.fromObject({ routes })).finish(),
        ...(scope.keepRendered && { rendered: { name, routes } }),
      };
    },
    (encoded) => sizeOf.buffer(encoded.name) + sizeOf.buffer(encoded.routes) + sizeOf.object,
  );
  const domains = routeDomains(host);
  // VirtualHost declares name, domains, then routes: the order protobufjs writes them in.
  const message = Buffer.concat([
    cached.name,
    type.encode(type.fromObject({ domains })).finish(),
    cached.routes,
  ]);
  return {
    field: lengthDelimited(envoyProtos().messageType(ROUTE_TYPE), 'virtual_hosts', message),
    ...(cached.rendered && { rendered: { ...cached.rendered, domains } }),
  };
}

function virtualHostType(): protobuf.Type {
  const routeConfiguration = envoyProtos().messageType(ROUTE_TYPE);
  return (routeConfiguration.fields.virtual_hosts as protobuf.Field).resolvedType as protobuf.Type;
}

/** A virtual host but for its domains: its name and its host's route plan. */
function hostRoutes(
  scope: V3Scope,
  snapshot: Snapshot,
  { entry, servicePort }: RoutableHost,
  source: ProxySource,
): Required<Pick<VirtualHost, 'name' | 'routes'>> {
  const plan = routePlan(snapshot, entry, servicePort, source, scope.defaults);
  return {
    name: `${entry.service.hostname}:${servicePort.port}`,
    routes: plan.routes.flatMap((route) => encodeRoute(route, 'v3') ?? []),
  };
}
