import type { FakeConsul } from './fake-consul';

/**
 * Registers the spec's shared fixture world (platform-apis.md: `web` with a passing and a critical
 * instance, `api` tagged grpc/v2, `redis` tagged cache) in the fake's local datacenter, as agents on
 * node-a (10.0.1.11) and node-b (10.0.1.12) would. `/v1/health/service/web` and
 * `/v1/catalog/services` then answer the fixture bodies, up to Create/ModifyIndex.
 */
export function seedFixtureWorld(fake: FakeConsul): void {
  const consulMeta = { 'consul-network-segment': '', 'consul-version': '1.19.2' };
  fake.registerNode({
    node: 'node-a',
    id: '8d3b2c1a-5e4f-4a6b-9c7d-1e2f3a4b5c6d',
    address: '10.0.1.11',
    meta: consulMeta,
  });
  fake.registerNode({
    node: 'node-b',
    id: 'f1e2d3c4-b5a6-4978-8a9b-0c1d2e3f4a5b',
    address: '10.0.1.12',
    meta: consulMeta,
  });
  const httpCheck = (id: string, status: 'passing' | 'critical', output: string) => ({
    checkId: `service:${id}`,
    name: 'HTTP GET /healthz',
    status,
    serviceId: id,
    output,
    type: 'http',
  });
  fake.registerService(
    'node-a',
    {
      id: 'web-1',
      service: 'web',
      tags: ['v1', 'http'],
      address: '10.0.1.11',
      meta: { version: '1.4.2', protocol: 'http' },
      port: 8080,
    },
    [httpCheck('web-1', 'passing', 'HTTP GET http://10.0.1.11:8080/healthz: 200 OK Output: ok')],
  );
  fake.registerService(
    'node-b',
    { id: 'web-2', service: 'web', tags: ['v1', 'http'], address: '', port: 8080 },
    [
      httpCheck(
        'web-2',
        'critical',
        'Get "http://10.0.1.12:8080/healthz": dial tcp 10.0.1.12:8080: connect: connection refused',
      ),
    ],
  );
  fake.registerService('node-a', { id: 'api-1', service: 'api', tags: ['grpc', 'v2'], port: 9090 });
  fake.registerService('node-b', { id: 'redis-1', service: 'redis', tags: ['cache'], port: 6379 });
}
