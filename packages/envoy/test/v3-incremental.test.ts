import { parseProxyIdentity, Registry, type RegistrySink, type Snapshot } from '@sextant/core';
import {
  CLUSTER_TYPE,
  ENDPOINT_TYPE,
  LISTENER_TYPE,
  Renderer,
  resourceDependency,
  ResourceGroup,
  ROUTE_TYPE,
  snapshotChange,
  type ResourceTypeUrl,
} from '../src';

const sidecar = parseProxyIdentity('sidecar~10.0.0.1~web-1~example');
const requester = { proxy: sidecar, kind: 'ads' as const };

const web = { hostname: 'web.example', ports: [{ name: 'http', port: 80, protocol: 'http' as const }] };
const api = {
  hostname: 'api.example',
  ports: [{ name: 'grpc', port: 90, protocol: 'grpc' as const }],
  addresses: ['10.1.0.90'],
};

function mesh(): { registry: Registry; sink: RegistrySink; current: () => Snapshot } {
  const registry = new Registry({ adapters: ['a'] });
  const sink = registry.sink('a');
  sink.upsertService(web, [{ address: '10.0.0.1', port: 8080, portName: 'http' }]);
  sink.upsertService(api, [{ address: '10.0.0.2', port: 9090, portName: 'grpc' }]);
  sink.setStatus('ready');
  return { registry, sink, current: () => registry.current() as Snapshot };
}

const { v3 } = new Renderer({ keepRendered: true });
const resourceSet = (snapshot: Snapshot, typeUrl: ResourceTypeUrl) =>
  v3.resourceSet(snapshot, typeUrl, requester);
const sharedGroup = (snapshot: Snapshot, typeUrl: ResourceTypeUrl) =>
  v3.sharedGroup(snapshot, typeUrl, requester);
const get = (snapshot: Snapshot, typeUrl: ResourceTypeUrl, name: string) =>
  resourceSet(snapshot, typeUrl).get(name);

