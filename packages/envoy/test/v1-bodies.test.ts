import { parseProxyIdentity, parseServiceKey, Registry, type Snapshot } from '@sextant/core';
import {
  bodyText,
  cdsBody,
  ldsBody,
  rdsBody,
  renderCds,
  renderLds,
  renderRds,
  renderSds,
  sdsBody,
} from '../src';
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
    for (const proxy of proxies) {
      expect(bodyText(cdsBody(mesh, proxy))).toBe(JSON.stringify(renderCds(mesh, proxy)));
      expect(bodyText(ldsBody(mesh, proxy))).toBe(JSON.stringify(renderLds(mesh, proxy)));
      for (const port of ['80', '9080', '27017']) {
        expect(bodyText(rdsBody(mesh, port, proxy))).toBe(JSON.stringify(renderRds(mesh, port, proxy)));
      }
    }
    for (const key of ['reviews.default.svc.cluster.local|http|version=v2', 'nope.example|http']) {
      expect(bodyText(sdsBody(mesh, parseServiceKey(key)))).toBe(
        JSON.stringify(renderSds(mesh, parseServiceKey(key))),
      );
    }
  });

  it('share the outbound part between proxies instead of encoding it per proxy', () => {
    const a = cdsBody(mesh, parseProxyIdentity(REVIEWS_V1_PROXY));
    const b = cdsBody(mesh, parseProxyIdentity(MONGO_PROXY));
    expect(a.chunks[1]).toBe(b.chunks[1]);
    expect(a.etag).not.toBe(b.etag);
    expect(ldsBody(mesh, parseProxyIdentity(REVIEWS_V1_PROXY)).chunks[1]).toBe(
      ldsBody(mesh, parseProxyIdentity(MONGO_PROXY)).chunks[1],
    );
  });

  it('keep their ETag when what they contain did not change, and change it when it did', () => {
    const registry = new Registry({ adapters: ['a'] });
    const sink = registry.sink('a');
    const web = { hostname: 'web.example', ports: [{ name: 'http', port: 80, protocol: 'http' as const }] };
    sink.upsertService(web, [{ address: '10.0.0.1', port: 8080, portName: 'http' }]);
    sink.setStatus('ready');
    const proxy = parseProxyIdentity('sidecar~10.0.0.1~web-1~example');
    const first = registry.current() as Snapshot;
    const cds1 = cdsBody(first, proxy).etag;
    const sds1 = sdsBody(first, parseServiceKey('web.example|http')).etag;

    // Another instance: SDS changes, CDS (clusters only) does not.
    sink.upsertService(web, [
      { address: '10.0.0.1', port: 8080, portName: 'http' },
      { address: '10.0.0.2', port: 8080, portName: 'http' },
    ]);
    registry.flush();
    const second = registry.current() as Snapshot;
    expect(second.version).not.toBe(first.version);
    expect(cdsBody(second, proxy).etag).toBe(cds1);
    expect(sdsBody(second, parseServiceKey('web.example|http')).etag).not.toBe(sds1);

    // A new service: CDS changes.
    sink.upsertService(
      { hostname: 'api.example', ports: [{ name: 'grpc', port: 90, protocol: 'grpc' }] },
      [],
    );
    registry.flush();
    expect(cdsBody(registry.current() as Snapshot, proxy).etag).not.toBe(cds1);
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
    const body = JSON.parse(bodyText(ldsBody(snapshot, proxy)));
    expect(body).toEqual(renderLds(snapshot, proxy));
    expect(body.listeners.map((l: { name: string }) => l.name)).toEqual(['virtual', 'tcp_10.0.0.7_5432']);
    expect(body.listeners[1].filters[0].config.route_config.routes[0].cluster).toBe('in.5432');
    registry.close();
  });
});
