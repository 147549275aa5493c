import { parseProxyIdentity, parseServiceKey } from '@sextant/core';
import { envoyV1Problems } from '@sextant/testkit/envoy-v1';
import {
  renderCds,
  renderLds,
  renderRds,
  renderSds,
  MeshIndexes,
  UnknownRouteConfigError,
  type RouteConfiguration,
} from '../src';
import { expectGolden } from './golden';
import { MONGO_PROXY, REVIEWS_V1_PROXY, ROUTER_PROXY, testMesh } from './mesh';

const mesh = testMesh();
const indexes = new MeshIndexes();
const reviewsProxy = parseProxyIdentity(REVIEWS_V1_PROXY);

/** Which cluster a request for `host` gets, as Envoy's v1 router would choose (exact domains only). */
function clusterFor(config: RouteConfiguration, host: string): string | undefined {
  const vhost = config.virtual_hosts.find((v) => v.domains.includes(host));
  return vhost?.routes[0]?.cluster;
}

describe('v1 SDS', () => {
  it.each([
    ['sds-reviews', 'reviews.default.svc.cluster.local|http'],
    ['sds-reviews-v2', 'reviews.default.svc.cluster.local|http|version=v2'],
    ['sds-ratings-grpc', 'ratings.default.svc.cluster.local|grpc'],
    ['sds-web-ipv6', 'web.service.dc1.consul|http'],
  ])('%s matches its golden file and Envoy v1 schema', (name, key) => {
    const body = renderSds(mesh, parseServiceKey(key));
    expect(envoyV1Problems('sds', body)).toEqual([]);
    expectGolden(`v1/${name}`, body);
  });

  it('serves only healthy instances, filtered by subset labels, across adapters', () => {
    const all = renderSds(mesh, parseServiceKey('reviews.default.svc.cluster.local|http'));
    expect(all.hosts.map((h) => h.ip_address)).toEqual(['10.0.1.11', '10.0.1.13', '10.9.0.1']);
    const v2 = renderSds(mesh, parseServiceKey('reviews.default.svc.cluster.local|http|version=v2'));
    expect(v2.hosts.map((h) => h.ip_address)).toEqual(['10.0.1.13']);
    expect(
      renderSds(mesh, parseServiceKey('reviews.default.svc.cluster.local|http|version=v3')).hosts,
    ).toEqual([]);
  });

  it('carries the zone as az and clamps weights to 1..100', () => {
    const hosts = renderSds(mesh, parseServiceKey('reviews.default.svc.cluster.local|http')).hosts;
    expect(hosts[0]?.tags).toEqual({ az: 'us-east1-b', load_balancing_weight: 1 });
    expect(hosts[1]?.tags).toEqual({ az: 'us-east1-c', load_balancing_weight: 100 });
  });

  it('answers an empty host list for an unknown service or port', () => {
    expect(renderSds(mesh, parseServiceKey('nope.example|http'))).toEqual({ hosts: [] });
    expect(renderSds(mesh, parseServiceKey('reviews.default.svc.cluster.local|grpc'))).toEqual({ hosts: [] });
  });
});

describe('v1 CDS', () => {
  it('matches its golden file and Envoy v1 schema', () => {
    const body = renderCds(indexes, mesh, reviewsProxy);
    expect(envoyV1Problems('cds', body)).toEqual([]);
    expectGolden('v1/cds-reviews-v1-sidecar', body);
  });

  it('has an outbound sds cluster per service port, http2 for gRPC, and inbound clusters for the local workload', () => {
    const clusters = renderCds(indexes, mesh, reviewsProxy).clusters;
    const byName = new Map(clusters.map((c) => [c.name, c]));
    expect(byName.get('out.ratings.default.svc.cluster.local|grpc')).toMatchObject({
      type: 'sds',
      service_name: 'ratings.default.svc.cluster.local|grpc',
      features: 'http2',
    });
    expect(byName.get('out.ratings.default.svc.cluster.local|http')?.features).toBeUndefined();
    expect(byName.get('in.9080')).toMatchObject({ type: 'static', hosts: [{ url: 'tcp://127.0.0.1:9080' }] });
    expect(clusters.filter((c) => c.name.startsWith('out.'))).toHaveLength(7);
    const long = clusters.find(
      (c) => c.service_name === 'productpage-frontend.bookinfo-staging.svc.cluster.local|http',
    );
    expect(Buffer.byteLength(long?.name ?? '')).toBeLessThanOrEqual(60);
  });

  it('gives proxies without local instances only outbound clusters', () => {
    for (const id of ['frontend', ROUTER_PROXY, 'sidecar~10.200.0.1~stray~default.svc.cluster.local']) {
      const body = renderCds(indexes, mesh, parseProxyIdentity(id));
      expect(envoyV1Problems('cds', body)).toEqual([]);
      expect(body.clusters.every((c) => c.name.startsWith('out.'))).toBe(true);
    }
  });
});

