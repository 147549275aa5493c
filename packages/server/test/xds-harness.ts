import { Registry, type RegistrySink } from '@sextant/core';
import type { FastifyInstance } from 'fastify';
import { Renderer } from '@sextant/envoy';
import pino, { type Logger as PinoLogger } from 'pino';
import {
  createAdminServer,
  createDiscoveryServer,
  createXdsServer,
  Fleet,
  type FleetOptions,
  listenOn,
  ServerMetrics,
  v3ConfigSection,
  type XdsServer,
  type XdsServerOptions,
} from '../src';
import { seedBookinfo } from './harness';
import { XdsTestStream } from './xds-test-client';

export interface XdsHarness {
  readonly registry: Registry;
  readonly sink: RegistrySink;
  readonly xds: XdsServer;
  readonly address: string;
  readonly admin: string;
  /** The discovery listener (v1 REST, v3 REST-JSON). */
  readonly discovery: string;
  readonly fleet: Fleet;
  /** The renderer the xDS server renders with. */
  readonly renderer: Renderer;
  /** Publishes what the sink reported now (no debounce wait). */
  publish(): void;
  sotw(path?: string): XdsTestStream<'sotw'>;
  delta(path?: string): XdsTestStream<'delta'>;
  close(): Promise<void>;
}

export interface XdsHarnessOptions {
  /** Where the servers log; silent by default. */
  readonly logger?: PinoLogger;
  readonly xds?: XdsServerOptions;
  readonly fleet?: FleetOptions;
  /** The clock of the registry, the xDS server and the fleet; the real one by default. */
  readonly now?: () => number;
}

/** A registry with one adapter partition, the xDS server and the admin listener on loopback. */
export async function startXdsHarness(options: XdsHarnessOptions = {}): Promise<XdsHarness> {
  const now = options.now ?? Date.now;
  const registry = new Registry({
    adapters: ['files'],
    debounce: { afterMs: 1_000_000, maxMs: 1_000_000 },
    now,
  });
  const logger = options.logger ?? pino({ level: 'silent' });
  const renderer = new Renderer();
  const metrics = new ServerMetrics(registry, () => renderer.cache.stats());
  const fleet = new Fleet(registry, logger, metrics.registry, { now, ...options.fleet });
  const xds = createXdsServer(registry, renderer, metrics, logger, {
    shutdownGraceMs: 500,
    now,
    fleet,
    ...options.xds,
  });
  const admin: FastifyInstance = createAdminServer(
    registry,
    renderer,
    metrics,
    logger,
    [v3ConfigSection(registry, renderer.v3)],
    (node) => fleet.list(node),
  );
  const discovery = createDiscoveryServer(registry, renderer, metrics, logger, undefined, { fleet });
  const [address, adminAddress, discoveryAddress] = await Promise.all([
    xds.listen('127.0.0.1:0'),
    listenOn(admin, '127.0.0.1:0'),
    listenOn(discovery, '127.0.0.1:0'),
  ]);
  const streams: XdsTestStream<'sotw' | 'delta'>[] = [];
  const open = <P extends 'sotw' | 'delta'>(protocol: P, path?: string) => {
    const stream = new XdsTestStream(address, protocol, path);
    streams.push(stream);
    return stream;
  };
  return {
    registry,
    sink: registry.sink('files'),
    xds,
    address,
    admin: `http://${adminAddress}`,
    discovery: `http://${discoveryAddress}`,
    fleet,
    renderer,
    publish: () => registry.flush(),
    sotw: (path) => open('sotw', path),
    delta: (path) => open('delta', path),
    async close() {
      for (const stream of streams) stream.close();
      registry.close();
      await Promise.all([xds.close(), admin.close(), discovery.close()]);
    },
  };
}

export const CLUSTER = 'type.googleapis.com/envoy.config.cluster.v3.Cluster';
export const ENDPOINT = 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment';
export const LISTENER = 'type.googleapis.com/envoy.config.listener.v3.Listener';
export const ROUTE = 'type.googleapis.com/envoy.config.route.v3.RouteConfiguration';

export const SIDECAR = 'sidecar~10.0.1.11~reviews-v1.default~default.svc.cluster.local';
export const ENVOY_NODE = { id: SIDECAR, cluster: 'reviews', user_agent_name: 'envoy' };
export const GRPC_NODE = {
  id: 'grpc-client-1',
  user_agent_name: 'gRPC Node Pure JS',
  user_agent_version: '1.14.1',
};

/** A small mesh: reviews (HTTP, two instances, one at the sidecar's IP), ratings (gRPC), mongodb (TCP with VIP). */
export function seedMesh(sink: RegistrySink): void {
  seedBookinfo(sink);
  sink.upsertService(
    {
      hostname: 'mongodb.default.svc.cluster.local',
      ports: [{ name: 'mongo', port: 27017, protocol: 'tcp' }],
      addresses: ['10.0.0.44'],
    },
    [{ address: '10.0.3.31', port: 27017, portName: 'mongo' }],
  );
}

export async function getJson(url: string): Promise<{ status: number; body: unknown }> {
  const response = await fetch(url);
  const text = await response.text();
  return { status: response.status, body: text === '' ? undefined : (JSON.parse(text) as unknown) };
}