describe('v3 rendering is incremental', () => {
  it('keeps the resources of services that did not change, as the same encoded objects', () => {
    const { registry, sink, current } = mesh();
    const before = current();
    const apiCluster = get(before, CLUSTER_TYPE, 'outbound|90||api.example');
    const apiEndpoints = get(before, ENDPOINT_TYPE, 'api.example|grpc');
    const webEndpoints = get(before, ENDPOINT_TYPE, 'web.example|http');

    sink.upsertService(web, [
      { address: '10.0.0.1', port: 8080, portName: 'http' },
      { address: '10.0.0.3', port: 8080, portName: 'http' },
    ]);
    registry.flush();
    const after = current();
    expect(get(after, CLUSTER_TYPE, 'outbound|90||api.example')).toBe(apiCluster);
    expect(get(after, ENDPOINT_TYPE, 'api.example|grpc')).toBe(apiEndpoints);
    expect(get(after, ENDPOINT_TYPE, 'web.example|http')?.version).not.toBe(webEndpoints?.version);
    // An endpoint change leaves cluster versions, the shared cluster group and the route table as they were.
    expect(get(after, CLUSTER_TYPE, 'outbound|80||web.example')?.version).toBe(
      get(before, CLUSTER_TYPE, 'outbound|80||web.example')?.version,
    );
    expect(sharedGroup(after, CLUSTER_TYPE)).toBe(resourceSet(after, CLUSTER_TYPE).shared());
    expect(sharedGroup(after, CLUSTER_TYPE).digest).toBe(sharedGroup(before, CLUSTER_TYPE).digest);
    expect(get(after, ROUTE_TYPE, '80')).toBe(get(before, ROUTE_TYPE, '80'));
    registry.close();
  });

  it('derives every version from content: two daemons that see the same mesh serve the same versions', () => {
    const [one, two] = [mesh(), mesh()];
    for (const typeUrl of [CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, ROUTE_TYPE] as const) {
      const a = new Renderer().v3.resourceSet(one.current(), typeUrl, requester).wildcard();
      const b = new Renderer().v3.resourceSet(two.current(), typeUrl, requester).wildcard();
      expect(a.digest).toBe(b.digest);
      expect([...a.resources()].map((r) => r.version)).toEqual([...b.resources()].map((r) => r.version));
    }
    one.registry.close();
    two.registry.close();
  });

  it('tells what a snapshot may have changed: services, ports (only when their shape changed) and addresses', () => {
    const { registry, sink, current } = mesh();
    const first = current();
    expect(snapshotChange(undefined, first).everything).toBe(true);

    sink.upsertService(web, [{ address: '10.0.0.5', port: 8080, portName: 'http' }]);
    registry.flush();
    const endpointsOnly = snapshotChange(first, current());
    expect(endpointsOnly).toMatchObject({ everything: false });
    expect([...endpointsOnly.dependencies]).toEqual(['host:web.example']);
    expect([...endpointsOnly.addresses].sort()).toEqual(['10.0.0.1', '10.0.0.5']);

    const second = current();
    sink.upsertService({ ...web, ports: [{ name: 'http', port: 81, protocol: 'http' }] }, []);
    registry.flush();
    expect([...snapshotChange(second, current()).dependencies].sort()).toEqual([
      'host:web.example',
      'port:80',
      'port:81',
    ]);
    // A snapshot that does not follow the one given: everything may have changed.
    expect(snapshotChange(first, current()).everything).toBe(true);
    registry.close();
  });

  it('maps every resource name to what it is built from', () => {
    expect(resourceDependency(CLUSTER_TYPE, 'outbound|80||web.example')).toBe('host:web.example');
    expect(resourceDependency(CLUSTER_TYPE, 'inbound|80||web.example')).toBe('host:web.example');
    expect(resourceDependency(CLUSTER_TYPE, 'BlackHoleCluster')).toBe('static');
    expect(resourceDependency(ENDPOINT_TYPE, 'web.example|http|version=v1')).toBe('host:web.example');
    expect(resourceDependency(LISTENER_TYPE, 'web.example:80')).toBe('host:web.example');
    expect(resourceDependency(LISTENER_TYPE, 'web.example')).toBe('host:web.example');
    expect(resourceDependency(LISTENER_TYPE, '0.0.0.0_80')).toBe('port:80');
    expect(resourceDependency(LISTENER_TYPE, '10.1.0.90_90')).toBe('any');
    expect(resourceDependency(LISTENER_TYPE, '[fd00::1]_90')).toBe('any');
    expect(resourceDependency(LISTENER_TYPE, 'virtualOutbound')).toBe('static');
    expect(resourceDependency(ROUTE_TYPE, '80')).toBe('port:80');
  });

  it('diffs groups: what to send and what is gone, computed once per pair', () => {
    const { registry, sink, current } = mesh();
    const before = resourceSet(current(), CLUSTER_TYPE).wildcard();
    sink.removeService('api.example');
    sink.upsertService({ ...web, ports: [{ name: 'http', port: 80, protocol: 'http2' }] }, []);
    registry.flush();
    const after = resourceSet(current(), CLUSTER_TYPE).wildcard();
    const diff = before.diffTo(after);
    expect(diff.upserted.map((r) => r.name)).toEqual(['outbound|80||web.example']);
    expect(diff.removed.map((r) => r.name)).toEqual([
      'inbound|8080||web.example',
      'outbound|90||api.example',
    ]);
    expect(before.diffTo(after)).toBe(diff);
    expect(after.diffTo(after)).toEqual({ upserted: [], removed: [] });
    expect(ResourceGroup.of([]).diffTo(after).upserted).toHaveLength(after.size);
    registry.close();
  });

  it('gives an address to the proxy`s own listener when a VIP equals its IP', () => {
    const { registry, sink, current } = mesh();
    sink.upsertService(
      {
        hostname: 'db.example',
        ports: [{ name: 'tcp', port: 8080, protocol: 'tcp' }],
        addresses: ['10.0.0.1'],
      },
      [{ address: '10.0.0.9', port: 5432, portName: 'tcp' }],
    );
    registry.flush();
    const listeners = [...resourceSet(current(), LISTENER_TYPE).wildcard().resources()];
    const owners = listeners.filter((l) => l.name === '10.0.0.1_8080');
    expect(owners).toHaveLength(1);
    expect(JSON.stringify(owners[0]?.rendered)).toContain('inbound|8080||web.example');
    registry.close();
  });
});
