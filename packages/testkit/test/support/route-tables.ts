/** Small route tables, shaped as Envoy's protos print them, for the route simulator's tests. */

export const HCM_TYPE =
  'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
export const ROUTER_TYPE = 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router';
export const FAULT_TYPE = 'type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault';

export const routerFilter = { name: 'envoy.filters.http.router', typed_config: { '@type': ROUTER_TYPE } };
export const faultFilter = { name: 'envoy.filters.http.fault', typed_config: { '@type': FAULT_TYPE } };

/** A v3 RouteConfiguration with one virtual host (domains `*` unless given) holding `routes`. */
export function routeTable(routes: readonly object[], host: object = {}): object {
  return { name: 'routes', virtual_hosts: [{ name: 'host', domains: ['*'], routes, ...host }] };
}

/** A v3 RouteConfiguration whose only route matches with `match` and goes to cluster `c`. */
export function oneRoute(match: object, action: object = { cluster: 'c' }): object {
  return routeTable([{ match, route: action }]);
}

/** A proxyless client's listener carrying `routeConfiguration` inline, the HCM fields overridable. */
export function apiListener(routeConfiguration: object, manager: object = {}): object {
  return {
    name: 'reviews.default.svc.cluster.local:9080',
    api_listener: {
      api_listener: {
        '@type': HCM_TYPE,
        http_filters: [faultFilter, routerFilter],
        route_config: routeConfiguration,
        ...manager,
      },
    },
  };
}

/** A v1 RDS answer with one virtual host (domains `*` unless given). */
export function v1Table(routes: readonly object[], domains: readonly string[] = ['*']): object {
  return { virtual_hosts: [{ name: 'host', domains, routes }] };
}
