import { parseProxyIdentity, Registry, type InstanceInput, type ProxyIdentity } from '@sextant/core';
import {
  CLUSTER_TYPE,
  ENDPOINT_TYPE,
  LISTENER_TYPE,
  Renderer,
  ROUTE_TYPE,
  type ConfigSourceKind,
  type ResourceTypeUrl,
} from '../src';
import { MONGO_PROXY, REVIEWS_V1_PROXY, ROUTER_PROXY, testMesh } from './mesh';

/** Resources as the client decodes them: proto3 JSON of the encoded bytes. */
type Json = Record<string, unknown> & { name?: string };

const mesh = testMesh();
const { v3 } = new Renderer();
const sidecar = parseProxyIdentity(REVIEWS_V1_PROXY);

function wildcard(typeUrl: ResourceTypeUrl, proxy: ProxyIdentity, kind: ConfigSourceKind = 'ads'): Json[] {
  return [...v3.resourceSet(mesh, typeUrl, { proxy, kind }).wildcard().resources()].map(
    (r) => JSON.parse(r.json()) as Json,
  );
}

function named(typeUrl: ResourceTypeUrl, name: string, proxy = sidecar): Json | undefined {
  const resource = v3.resourceSet(mesh, typeUrl, { proxy, kind: 'ads' }).get(name);
  return resource && (JSON.parse(resource.json()) as Json);
}

/** The cluster a request for `host` reaches through a route configuration, as Envoy matches domains. */
function clusterFor(routes: Json, host: string): string | undefined {
  const hosts = routes.virtual_hosts as { domains: string[]; routes: { route: { cluster: string } }[] }[];
  const vhost = hosts.find((v) => v.domains.includes(host)) ?? hosts.find((v) => v.domains.includes('*'));
  return vhost?.routes[0]?.route.cluster;
}

/** The HTTP connection manager of a listener's first filter chain (or of its api_listener). */
function connectionManager(listener: Json): Json {
  const api = listener.api_listener as { api_listener: Json } | undefined;
  if (api) return api.api_listener;
  const chains = listener.filter_chains as { filters: { typed_config: Json }[] }[];
  return chains[0]?.filters[0]?.typed_config as Json;
}