describe('v1 RDS', () => {
  it('matches its golden file and Envoy v1 schema', () => {
    const body = renderRds(indexes, mesh, '9080', reviewsProxy);
    expect(envoyV1Problems('rds', body)).toEqual([]);
    expectGolden('v1/rds-9080-reviews-v1-sidecar', body);
  });

  it('routes every name a client in the namespace may use to the service cluster', () => {
    const body = renderRds(indexes, mesh, '9080', reviewsProxy);
    const reviews = 'out.reviews.default.svc.cluster.local|http';
    for (const host of [
      'reviews',
      'reviews:9080',
      'reviews.default',
      'reviews.default.svc.cluster.local:9080',
      '10.0.0.31',
      '10.0.0.31:9080',
    ]) {
      expect(clusterFor(body, host)).toBe(reviews);
    }
    expect(clusterFor(body, 'ratings:9080')).toBe('out.ratings.default.svc.cluster.local|http');
    expect(clusterFor(body, 'productpage-frontend.bookinfo-staging:9080')).toMatch(
      /^out\.productpage-frontend.*~[0-9a-f]{16}$/,
    );
    expect(clusterFor(body, 'mongodb:9080')).toBeUndefined();
  });

  it('offers only fully qualified names to a proxy outside the domain', () => {
    const body = renderRds(indexes, mesh, '9080', parseProxyIdentity('frontend'));
    expect(clusterFor(body, 'reviews:9080')).toBeUndefined();
    expect(clusterFor(body, 'reviews.default.svc.cluster.local:9080')).toBe(
      'out.reviews.default.svc.cluster.local|http',
    );
  });

  it('brackets IPv6 VIPs as Host headers carry them', () => {
    const body = renderRds(indexes, mesh, '80', reviewsProxy);
    expect(envoyV1Problems('rds', body)).toEqual([]);
    expect(clusterFor(body, '[fd00::80]:80')).toBe('out.web.service.dc1.consul|http');
  });

  it('answers an empty table for a port without HTTP services, and refuses names that are not ports', () => {
    expect(renderRds(indexes, mesh, '27017', reviewsProxy)).toEqual({
      validate_clusters: false,
      virtual_hosts: [],
    });
    expect(() => renderRds(indexes, mesh, 'http_proxy', reviewsProxy)).toThrow(UnknownRouteConfigError);
    expect(() => renderRds(indexes, mesh, '70000', reviewsProxy)).toThrow(UnknownRouteConfigError);
  });
});

describe('v1 LDS', () => {
  it.each([
    ['lds-reviews-v1-sidecar', REVIEWS_V1_PROXY],
    ['lds-mongodb-sidecar', MONGO_PROXY],
    ['lds-router', ROUTER_PROXY],
  ])('%s matches its golden file and Envoy v1 schema', (name, proxy) => {
    const body = renderLds(indexes, mesh, parseProxyIdentity(proxy));
    expect(envoyV1Problems('lds', body)).toEqual([]);
    expectGolden(`v1/${name}`, body);
  });

  it('gives a sidecar the virtual listener, per-port HTTP listeners on RDS, TCP VIP listeners and its inbound listener', () => {
    const listeners = renderLds(indexes, mesh, reviewsProxy).listeners;
    expect(listeners.map((l) => l.name)).toEqual([
      'virtual',
      'http_10.0.1.11_9080',
      'http_0.0.0.0_80',
      'http_0.0.0.0_9080',
      'http_0.0.0.0_9090',
      'tcp_10.0.0.44_27017',
    ]);
    expect(listeners.filter((l) => l.bind_to_port).map((l) => l.name)).toEqual(['virtual']);
    const outbound = listeners.find((l) => l.name === 'http_0.0.0.0_9080')?.filters[0];
    expect(outbound?.name === 'http_connection_manager' && outbound.config.rds).toEqual({
      cluster: 'rds',
      route_config_name: '9080',
      refresh_delay_ms: 1000,
    });
    const inbound = listeners.find((l) => l.name === 'http_10.0.1.11_9080')?.filters[0];
    expect(
      inbound?.name === 'http_connection_manager' &&
        inbound.config.route_config?.virtual_hosts[0]?.routes[0]?.cluster,
    ).toBe('in.9080');
  });

  it('proxies a TCP workload inbound without HTTP', () => {
    const inbound = renderLds(indexes, mesh, parseProxyIdentity(MONGO_PROXY)).listeners.find(
      (l) => l.name === 'tcp_10.0.3.31_27017',
    );
    expect(inbound?.filters[0]).toEqual({
      type: 'read',
      name: 'tcp_proxy',
      config: { stat_prefix: 'tcp', route_config: { routes: [{ cluster: 'in.27017' }] } },
    });
  });

  it('binds one HTTP listener per port for a gateway, and nothing else', () => {
    const listeners = renderLds(indexes, mesh, parseProxyIdentity(ROUTER_PROXY)).listeners;
    expect(listeners.map((l) => `${l.name}:${String(l.bind_to_port)}`)).toEqual([
      'http_0.0.0.0_80:true',
      'http_0.0.0.0_9080:true',
      'http_0.0.0.0_9090:true',
    ]);
  });
});
