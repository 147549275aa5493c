import type { Snapshot } from '@sextant/core';
import type protobuf from 'protobufjs';
import { routePlan, type ProxySource } from '../plan/route-plan';
import { sizeOf } from '../render-cache';
import { hostRoutesKey, routableHosts, routeDomains, type RoutableHost } from '../route-domains';
import { EncodedResource } from './encoded-resource';
import { envoyProtos } from './protos';
import { cachedResource, type V3Scope } from './render-scope';
import { encodeRoute } from './route-encoding';
import { lengthDelimitedSize, writeVarint } from './varint';
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
    const hosts = routableHosts(scope.mesh.httpEntriesOnPort(snapshot, port), port, domain).map((host) => ({
      fields: hostRouteFields(scope, snapshot, host, source, sourceKey),
      domains: routeDomains(host),
    }));
    const type = envoyProtos().messageType(ROUTE_TYPE);
    const head: RouteConfiguration = { name: String(port) };
    const tail: RouteConfiguration = { validate_clusters: { value: false } };
    // The encoding of the whole table: RouteConfiguration declares name, virtual_hosts, then
    // validate_clusters, the order protobufjs writes fields in (a test compares the two).
    const bytes = Buffer.concat([
      type.encode(type.fromObject(head)).finish(),
      virtualHostFields(hosts),
      type.encode(type.fromObject(tail)).finish(),
    ]);
    const rendered = scope.keepRendered
      ? {
          ...head,
          virtual_hosts: hosts.map(({ fields, domains }) => ({ ...fields.rendered, domains })),
          ...tail,
        }
      : undefined;
    return new EncodedResource(ROUTE_TYPE, String(port), bytes, rendered);
  });
}

/** A virtual host's name and routes, each encoded as the VirtualHost fields they are. */
interface HostRouteFields {
  readonly name: Uint8Array;
  readonly routes: Uint8Array;
  /** What was encoded, kept when the scope keeps what it renders (tests). */
  readonly rendered?: Required<Pick<VirtualHost, 'name' | 'routes'>>;
}

function hostRouteFields(
  scope: V3Scope,
  snapshot: Snapshot,
  host: RoutableHost,
  source: ProxySource,
  sourceKey: string,
): HostRouteFields {
  return scope.cache.get(
    `rds routes ${hostRoutesKey(snapshot, host, sourceKey)}`,
    (): HostRouteFields => {
      const type = virtualHostType();
      const { name, routes } = hostRoutes(scope, snapshot, host, source);
      return {
        name: type.encode(type.fromObject({ name })).finish(),
        routes: type.encode(type.fromObject({ routes })).finish(),
        ...(scope.keepRendered && { rendered: { name, routes } }),
      };
    },
    (fields) => sizeOf.buffer(fields.name) + sizeOf.buffer(fields.routes) + sizeOf.object,
  );
}

/**
 * The `virtual_hosts` fields of a RouteConfiguration, written into one buffer: each a VirtualHost
 * of its cached name and routes fields around its domains (VirtualHost declares name, domains,
 * then routes: the order protobufjs writes them in). Through protobufjs, a Writer, a concat and a
 * copy per host cost more than the rest of a table of 10,000.
 */
function virtualHostFields(
  hosts: readonly { readonly fields: HostRouteFields; readonly domains: readonly string[] }[],
): Buffer {
  const { virtualHosts, domains: domainsTag } = fieldTags();
  const sizes = hosts.map(({ fields, domains }) => {
    let size = fields.name.length + fields.routes.length;
    for (const domain of domains) size += lengthDelimitedSize(domainsTag, domain.length);
    return size;
  });
  let total = 0;
  for (const size of sizes) total += lengthDelimitedSize(virtualHosts, size);
  const out = Buffer.allocUnsafe(total);
  let at = 0;
  hosts.forEach(({ fields, domains }, i) => {
    at = writeVarint(out, at, virtualHosts);
    at = writeVarint(out, at, sizes[i] as number);
    out.set(fields.name, at);
    at += fields.name.length;
    for (const domain of domains) {
      at = writeVarint(out, at, domainsTag);
      at = writeVarint(out, at, domain.length);
      // Domains are ASCII (hostnames pass isValidHostname, addresses are IP literals): one byte
      // a character, as latin1 writes whatever it is given, so the lengths above always hold.
      at += out.write(domain, at, 'latin1');
    }
    out.set(fields.routes, at);
    at += fields.routes.length;
  });
  return out;
}

/** The tags (field number and wire type 2) of RouteConfiguration.virtual_hosts and VirtualHost.domains. */
function fieldTags(): { readonly virtualHosts: number; readonly domains: number } {
  const tag = (type: protobuf.Type, name: string) => ((type.fields[name] as protobuf.Field).id << 3) | 2;
  return {
    virtualHosts: tag(envoyProtos().messageType(ROUTE_TYPE), 'virtual_hosts'),
    domains: tag(virtualHostType(), 'domains'),
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
