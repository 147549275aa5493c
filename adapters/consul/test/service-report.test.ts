import { FakeConsul, seedFixtureWorld, type FakeInstanceSpec } from '@sextant/testkit/consul';
import { ServiceFilter, toServiceReport, type MappingRules } from '../src';

const rules: MappingRules = { health: 'passing', defaultProtocol: 'http', filter: new ServiceFilter() };

describe('mapping a health answer to the mesh', () => {
  let fake: FakeConsul;
  beforeEach(async () => {
    fake = await FakeConsul.start();
  });
  afterEach(() => fake.close());

  /** The wire body Consul gives for `service`, as the adapter receives it. */
  const body = async (service: string): Promise<unknown[]> =>
    (await (await fetch(`${fake.url}/v1/health/service/${service}`)).json()) as unknown[];
  const report = async (
    service: string,
    instances: Omit<FakeInstanceSpec, 'service'>[],
    mapping: MappingRules = rules,
  ) => {
    for (const instance of instances) fake.addInstance({ ...instance, service });
    return toServiceReport(`${service}.service.dc1.consul`, 'dc1', await body(service), mapping);
  };

  it('maps the fixture’s web: address from Service or Node, unhealthy kept, labels, locality', async () => {
    seedFixtureWorld(fake);
    const web = toServiceReport('web.service.dc1.consul', 'dc1', await body('web'), rules);
    expect(web.state).toEqual({
      service: {
        hostname: 'web.service.dc1.consul',
        ports: [{ name: 'http', port: 8080, protocol: 'http' }],
      },
      instances: [
        {
          address: '10.0.1.11',
          port: 8080,
          portName: 'http',
          labels: { 'tag.http': 'true', 'tag.v1': 'true', version: '1.4.2', protocol: 'http' },
          locality: { region: 'dc1' },
          weight: 1,
          health: 'healthy',
        },
        {
          // Service.Address "" → the node's address; its service check is critical.
          address: '10.0.1.12',
          port: 8080,
          portName: 'http',
          labels: { 'tag.http': 'true', 'tag.v1': 'true' },
          locality: { region: 'dc1' },
          weight: 1,
          health: 'unhealthy',
        },
      ],
    });
    expect(web.nodes).toEqual(['node-a', 'node-b']);
  });

  it('turns k=v tags into labels (subsets), other tags into tag.<t>, and lets Meta win a conflict', async () => {
    const r = await report('reviews', [
      {
        address: '10.0.0.1',
        port: 9080,
        tags: ['version=v2', 'canary', 'team=a', 'team=b'],
        meta: { team: 'c' },
      },
    ]);
    expect(r.state?.instances[0]?.labels).toEqual({ version: 'v2', 'tag.canary': 'true', team: 'c' });
  });

  it('picks the protocol from meta or a protocol= tag, by majority, and names the port after it', async () => {
    const r = await report('api', [
      { address: '10.0.0.1', port: 9090, meta: { protocol: 'grpc' } },
      { address: '10.0.0.2', port: 9090, tags: ['protocol=grpc'] },
      { address: '10.0.0.3', port: 9091, tags: ['protocol=http2'] },
    ]);
    expect(r.state?.service.ports).toEqual([{ name: 'grpc', port: 9090, protocol: 'grpc' }]);
    expect(r.state?.instances.map((i) => [i.port, i.portName])).toEqual([
      [9090, 'grpc'],
      [9090, 'grpc'],
      [9091, 'grpc'],
    ]);
    const fallback = await report('db', [{ address: '10.0.1.1', port: 5432 }], {
      ...rules,
      defaultProtocol: 'tcp',
    });
    expect(fallback.state?.service.ports).toEqual([{ name: 'tcp', port: 5432, protocol: 'tcp' }]);
    const unknown = await report('odd', [{ address: '10.0.2.1', port: 80, meta: { protocol: 'thrift' } }]);
    expect(unknown.state?.service.ports[0]?.protocol).toBe('http');
    expect(unknown.skipped.unknownProtocol).toBe(1);
  });

  it('uses Weights.Passing, Weights.Warning for warning instances, and node meta zone', async () => {
    fake.addInstance({
      service: 'web',
      address: '10.0.0.1',
      port: 80,
      weights: { passing: 5, warning: 2 },
      nodeMeta: { zone: 'eu-west-1b', rack: 'r1' },
    });
    const warned = fake.addInstance({
      service: 'web',
      address: '10.0.0.2',
      port: 80,
      weights: { passing: 5, warning: 2 },
    });
    const off = fake.addInstance({
      service: 'web',
      address: '10.0.0.3',
      port: 80,
      weights: { passing: 5, warning: 0 },
    });
    fake.setInstanceStatus(warned, 'warning');
    fake.setInstanceStatus(off, 'warning');
    const lenient = toServiceReport('web.service.dc1.consul', 'dc1', await body('web'), {
      ...rules,
      health: 'passing-or-warning',
    });
    expect(lenient.state?.instances.map((i) => [i.address, i.weight, i.health, i.locality])).toEqual([
      ['10.0.0.1', 5, 'healthy', { region: 'dc1', zone: 'eu-west-1b' }],
      ['10.0.0.2', 2, 'healthy', { region: 'dc1' }],
      // Weights.Warning 0: Consul serves none of its warning instances.
      ['10.0.0.3', 1, 'unhealthy', { region: 'dc1' }],
    ]);
  });

  it('treats maintenance (a critical check) as unhealthy, and an instance without checks as passing', async () => {
    const r = await report('web', [
      { address: '10.0.0.1', port: 80, status: null },
      { address: '10.0.0.2', port: 80 },
    ]);
    fake.write(undefined, (dc) =>
      dc.setCheck('node-10.0.0.2', {
        checkId: '_node_maintenance',
        name: 'Node Maintenance Mode',
        status: 'critical',
        notes: 'upgrade',
      }),
    );
    const after = toServiceReport('web.service.dc1.consul', 'dc1', await body('web'), rules);
    expect(r.state?.instances.map((i) => i.health)).toEqual(['healthy', 'healthy']);
    expect(after.state?.instances.map((i) => i.health)).toEqual(['healthy', 'unhealthy']);
  });

  it('skips and counts instances without a port or an IP, proxies and duplicates; the service port is the most common', async () => {
    const r = await report('web', [
      { address: '10.0.0.1', port: 8080 },
      { address: '10.0.0.2', port: 8080 },
      { address: '10.0.0.3', port: 9000 },
      { address: '10.0.0.4' },
      { address: '10.0.0.5', port: 80, serviceAddress: 'web-5.example.com' },
      { address: '10.0.0.6', port: 21000, kind: 'connect-proxy' },
      { address: '10.0.0.1', port: 8080, node: 'other-node', id: 'web-again', serviceAddress: '10.0.0.1' },
    ]);
    expect(r.state?.service.ports).toEqual([{ name: 'http', port: 8080, protocol: 'http' }]);
    expect(r.state?.instances.map((i) => `${i.address}:${i.port}`)).toEqual([
      '10.0.0.1:8080',
      '10.0.0.2:8080',
      '10.0.0.3:9000',
    ]);
    expect(r.skipped).toEqual({
      noPort: 1,
      notIp: 1,
      proxies: 1,
      duplicates: 1,
      unknownProtocol: 0,
      malformed: 0,
    });
  });

  it('reports no state (the service leaves the mesh) when nothing is usable, and digests content only', async () => {
    const none = await report('batch', [{ address: '10.0.0.1' }]);
    expect(none.state).toBeUndefined();
    const a = toServiceReport('x.service.dc1.consul', 'dc1', [], rules);
    expect(a.state).toBeUndefined();
    const first = await report('web', [{ address: '10.0.0.1', port: 80, tags: ['b', 'a'] }]);
    fake.touchService('web');
    const again = toServiceReport('web.service.dc1.consul', 'dc1', (await body('web')).reverse(), rules);
    expect(again.digest).toBe(first.digest);
  });

  it('counts malformed entries instead of failing on them', () => {
    const r = toServiceReport('x.service.dc1.consul', 'dc1', [null, { Node: {} }, 'web'], rules);
    expect(r.skipped.malformed).toBe(3);
  });
});
