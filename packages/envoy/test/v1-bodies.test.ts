import { parseProxyIdentity, parseServiceKey, Registry, type Snapshot } from '@sextant/core';
import { bodyText, Renderer, renderCds, renderLds, renderRds, renderSds } from '../src';
import { MONGO_PROXY, REVIEWS_V1_PROXY, ROUTER_PROXY, testMesh } from './mesh';

const mesh = testMesh();
const proxies = [
  REVIEWS_V1_PROXY,
  MONGO_PROXY,
  ROUTER_PROXY,
  'frontend',
  'ingress~10.0.9.8~in~default.svc.cluster.local',
].map(parseProxyIdentity);

describe('v1 bodies', () => {
  it('are exactly the JSON of what the renderers return', () => {
    const { v1, mesh: indexes } = new Renderer();
    for (const proxy of proxies) {
      expect(bodyText(v1.cds(mesh, proxy))).toBe(JSON.stringify(renderCds(indexes, mesh, proxy)));
      expect(bodyText(v1.lds(mesh, proxy))).toBe(JSON.stringify(renderLds(indexes, mesh, proxy)));
      for (const port of ['80', '9080', '27017']) {
        expect(bodyText(v1.rds(mesh, port, proxy))).toBe(
          JSON.stringify(renderRds(indexes, mesh, port, proxy)),
        );
      }
    }
    for (const key of ['reviews.default.svc.cluster.local|http|version=v2', 'nope.example|http']) {
      expect(bodyText(v1.sds(mesh, parseServiceKey(key)))).toBe(
        JSON.stringify(renderSds(mesh, parseServiceKey(key))),
      );
    }
  });

  it('are shared by every proxy that gets the same bytes, whatever its node id says', () => {
    const { v1, cache } = new Renderer();
    const reviews = parseProxyIdentity(REVIEWS_V1_PROXY);
    // Another sidecar of a workload with the same ports: same clusters (inbound clusters are named by port).
    const twin = parseProxyIdentity('sidecar~10.0.1.13~reviews-v2.default~default.svc.cluster.local');
    expect(v1.cds(mesh, twin)).toBe(v1.cds(mesh, reviews));
    // Its listeners carry its own IP, so they differ.
    expect(v1.lds(mesh, twin)).not.toBe(v1.lds(mesh, reviews));
    // But not the outbound ones, which plan the routes of every service on each HTTP port: a
    // proxy's first poll finds them made (a hit) and renders only its own (the one miss).
    const sibling = parseProxyIdentity('sidecar~10.0.1.14~reviews-v3.default~default.svc.cluster.local');
    const before = cache.stats();
    expect(bodyText(v1.lds(mesh, sibling))).toBe(
      JSON.stringify(renderLds(new Renderer().mesh, mesh, sibling)),
    );
    expect(cache.stats().misses - before.misses).toBe(1);
    expect(cache.stats().hits - before.hits).toBeGreaterThanOrEqual(1);

    // Proxies inventing node ids, IPs and domains that no service shares reach one body each.
    const strangers = Array.from({ length: 200 }, (_, i) =>
      parseProxyIdentity(`sidecar~192.168.${i >> 8}.${i & 255}~x-${i}~tenant-${i}.example.org`),
    );
    const first = strangers[0] as (typeof strangers)[number];
    const rds = v1.rds(mesh, '9080', first);
    const cds = v1.cds(mesh, first);
    const lds = v1.lds(mesh, first);
    const entries = cache.stats().entries;
    for (const proxy of strangers) {
      expect(v1.rds(mesh, '9080', proxy)).toBe(rds);
      expect(v1.cds(mesh, proxy)).toBe(cds);
      expect(v1.lds(mesh, proxy)).toBe(lds);
    }
    expect(cache.stats().entries).toBe(entries);
    // A bare node id has no domain: it shares the strangers' tables, not the default namespace's.
    expect(v1.rds(mesh, '9080', parseProxyIdentity('frontend'))).toBe(rds);
    expect(v1.rds(mesh, '9080', reviews)).not.toBe(rds);
  });

  it('keep their ETag when what they contain did not change, and change it when it did', () => {
    const registry = new Registry({ adapters: ['a'] });
    const sink = registry.sink('a');
    const web = { hostname: 'web.example', ports: [{ name: 'http', port: 80, protocol: 'http' as const }] };
    sink.upsertService(web, [{ address: '10.0.0.1', port: 8080, portName: 'http' }]);
    sink.setStatus('ready');
    const { v1 } = new Renderer();
    const proxy = parseProxyIdentity('sidecar~10.0.0.1~web-1~example');
    const first = registry.current() as Snapshot;
    const cds1 = v1.cds(first, proxy).etag;
    const sds1 = v1.sds(first, parseServiceKey('web.example|http'));
    const rds1 = v1.rds(first, '80', proxy);

    // Another instance: SDS changes; CDS (clusters only) and the route table do not.
    sink.upsertService(web, [
      { address: '10.0.0.1', port: 8080, portName: 'http' },
      { address: '10.0.0.2', port: 8080, portName: 'http' },
    ]);
    registry.flush();
    const second = registry.current() as Snapshot;
    expect(second.version).not.toBe(first.version);
    expect(v1.cds(second, proxy).etag).toBe(cds1);
    expect(v1.sds(second, parseServiceKey('web.example|http')).etag).not.toBe(sds1.etag);
    expect(v1.rds(second, '80', proxy)).toBe(rds1);

    // A new service: CDS changes; an unrelated service's SDS body is the same object.
    sink.upsertService(
      { hostname: 'api.example', ports: [{ name: 'grpc', port: 90, protocol: 'grpc' }] },
      [],
    );
    registry.flush();
    const third = registry.current() as Snapshot;
    expect(v1.cds(third, proxy).etag).not.toBe(cds1);
    expect(v1.sds(third, parseServiceKey('web.example|http'))).toBe(
      v1.sds(second, parseServiceKey('web.example|http')),
    );
    registry.close();
  });

  it('encode whole, without the colliding listener, when a VIP equals the proxy IP', () => {
    const registry = new Registry({ adapters: ['a'] });
    const sink = registry.sink('a');
    sink.upsertService(
      {
        hostname: 'db.example',
        ports: [{ name: 'tcp', port: 5432, protocol: 'tcp' }],
        addresses: ['10.0.0.7'],
      },
      [{ address: '10.0.0.7', port: 5432, portName: 'tcp' }],
    );
    sink.setStatus('ready');
    const snapshot = registry.current() as Snapshot;
    const proxy = parseProxyIdentity('sidecar~10.0.0.7~db-0~example');
    const renderer = new Renderer();
    const body = JSON.parse(bodyText(renderer.v1.lds(snapshot, proxy)));
    expect(body).toEqual(renderLds(renderer.mesh, snapshot, proxy));
    expect(body.listeners.map((l: { name: string }) => l.name)).toEqual(['virtual', 'tcp_10.0.0.7_5432']);
    expect(body.listeners[1].filters[0].config.route_config.routes[0].cluster).toBe('in.5432');
    registry.close();
  });
});
