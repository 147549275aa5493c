import type { Renderer } from '@sextant/envoy';
import type { FastifyInstance } from 'fastify';
import type { Logger as PinoLogger } from 'pino';
import { registerAdminRoutes, type ProxyConfigSection, type ProxyStreamsSource } from './admin/admin-routes';
import { allowOnlyLocalHosts } from './admin/host-guard';
import type { BuildInfo } from './build-info';
import type { Fleet } from './fleet/fleet';
import type { HttpLimits } from './http-limits';
import { createHttpServer } from './http-server';
import type { MeshState } from './mesh-state';
import type { ServerMetrics } from './metrics';
import { V1FastPath } from './v1/v1-fast-path';
import { V1Responder } from './v1/v1-responder';
import { registerV3RestRoutes } from './v3-rest/v3-rest-routes';
import { XdsServer, type XdsServerOptions } from './xds/xds-server';

/** The discovery listener: v1 REST and v3 REST-JSON. */
export function createDiscoveryServer(
  mesh: MeshState,
  renderer: Renderer,
  metrics: ServerMetrics,
  logger: PinoLogger,
  limits?: HttpLimits,
  fleet?: Fleet,
): FastifyInstance {
  const log = logger.child({ listener: 'discovery' });
  const v1 = new V1FastPath(new V1Responder(mesh, renderer.v1), metrics, log, fleet);
  const app = createHttpServer(log, limits, (request, response) => v1.handle(request, response));
  registerV3RestRoutes(app, mesh, renderer.v3, metrics, fleet);
  return app;
}

/** The xDS gRPC listener (ADS and the per-type services), its metrics on the admin /metrics. */
export function createXdsServer(
  mesh: MeshState,
  renderer: Renderer,
  metrics: ServerMetrics,
  logger: PinoLogger,
  options?: XdsServerOptions,
): XdsServer {
  return new XdsServer(mesh, renderer, metrics.registry, logger, options);
}

export interface AdminServerOptions {
  readonly limits?: HttpLimits;
  /**
   * Answer only requests whose Host names this machine, or one of these names (for an admin
   * listener on loopback, against DNS rebinding; see allowOnlyLocalHosts). Unset: any Host.
   */
  readonly allowedHosts?: readonly string[];
  /** What /debug/version says; the server package's version and an unknown commit by default. */
  readonly build?: BuildInfo;
}

/** The admin listener: health, readiness, metrics, debug views. Loopback by default: it shows the whole mesh. */
export function createAdminServer(
  mesh: MeshState,
  renderer: Renderer,
  metrics: ServerMetrics,
  logger: PinoLogger,
  proxyConfigSections: readonly ProxyConfigSection[] = [],
  proxyStreams?: ProxyStreamsSource,
  options: AdminServerOptions = {},
): FastifyInstance {
  const app = createHttpServer(logger.child({ listener: 'admin' }), options.limits);
  if (options.allowedHosts !== undefined) allowOnlyLocalHosts(app, options.allowedHosts);
  registerAdminRoutes(app, {
    mesh,
    renderer,
    metrics,
    proxyConfigSections,
    proxyStreams,
    build: options.build,
  });
  return app;
}