describe('v3 resources for a sidecar (the v1 layout)', () => {
  it('clusters: its own inbound ports, a black hole, and an EDS cluster per service port', () => {
    const clusters = wildcard(CLUSTER_TYPE, sidecar);
    expect(clusters.map((c) => c.name)).toEqual([
      'inbound|9080||reviews.default.svc.cluster.local',
      'BlackHoleCluster',
      'outbound|27017||mongodb.default.svc.cluster.local',
      'outbound|9080||productpage-frontend.bookinfo-staging.svc.cluster.local',
      'outbound|9080||ratings.default.svc.cluster.local',
      'outbound|9090||ratings.default.svc.cluster.local',
      'outbound|6379||redis.service.dc1.consul',
      'outbound|9080||reviews.default.svc.cluster.local',
      'outbound|80||web.service.dc1.consul',
    ]);
    const grpc = clusters.find((c) => c.name === 'outbound|9090||ratings.default.svc.cluster.local');
    expect(grpc).toMatchObject({
      type: 'EDS',
      connect_timeout: '1s',
      eds_cluster_config: { eds_config: { ads: {} }, service_name: 'ratings.default.svc.cluster.local|grpc' },
      typed_extension_protocol_options: {
        'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
          explicit_http_config: { http2_protocol_options: {} },
        },
      },
    });
    const http = clusters.find((c) => c.name === 'outbound|9080||ratings.default.svc.cluster.local');
    expect(http).not.toHaveProperty('typed_extension_protocol_options');
    expect(clusters[0]).toMatchObject({
      type: 'STATIC',
      load_assignment: {
        endpoints: [
          {
            lb_endpoints: [
              { endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: 9080 } } } },
            ],
          },
        ],
      },
    });
  });

  it('endpoints: a locality weighs what its endpoints that take traffic weigh', () => {
    const registry = new Registry({ adapters: ['k8s'] });
    const zone = (z: string) => ({ region: 'r', zone: z });
    const at = (address: string, z: string, more: Partial<InstanceInput> = {}): InstanceInput => ({
      address,
      port: 80,
      portName: 'http',
      locality: zone(z),
      ...more,
    });
    registry
      .sink('k8s')
      .upsertService({ hostname: 'web.default', ports: [{ name: 'http', port: 80, protocol: 'http' }] }, [
        at('10.0.0.1', 'a'),
        at('10.0.0.2', 'a', { health: 'unhealthy' }),
        at('10.0.0.3', 'b', { weight: 3 }),
        at('10.0.0.4', 'c', { health: 'draining', weight: 5 }),
        at('10.0.0.5', 'c', { health: 'unhealthy', weight: 2 }),
      ]);
    registry.sink('k8s').setStatus('ready');
    registry.flush();
    const snapshot = registry.current();
    if (!snapshot) throw new Error('no snapshot');
    const resource = v3
      .resourceSet(snapshot, ENDPOINT_TYPE, { proxy: sidecar, kind: 'ads' })
      .get('web.default|http');
    const groups = (
      JSON.parse(resource?.json() ?? '{}') as {
        endpoints: { locality: { zone: string }; load_balancing_weight: number }[];
      }
    ).endpoints;
    const weights = Object.fromEntries(groups.map((g) => [g.locality.zone, g.load_balancing_weight]));
    // Zone a's share is 1 of 4 (25 %), as its one healthy endpoint beside zone b's weight 3;
    // counting the unhealthy one would make it 2 of 5 (40 %).
    expect(weights).toEqual({ a: 1, b: 3, c: 1 });
    registry.close();
  });

  it('endpoints: grouped by locality with weights, health reported (draining, unhealthy), merged across adapters', () => {
    const reviews = named(ENDPOINT_TYPE, 'reviews.default.svc.cluster.local|http');
    expect(reviews?.endpoints).toEqual([
      {
        locality: {},
        lb_endpoints: [
          {
            endpoint: { address: { socket_address: { address: '10.0.1.12', port_value: 9080 } } },
            health_status: 'UNHEALTHY',
            load_balancing_weight: 3,
          },
          {
            endpoint: { address: { socket_address: { address: '10.0.1.14', port_value: 9080 } } },
            health_status: 'DRAINING',
            load_balancing_weight: 1,
          },
        ],
        // Neither endpoint takes traffic: the smallest valid weight (see localityGroups).
        load_balancing_weight: 1,
      },
      {
        locality: { zone: 'us-east1-c' },
        lb_endpoints: [
          {
            endpoint: { address: { socket_address: { address: '10.0.1.13', port_value: 9080 } } },
            health_status: 'HEALTHY',
            load_balancing_weight: 250,
          },
        ],
        load_balancing_weight: 250,
      },
      {
        locality: { region: 'onprem', zone: 'rack-1' },
        lb_endpoints: [
          {
            endpoint: { address: { socket_address: { address: '10.9.0.1', port_value: 9080 } } },
            health_status: 'HEALTHY',
            load_balancing_weight: 1,
          },
        ],
        load_balancing_weight: 1,
      },
      {
        locality: { region: 'us-east1', zone: 'us-east1-b' },
        lb_endpoints: [
          {
            endpoint: { address: { socket_address: { address: '10.0.1.11', port_value: 9080 } } },
            health_status: 'HEALTHY',
            load_balancing_weight: 1,
          },
        ],
        load_balancing_weight: 1,
      },
    ]);
    // A subset key narrows to the instances carrying its labels; IPv6 addresses are written bare.
    const v2 = named(ENDPOINT_TYPE, 'reviews.default.svc.cluster.local|http|version=v2');
    expect(JSON.stringify(v2)).toContain('10.0.1.12');
    expect(JSON.stringify(v2)).not.toContain('10.0.1.11');
    expect(JSON.stringify(named(ENDPOINT_TYPE, 'web.service.dc1.consul|http'))).toContain(
      '"address":"fd00::7"',
    );
    expect(named(ENDPOINT_TYPE, 'web.service.dc1.consul|nope')).toBeUndefined();
    expect(named(ENDPOINT_TYPE, 'not a key')).toBeUndefined();
  });

  it('listeners: virtualOutbound, inbound for its own ports, HTTP per port with RDS, TCP per VIP', () => {
    const listeners = wildcard(LISTENER_TYPE, sidecar);
    expect(listeners.map((l) => l.name)).toEqual([
      'virtualOutbound',
      '10.0.1.11_9080',
      '0.0.0.0_80',
      '0.0.0.0_9080',
      '0.0.0.0_9090',
      '10.0.0.44_27017',
    ]);
    const [virtual, inbound, , http9080, , mongo] = listeners as [Json, Json, Json, Json, Json, Json];
    expect(virtual).toMatchObject({
      use_original_dst: true,
      address: { socket_address: { port_value: 15001 } },
    });
    expect(virtual).not.toHaveProperty('bind_to_port');
    expect(JSON.stringify(virtual)).toContain('"cluster":"BlackHoleCluster"');
    expect(inbound).toMatchObject({ bind_to_port: false, traffic_direction: 'INBOUND' });
    expect(clusterFor(connectionManager(inbound).route_config as Json, 'anything')).toBe(
      'inbound|9080||reviews.default.svc.cluster.local',
    );
    expect(connectionManager(http9080)).toMatchObject({
      rds: { route_config_name: '9080', config_source: { ads: {} } },
      // The fault and CORS filters before the router: routes that inject faults or have a CORS
      // policy configure them per route.
      http_filters: [
        { name: 'envoy.filters.http.fault' },
        { name: 'envoy.filters.http.cors' },
        { name: 'envoy.filters.http.router' },
      ],
    });
    expect(http9080.bind_to_port).toBe(false);
    expect(JSON.stringify(mongo)).toContain('"cluster":"outbound|27017||mongodb.default.svc.cluster.local"');
  });

  it('a TCP workload gets a TCP inbound listener', () => {
    const listeners = wildcard(LISTENER_TYPE, parseProxyIdentity(MONGO_PROXY));
    expect(listeners.map((l) => l.name).slice(0, 2)).toEqual(['virtualOutbound', '10.0.3.31_27017']);
    expect(JSON.stringify(listeners[1])).toContain(
      '"cluster":"inbound|27017||mongodb.default.svc.cluster.local"',
    );
  });

  it('routes: a request reaches the service by every name a client in its domain may use', () => {
    const routes = named(ROUTE_TYPE, '9080') as Json;
    expect(clusterFor(routes, 'reviews')).toBe('outbound|9080||reviews.default.svc.cluster.local');
    expect(clusterFor(routes, 'reviews.default:9080')).toBe(
      'outbound|9080||reviews.default.svc.cluster.local',
    );
    expect(clusterFor(routes, '10.0.0.31:9080')).toBe('outbound|9080||reviews.default.svc.cluster.local');
    expect(clusterFor(routes, 'ratings.default.svc.cluster.local')).toBe(
      'outbound|9080||ratings.default.svc.cluster.local',
    );
    // A short name outside the proxy's domain is not its service.
    expect(clusterFor(routes, 'productpage-frontend')).toBeUndefined();
    const other = named(
      ROUTE_TYPE,
      '9080',
      parseProxyIdentity('sidecar~10.0.4.41~pp~bookinfo-staging.svc.cluster.local'),
    );
    expect(clusterFor(other as Json, 'productpage-frontend')).toBe(
      'outbound|9080||productpage-frontend.bookinfo-staging.svc.cluster.local',
    );
    expect(clusterFor(other as Json, 'reviews')).toBeUndefined();
    expect(named(ROUTE_TYPE, 'not-a-port')).toBeUndefined();
  });

  it('renders config sources for how the client fetches: ADS, per-type gRPC, or REST polling', () => {
    const edsConfig = (kind: ConfigSourceKind) =>
      (
        wildcard(CLUSTER_TYPE, sidecar, kind).find((c) => c.name === 'outbound|80||web.service.dc1.consul')
          ?.eds_cluster_config as Json
      ).eds_config;
    expect(edsConfig('ads')).toEqual({ ads: {}, resource_api_version: 'V3' });
    expect(edsConfig('grpc')).toMatchObject({ api_config_source: { api_type: 'GRPC' } });
    expect(edsConfig('rest')).toMatchObject({
      api_config_source: { api_type: 'REST', cluster_names: ['xds_cluster'], refresh_delay: '1s' },
    });
  });
});

