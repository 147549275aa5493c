import 'reflect-metadata';
import { byteSize, durationMs, readRuleDocuments, Registry, type DefaultRetries } from '@sextant/core';
import { RuleFiles, RULES_FILE_SIZE_LIMIT } from '../rules/rule-files';
import { Renderer, type RouteDefaults } from '@sextant/envoy';
import {
  createAdminServer,
  createDiscoveryServer,
  createXdsServer,
  Fleet,
  isLoopbackHost,
  parseListenAddress,
  ServerMetrics,
  v3ConfigSection,
} from '@sextant/server';
import type { Logger } from 'pino';
import { container, instanceCachingFactory, type DependencyContainer } from 'tsyringe';
import { adapterContext, type LoadedConfig } from '../config/load-config';
import { AdapterSupervisor } from './adapter-supervisor';
import { Daemon } from './daemon';
import { httpLimits, xdsLimits } from './limits';
import { httpListener, type Listener } from './listener';
import { buildInfo } from './build-info';
import { CONFIG, LISTENERS, LOGGER, SUPERVISORS } from './tokens';

/** How often rules files are read again whatever change notifications say, and globs resolved again. */
const RULES_POLL_INTERVAL_MS = 2000;

/**
 * The composition root: the only place that knows how the parts are wired. Every other
 * package takes its collaborators as constructor arguments and knows nothing of tsyringe.
 */
export function createContainer(
  loaded: LoadedConfig,
  logger: Logger,
  env: Readonly<Record<string, string | undefined>>,
): DependencyContainer {
  const c = container.createChildContainer();
  const { config } = loaded;
  c.register(CONFIG, { useValue: loaded });
  c.register(LOGGER, { useValue: logger });
  c.register(Registry, {
    useFactory: instanceCachingFactory(
      () =>
        new Registry({
          adapters: loaded.adapters.map((a) => a.name),
          debounce: { afterMs: durationMs(config.debounce.after), maxMs: durationMs(config.debounce.max) },
          logger: logger.child({ component: 'registry' }),
        }),
    ),
  });
  // One renderer for every listener: answers built from the same pieces share them, under one budget.
  c.register(Renderer, {
    useFactory: instanceCachingFactory(
      () =>
        new Renderer({
          cacheBytes: byteSize(config.limits.renderCache),
          defaults: routeDefaults(config.defaults.retries),
        }),
    ),
  });
  c.register(ServerMetrics, {
    useFactory: instanceCachingFactory((r) => {
      const renderer = r.resolve(Renderer);
      return new ServerMetrics(r.resolve(Registry), () => renderer.cache.stats(), buildInfo());
    }),
  });
  c.register(Fleet, {
    useFactory: instanceCachingFactory(
      (r) =>
        new Fleet(
          r.resolve(Registry),
          logger.child({ component: 'clients' }),
          r.resolve(ServerMetrics).registry,
          {
            retentionMs: durationMs(config.admin.proxyRetention),
            maxTracked: config.limits.trackedClients,
          },
        ),
    ),
  });
  c.register(LISTENERS, {
    useFactory: instanceCachingFactory((r): Listener[] => {
      const registry = r.resolve(Registry);
      const renderer = r.resolve(Renderer);
      const metrics = r.resolve(ServerMetrics);
      const fleet = r.resolve(Fleet);
      const xds = createXdsServer(registry, renderer, metrics, logger, {
        limits: xdsLimits(config.limits.xds),
        fleet,
      });
      // On loopback, admin answers only requests for this machine's names (against DNS rebinding).
      const adminOnLoopback = isLoopbackHost(parseListenAddress(config.listen.admin).host);
      const admin = createAdminServer(
        registry,
        renderer,
        metrics,
        logger,
        [v3ConfigSection(registry, renderer.v3)],
        (node) => fleet.list(node),
        {
          limits: httpLimits(config.limits.admin),
          allowedHosts: adminOnLoopback ? config.admin.allowedHosts : undefined,
          build: buildInfo(),
        },
      );
      const discovery = createDiscoveryServer(
        registry,
        renderer,
        metrics,
        logger,
        httpLimits(config.limits.discovery),
        fleet,
      );
      return [
        httpListener('discovery', discovery, config.listen.discovery),
        httpListener('admin', admin, config.listen.admin),
        // Stops accepting, ends every stream so clients reconnect elsewhere, cuts the rest after its
        // grace time (shorter than the daemon's shutdown deadline).
        { name: 'xds', start: () => xds.listen(config.listen.xds), stop: () => xds.close() },
      ];
    }),
  });
  c.register(SUPERVISORS, {
    useFactory: instanceCachingFactory((r) => {
      const registry = r.resolve(Registry);
      return loaded.adapters.map((adapter) => {
        const context = adapterContext(adapter.name, loaded.baseDir, env, logger);
        return new AdapterSupervisor(
          adapter.name,
          () => adapter.factory.create(adapter.options, context),
          registry.sink(adapter.name),
          context.logger,
        );
      });
    }),
  });
  c.register(RuleFiles, {
    useFactory: instanceCachingFactory((r) => {
      const registry = r.resolve(Registry);
      return new RuleFiles((file) => registry.ruleSink(file), {
        patterns: config.rules,
        baseDir: loaded.baseDir,
        pollIntervalMs: RULES_POLL_INTERVAL_MS,
        sizeLimit: RULES_FILE_SIZE_LIMIT,
        read: readRuleDocuments,
        logger: logger.child({ component: 'rules' }),
      });
    }),
  });
  c.register(Daemon, { useClass: Daemon });
  return c;
}

/** `defaults.retries` as the renderers take it: no policy at all when it asks for no attempts. */
function routeDefaults(retries: DefaultRetries): RouteDefaults {
  if (retries.attempts === 0) return {};
  return {
    retry: {
      attempts: retries.attempts,
      retryOn: retries.retryOn,
      ...(retries.perTryTimeout !== undefined && { perTryTimeoutMs: durationMs(retries.perTryTimeout) }),
    },
  };
}
