import { Registry, type RegistrySink } from '@sextant/core';
import type { FastifyInstance } from 'fastify';
import { Renderer } from '@sextant/envoy';
import pino from 'pino';
import { createAdminServer, createDiscoveryServer, listenOn, ServerMetrics } from '../src';

export interface Harness {
  registry: Registry;
  sink: RegistrySink;
  discovery: string;
  admin: string;
  close(): Promise<void>;
}

/** A registry with one adapter partition, and both listeners on free loopback ports. */
export async function startHarness(adapters = ['files']): Promise<Harness> {
  const registry = new Registry({ adapters, debounce: { afterMs: 1, maxMs: 5 } });
  const logger = pino({ level: 'silent' });
  const renderer = new Renderer();
  const metrics = new ServerMetrics(registry, () => renderer.cache.stats());
  const apps: FastifyInstance[] = [
    createDiscoveryServer(registry, renderer, metrics, logger),
    createAdminServer(registry, renderer, metrics, logger),
  ];
  const [discovery, admin] = await Promise.all(apps.map((app) => listenOn(app, '127.0.0.1:0')));
  return {
    registry,
    sink: registry.sink(adapters[0] ?? 'files'),
    discovery: `http://${discovery}`,
    admin: `http://${admin}`,
    async close() {
      registry.close();
      await Promise.all(apps.map((app) => app.close()));
    },
  };
}

export function seedBookinfo(sink: RegistrySink): void {
  sink.upsertService(
    {
      hostname: 'reviews.default.svc.cluster.local',
      ports: [{ name: 'http', port: 9080, protocol: 'http' }],
      addresses: ['10.0.0.31'],
    },
    [
      {
        address: '10.0.1.11',
        port: 9080,
        portName: 'http',
        labels: { version: 'v1' },
        locality: { zone: 'z1' },
      },
      { address: '10.0.1.12', port: 9080, portName: 'http', labels: { version: 'v2' } },
    ],
  );
  sink.upsertService(
    {
      hostname: 'ratings.default.svc.cluster.local',
      ports: [{ name: 'grpc', port: 9090, protocol: 'grpc' }],
    },
    [{ address: '10.0.2.21', port: 9090, portName: 'grpc' }],
  );
}

export const REVIEWS_NODE = 'sidecar~10.0.1.11~reviews-v1.default~default.svc.cluster.local';
