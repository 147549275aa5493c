import {
  CORS_FILTER_NAME,
  CORS_TYPE,
  FAULT_FILTER_NAME,
  FAULT_TYPE,
  HTTP_CONNECTION_MANAGER_TYPE,
  ROUTER_TYPE,
  TCP_PROXY_TYPE,
  typedConfig,
} from './building-blocks';
import type { Filter, HttpConnectionManager, RouteConfiguration } from './wire-types';

/**
 * The router filter, last in every filter chain: gRPC clients reject a chain where it is not
 * last, and Envoy stops at it.
 */
const ROUTER_FILTER = { name: 'envoy.filters.http.router', typed_config: typedConfig(ROUTER_TYPE) };

/**
 * The fault filter, before the router, with no configuration of its own: routes that inject
 * faults say so in their `typed_per_filter_config`; others pass through it untouched.
 */
const FAULT_FILTER = { name: FAULT_FILTER_NAME, typed_config: typedConfig(FAULT_TYPE) };

/**
 * The CORS filter, after the fault filter (istiod's order), with no configuration of its own: it
 * applies the CORS policies routes carry in their `typed_per_filter_config` (answering preflights,
 * adding the response headers); it lets requests of routes without one through.
 */
const CORS_FILTER = { name: CORS_FILTER_NAME, typed_config: typedConfig(CORS_TYPE) };

/**
 * Which HTTP filters a connection manager runs: `router` alone (inbound), `sidecar` for an Envoy's
 * outbound routes (fault, CORS, router: always the same chain, so a rule change never changes a
 * listener), `grpc` for a proxyless client (fault, router: gRPC clients refuse filters they do not
 * run on their side, CORS among them).
 */
export type HttpFilterSet = 'router' | 'sidecar' | 'grpc';

const HTTP_FILTERS: Readonly<Record<HttpFilterSet, readonly object[]>> = {
  router: [ROUTER_FILTER],
  sidecar: [FAULT_FILTER, CORS_FILTER, ROUTER_FILTER],
  grpc: [FAULT_FILTER, ROUTER_FILTER],
};

export type RouteSpecifier = Pick<HttpConnectionManager, 'rds'> | Pick<HttpConnectionManager, 'route_config'>;

/** An HTTP connection manager with routes from RDS or inline, and the `filters` set of HTTP filters. */
export function httpConnectionManager(
  statPrefix: string,
  routes: RouteSpecifier,
  filters: HttpFilterSet = 'router',
): HttpConnectionManager {
  return {
    stat_prefix: statPrefix,
    codec_type: 'AUTO',
    ...routes,
    http_filters: [...HTTP_FILTERS[filters]],
  };
}

export function httpConnectionManagerFilter(
  statPrefix: string,
  routes: RouteSpecifier,
  filters: HttpFilterSet = 'router',
): Filter {
  return {
    name: 'envoy.filters.network.http_connection_manager',
    typed_config: typedConfig(
      HTTP_CONNECTION_MANAGER_TYPE,
      httpConnectionManager(statPrefix, routes, filters),
    ),
  };
}

/** Proxies bytes to one cluster. */
export function tcpProxyFilter(statPrefix: string, cluster: string): Filter {
  return {
    name: 'envoy.filters.network.tcp_proxy',
    typed_config: typedConfig(TCP_PROXY_TYPE, { stat_prefix: statPrefix, cluster }),
  };
}

/**
 * A route table sending every request for `domains` to one cluster. The route has no timeout:
 * Envoy's default of 15 s would cut long-lived gRPC streams; timeouts are traffic rules.
 */
export function singleClusterRoutes(
  name: string,
  virtualHost: string,
  domains: readonly string[],
  cluster: string,
): RouteConfiguration {
  return {
    name,
    virtual_hosts: [
      {
        name: virtualHost,
        domains: [...domains],
        routes: [{ match: { prefix: '/' }, route: { cluster, timeout: { seconds: 0 } } }],
      },
    ],
  };
}
