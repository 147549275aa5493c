import type { Renderer } from '@sextant/envoy';
import type { FastifyInstance } from 'fastify';
import { defaultBuildInfo, versionView, type BuildInfo } from '../build-info';
import { HttpError, NOT_SYNCED_MESSAGE } from '../http-errors';
import type { MeshState } from '../mesh-state';
import type { ServerMetrics } from '../metrics';
import { respondWithError } from '../respond';
import { parseProxy } from '../v1/v1-responder';
import { registerAdminIndex } from './admin-index';
import { registryView, rulesView, v1ProxyConfig } from './debug-views';

/** Contributes a section to /debug/config/:proxyId (the v3 server adds its resources this way). */
export type ProxyConfigSection = (proxyId: string) => Record<string, unknown>;

/** The clients for /debug/proxies (streams open and recently closed, REST pollers), all or those of one node id. */
export type ProxyStreamsSource = (node?: string) => readonly object[];

export interface AdminRouteOptions {
  readonly mesh: MeshState;
  readonly renderer: Renderer;
  readonly metrics: ServerMetrics;
  readonly proxyConfigSections?: readonly ProxyConfigSection[];
  readonly proxyStreams?: ProxyStreamsSource;
  readonly build?: BuildInfo;
}

/** /healthz, /readyz, /metrics and the /debug views (DESIGN §7). */
export function registerAdminRoutes(app: FastifyInstance, options: AdminRouteOptions): void {
  const { mesh, metrics, renderer } = options;
  const build = options.build ?? defaultBuildInfo();
  registerAdminIndex(app);

  // Alive: the process answers. Restarting it would not help anything this endpoint could see.
  app.get('/healthz', async (_request, reply) => reply.type('text/plain').send('ok\n'));

  // Ready: every adapter has completed a first sync, so what is served is the whole mesh.
  // An adapter degraded later keeps its last state served, so readiness stays.
  app.get('/readyz', async (_request, reply) => {
    const adapters = mesh.adapterStatuses();
    const waiting = adapters
      .filter((a) => !a.synced)
      .map((a) => ({ name: a.name, status: a.status, detail: a.detail ?? null }));
    const ready = mesh.isSynced();
    return reply.code(ready ? 200 : 503).send({ ready, waitingFor: waiting });
  });

  app.get('/metrics', async (_request, reply) => {
    const text = await metrics.registry.metrics();
    return reply.type(metrics.registry.contentType).send(text);
  });

  app.get('/debug/registry', async (request, reply) => {
    const { hostname } = request.query as { hostname?: string };
    return reply.send(registryView(mesh, renderer.mesh, Date.now(), hostname));
  });

  app.get('/debug/rules', async (_request, reply) => reply.send(rulesView(mesh)));

  app.get('/debug/version', async (_request, reply) => reply.send(versionView(build, Date.now())));

  // Every client; `?node=<id>` narrows to one node and lists the names its streams subscribe to.
  app.get('/debug/proxies', async (request, reply) => {
    const { node } = request.query as { node?: string };
    return reply.send({ clients: options.proxyStreams?.(node) ?? [] });
  });

  app.get('/debug/config/:proxyId', async (request, reply) => {
    try {
      const { proxyId } = request.params as { proxyId: string };
      const proxy = parseProxy(proxyId);
      const snapshot = mesh.current();
      if (!snapshot) throw new HttpError(503, NOT_SYNCED_MESSAGE);
      const sections = (options.proxyConfigSections ?? []).map((section) => section(proxyId));
      return reply.send(
        Object.assign(
          {
            proxy,
            version: snapshot.version,
            v1: v1ProxyConfig(renderer.mesh, snapshot, proxy, renderer.v1.options, renderer.v1.defaults),
          },
          ...sections,
        ),
      );
    } catch (error) {
      respondWithError(reply, error, request);
      return reply;
    }
  });
}
