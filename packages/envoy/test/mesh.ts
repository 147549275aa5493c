import { Registry, type Snapshot } from '@sextant/core';

/**
 * A small mesh with what v1 rendering must get right: subsets, several ports, HTTP, gRPC and
 * TCP, VIPs, locality, weights (one over v1's cap), unhealthy and draining instances, a name
 * too long for Envoy v1, and a second adapter contributing instances to the same hostname.
 */
export function testMesh(): Snapshot {
  const registry = new Registry({ adapters: ['k8s', 'vms'] });
  const k8s = registry.sink('k8s');
  const vms = registry.sink('vms');
  k8s.upsertService(
    {
      hostname: 'reviews.default.svc.cluster.local',
      ports: [{ name: 'http', port: 9080, protocol: 'http' }],
      labels: { app: 'reviews' },
      addresses: ['10.0.0.31'],
    },
    [
      {
        address: '10.0.1.11',
        port: 9080,
        portName: 'http',
        labels: { version: 'v1' },
        locality: { region: 'us-east1', zone: 'us-east1-b' },
      },
      {
        address: '10.0.1.12',
        port: 9080,
        portName: 'http',
        labels: { version: 'v2' },
        weight: 3,
        health: 'unhealthy',
      },
      {
        address: '10.0.1.13',
        port: 9080,
        portName: 'http',
        labels: { version: 'v2' },
        weight: 250,
        locality: { zone: 'us-east1-c' },
      },
      { address: '10.0.1.14', port: 9080, portName: 'http', labels: { version: 'v3' }, health: 'draining' },
    ],
  );
  k8s.upsertService(
    {
      hostname: 'ratings.default.svc.cluster.local',
      ports: [
        { name: 'http', port: 9080, protocol: 'http' },
        { name: 'grpc', port: 9090, protocol: 'grpc' },
      ],
      addresses: ['10.0.0.32'],
    },
    [
      { address: '10.0.2.21', port: 9080, portName: 'http', labels: { version: 'v1' } },
      { address: '10.0.2.21', port: 9090, portName: 'grpc', labels: { version: 'v1' } },
    ],
  );
  k8s.upsertService(
    {
      hostname: 'mongodb.default.svc.cluster.local',
      ports: [{ name: 'mongo', port: 27017, protocol: 'tcp' }],
      addresses: ['10.0.0.44'],
    },
    [{ address: '10.0.3.31', port: 27017, portName: 'mongo' }],
  );
  k8s.upsertService(
    {
      hostname: 'productpage-frontend.bookinfo-staging.svc.cluster.local',
      ports: [{ name: 'http', port: 9080, protocol: 'http' }],
    },
    [{ address: '10.0.4.41', port: 9080, portName: 'http' }],
  );
  vms.upsertService(
    { hostname: 'redis.service.dc1.consul', ports: [{ name: 'tcp', port: 6379, protocol: 'tcp' }] },
    [{ address: '10.1.0.5', port: 6379, portName: 'tcp', locality: { region: 'dc1' } }],
  );
  vms.upsertService(
    {
      hostname: 'web.service.dc1.consul',
      ports: [{ name: 'http', port: 80, protocol: 'http' }],
      addresses: ['fd00::80'],
    },
    [
      { address: '10.1.0.7', port: 8080, portName: 'http' },
      { address: 'fd00::7', port: 8080, portName: 'http' },
    ],
  );
  vms.upsertService(
    {
      hostname: 'reviews.default.svc.cluster.local',
      ports: [{ name: 'http', port: 9080, protocol: 'http' }],
    },
    [
      {
        address: '10.9.0.1',
        port: 9080,
        portName: 'http',
        labels: { version: 'v1' },
        locality: { region: 'onprem', zone: 'rack-1' },
      },
    ],
  );
  k8s.setStatus('ready');
  vms.setStatus('ready');
  const snapshot = registry.current();
  registry.close();
  if (!snapshot) throw new Error('test mesh did not sync');
  return snapshot;
}

export const REVIEWS_V1_PROXY = 'sidecar~10.0.1.11~reviews-v1-7f9.default~default.svc.cluster.local';
export const MONGO_PROXY = 'sidecar~10.0.3.31~mongodb-0.default~default.svc.cluster.local';
export const ROUTER_PROXY = 'router~10.0.9.9~edge-gw~';