describe('v3 resources for gateways', () => {
  it('a router binds one HTTP listener per port and has no virtual, inbound or TCP listeners', () => {
    const listeners = wildcard(LISTENER_TYPE, parseProxyIdentity(ROUTER_PROXY));
    expect(listeners.map((l) => l.name)).toEqual(['0.0.0.0_80', '0.0.0.0_9080', '0.0.0.0_9090']);
    expect(listeners.every((l) => l.bind_to_port === undefined && l.traffic_direction === 'OUTBOUND')).toBe(
      true,
    );
    expect(wildcard(CLUSTER_TYPE, parseProxyIdentity(ROUTER_PROXY)).map((c) => c.name)).not.toContain(
      'BlackHoleCluster',
    );
  });

  it('an ingress marks its listeners inbound', () => {
    const listeners = wildcard(
      LISTENER_TYPE,
      parseProxyIdentity('ingress~10.0.9.8~in~default.svc.cluster.local'),
    );
    expect(listeners.every((l) => l.traffic_direction === 'INBOUND')).toBe(true);
  });
});

describe('v3 resources for proxyless gRPC clients', () => {
  const client = parseProxyIdentity('grpc-client-1');

  it('an api_listener per service port, named as dialled, routing to that port`s cluster', () => {
    const listener = named(LISTENER_TYPE, 'ratings.default.svc.cluster.local:9090', client) as Json;
    const manager = connectionManager(listener);
    expect(manager['@type']).toBe(
      'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
    );
    expect(clusterFor(manager.route_config as Json, 'ratings.default.svc.cluster.local:9090')).toBe(
      'outbound|9090||ratings.default.svc.cluster.local',
    );
    expect((manager.http_filters as Json[]).at(-1)?.name).toBe('envoy.filters.http.router');
    // The bare hostname names the port only when it is the service's only one.
    expect(named(LISTENER_TYPE, 'reviews.default.svc.cluster.local', client)?.name).toBe(
      'reviews.default.svc.cluster.local',
    );
    expect(named(LISTENER_TYPE, 'ratings.default.svc.cluster.local', client)).toBeUndefined();
    // TCP ports and unknown services have no api listener.
    expect(named(LISTENER_TYPE, 'mongodb.default.svc.cluster.local:27017', client)).toBeUndefined();
    expect(named(LISTENER_TYPE, 'nope.example:80', client)).toBeUndefined();
  });

  it('asks for clusters by name and gets them with ADS endpoints', () => {
    const cluster = named(CLUSTER_TYPE, 'outbound|9090||ratings.default.svc.cluster.local', client);
    expect(cluster?.eds_cluster_config).toEqual({
      eds_config: { ads: {}, resource_api_version: 'V3' },
      service_name: 'ratings.default.svc.cluster.local|grpc',
    });
    expect(named(CLUSTER_TYPE, 'outbound|9090|v1|ratings.default.svc.cluster.local', client)).toBeUndefined();
  });
});
