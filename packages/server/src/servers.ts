import type { FastifyInstance } from 'fastify';
import type { Logger as PinoLogger } from 'pino';
import { registerAdminRoutes, type ProxyConfigSection } from './admin/admin-routes';
import { createHttpServer } from './http-server';
import type { MeshState } from './mesh-state';
import type { ServerMetrics } from './metrics';
import { registerV1Routes } from './v1/v1-routes';
import { V1Responder } from './v1/v1-responder';

/** The discovery listener: v1 REST (the v3 REST-JSON routes join it). */
export function createDiscoveryServer(
  mesh: MeshState,
  metrics: ServerMetrics,
  logger: PinoLogger,
): FastifyInstance {
  const app = createHttpServer(logger.child({ listener: 'discovery' }));
  registerV1Routes(app, new V1Responder(mesh), metrics);
  return app;
}

/** The admin listener: health, readiness, metrics, debug views. Loopback by default: it shows the whole mesh. */
export function createAdminServer(
  mesh: MeshState,
  metrics: ServerMetrics,
  logger: PinoLogger,
  proxyConfigSections: readonly ProxyConfigSection[] = [],
): FastifyInstance {
  const app = createHttpServer(logger.child({ listener: 'admin' }));
  registerAdminRoutes(app, { mesh, metrics, proxyConfigSections });
  return app;
}
