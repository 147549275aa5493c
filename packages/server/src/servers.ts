import type { Renderer } from '@sextant/envoy';
import type { FastifyInstance } from 'fastify';
import type { Logger as PinoLogger } from 'pino';
import { registerAdminRoutes, type ProxyConfigSection, type ProxyStreamsSource } from './admin/admin-routes';
import { allowOnlyLocalHosts } from './admin/host-guard';
import type { RuleStore } from '@sextant/core';
import { registerRulesApi } from './admin/rules-api';
import type { BuildInfo } from './build-info';
import type { Fleet } from './fleet/fleet';
import type { HttpLimits } from './http-limits';
import { createHttpServer } from './http-server';
import type { MeshState } from './mesh-state';
import type { ServerMetrics } from './metrics';
import { V1FastPath } from './v1/v1-fast-path';
import { V1Responder } from './v1/v1-responder';
import { requireAdminToken, type AdminToken } from './security/admin-token';
import { httpNodeGate, type NodeAuthorizer } from './security/node-authorizer';
import type { ServerTls } from './security/server-tls';
import { registerV3RestRoutes } from './v3-rest/v3-rest-routes';
import { XdsServer, type XdsServerOptions } from './xds/xds-server';

export interface DiscoveryServerOptions {
  /** Serve HTTPS with these files. */
  readonly tls?: ServerTls;
  /** Serve a node only to a client whose certificate is for it (strict node authorization). */
  readonly authorizer?: NodeAuthorizer;
  /** Where pollers are recorded for /debug/proxies. */
  readonly fleet?: Fleet;
}

/** The discovery listener: v1 REST and v3 REST-JSON. */
export function createDiscoveryServer(
  mesh: MeshState,
  renderer: Renderer,
  metrics: ServerMetrics,
  logger: PinoLogger,
  limits?: HttpLimits,
  options: DiscoveryServerOptions = {},
): FastifyInstance {
  const log = logger.child({ listener: 'discovery' });
  const gate = options.authorizer && httpNodeGate(options.authorizer);
  const v1 = new V1FastPath(new V1Responder(mesh, renderer.v1), metrics, log, gate, options.fleet);
  const app = createHttpServer(log, limits, (request, response) => v1.handle(request, response), options.tls);
  registerV3RestRoutes(app, mesh, renderer.v3, metrics, gate, options.fleet);
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
  /** Where the Rules API writes; without one it reads and validates only. */
  readonly ruleStore?: RuleStore;
  /** Serve HTTPS with these files. */
  readonly tls?: ServerTls;
  /** Require this bearer token on every endpoint but /healthz and /readyz. */
  readonly token?: AdminToken;
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
  const app = createHttpServer(logger.child({ listener: 'admin' }), options.limits, undefined, options.tls);
  if (options.allowedHosts !== undefined) allowOnlyLocalHosts(app, options.allowedHosts);
  if (options.token) {
    const token = options.token;
    requireAdminToken(app, token);
    app.addHook('onReady', async () => {
      await token.start();
    });
    app.addHook('onClose', async () => token.stop());
  }
  registerAdminRoutes(app, {
    mesh,
    renderer,
    metrics,
    proxyConfigSections,
    proxyStreams,
    build: options.build,
  });
  registerRulesApi(app, { mesh, ...(options.ruleStore && { store: options.ruleStore }) });
  return app;
}
