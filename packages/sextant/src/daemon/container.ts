import path from 'node:path';
import 'reflect-metadata';
import {
  byteSize,
  durationMs,
  listenerConfig,
  readRuleDocuments,
  Registry,
  type DefaultRetries,
  type LogLevel,
} from '@sextant/core';
import { AdapterRuleStore } from '../rules/adapter-rule-store';
import { DirectoryRuleStore } from '../rules/directory-rule-store';
import { RuleFiles, RULES_FILE_SIZE_LIMIT } from '../rules/rule-files';
import { Renderer, type RouteDefaults } from '@sextant/envoy';
import {
  AdminToken,
  CertificateService,
  createAdminServer,
  type CertificateAuthority,
  type TokenReviewer,
  createDiscoveryServer,
  createXdsServer,
  Fleet,
  isLoopbackHost,
  NodeAuthorizer,
  parseListenAddress,
  ReloadMetrics,
  ServerMetrics,
  v3ConfigSection,
} from '@sextant/server';
import type { Logger } from 'pino';
import { container, instanceCachingFactory, type DependencyContainer } from 'tsyringe';
import type { LoadedConfig } from '../config/load-config';
import { AdapterSet } from './adapter-set';
import { Daemon } from './daemon';
import { DnsResolver } from './dns-resolver';
import { httpLimits, xdsLimits } from './limits';
import { httpListener, xdsListener, type Listener } from './listener';
import { listenerTls } from './listener-tls';
import { nodeAuthorizationOn } from '../config/security-checks';
import { registerReloadRoutes } from './reload-routes';
import { Reloader } from './reloader';
import { CONFIG, LISTENERS, LOGGER } from './tokens';
import { buildInfo } from './build-info';

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
  options: {
    readonly logLevelFromCommandLine?: LogLevel;
    /** The mesh CA (`ca:`), loaded before: its CreateCertificate is served on the xDS listener. */
    readonly ca?: CertificateAuthority;
    /** Checks Kubernetes service-account tokens for the CA. */
    readonly tokenReviewer?: TokenReviewer;
  } = {},
): DependencyContainer {
  const c = container.createChildContainer();
  const { config } = loaded;
  const rulesApiDirectory =
    config.rulesApi.directory === undefined
      ? undefined
      : path.resolve(loaded.baseDir, config.rulesApi.directory);
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
          meshTls: config.security.meshTls,
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
      const listen = {
        discovery: listenerConfig(config.listen.discovery),
        admin: listenerConfig(config.listen.admin),
        xds: listenerConfig(config.listen.xds),
      };
      const tls = (name: keyof typeof listen) => listenerTls(name, listen[name], loaded.baseDir, logger);
      // One authorizer (one metric) for both discovery listeners, on those that check nodes.
      const authorizer =
        nodeAuthorizationOn(config, 'discovery') || nodeAuthorizationOn(config, 'xds')
          ? new NodeAuthorizer(metrics.registry, logger.child({ component: 'node-authorization' }))
          : undefined;
      const xdsTls = tls('xds');
      const fleet = r.resolve(Fleet);
      const ca = options.ca;
      const tokenReviewer = options.tokenReviewer;
      const xds = createXdsServer(registry, renderer, metrics, logger, {
        limits: xdsLimits(config.limits.xds),
        fleet,
        ...(ca !== undefined && {
          services: [
            new CertificateService(ca, {
              logger,
              prometheus: metrics.registry,
              ...(tokenReviewer !== undefined && { tokenReviewer }),
            }),
          ],
        }),
        ...(xdsTls && { tls: xdsTls }),
        ...(nodeAuthorizationOn(config, 'xds') && authorizer && { authorizer }),
      });
      // On loopback, admin answers only requests for this machine's names (against DNS rebinding).
      const adminOnLoopback = isLoopbackHost(parseListenAddress(listen.admin.address).host);
      // One store for every admin server a reload may create: writes go one at a time.
      const storeAdapter = config.rulesApi.adapter;
      const ruleStore =
        rulesApiDirectory !== undefined
          ? new DirectoryRuleStore(rulesApiDirectory, () => r.resolve(RuleFiles).rescan())
          : storeAdapter !== undefined
            ? new AdapterRuleStore(storeAdapter, (name) => r.resolve(AdapterSet).ruleStore(name))
            : undefined;
      const tokenFile = config.admin.tokenFile;
      // Factories: a listener moved by a reload is a new server over the same state (each server
      // owns its certificate and token watchers, started and stopped with it).
      const admin = () => {
        const adminTls = tls('admin');
        const app = createAdminServer(
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
            ...(ruleStore !== undefined && { ruleStore }),
            ...(adminTls && { tls: adminTls }),
            ...(tokenFile !== undefined && {
              token: new AdminToken(path.resolve(loaded.baseDir, tokenFile), {
                logger: logger.child({ listener: 'admin' }),
              }),
            }),
          },
        );
        registerReloadRoutes(app, () => r.resolve(Reloader));
        return app;
      };
      const discovery = () => {
        const discoveryTls = tls('discovery');
        return createDiscoveryServer(
          registry,
          renderer,
          metrics,
          logger,
          httpLimits(config.limits.discovery),
          {
            fleet,
            ...(discoveryTls && { tls: discoveryTls }),
            ...(nodeAuthorizationOn(config, 'discovery') && authorizer && { authorizer }),
          },
        );
      };
      return [
        httpListener('discovery', discovery, listen.discovery.address),
        httpListener('admin', admin, listen.admin.address),
        xdsListener(xds, listen.xds.address),
      ];
    }),
  });
  c.register(AdapterSet, {
    useFactory: instanceCachingFactory(
      (r) => new AdapterSet(r.resolve(Registry), loaded.baseDir, env, logger, loaded.adapters),
    ),
  });
  c.register(Reloader, {
    useFactory: instanceCachingFactory(
      (r) =>
        new Reloader(loaded, {
          configFile: loaded.file,
          env,
          logger,
          logLevelFromCommandLine: options.logLevelFromCommandLine,
          registry: r.resolve(Registry),
          adapters: r.resolve(AdapterSet),
          ruleFiles: r.resolve(RuleFiles),
          listeners: r.resolve<Listener[]>(LISTENERS),
          metrics: new ReloadMetrics(r.resolve(ServerMetrics).registry),
        }),
    ),
  });
  c.register(RuleFiles, {
    useFactory: instanceCachingFactory((r) => {
      const registry = r.resolve(Registry);
      return new RuleFiles((file) => registry.ruleSink(file), {
        // The Rules API's directory is a rules source too (after the files), so writes arrive by its watch.
        patterns: config.rules,
        storeDirectories: rulesApiDirectory === undefined ? [] : [rulesApiDirectory],
        baseDir: loaded.baseDir,
        pollIntervalMs: RULES_POLL_INTERVAL_MS,
        sizeLimit: RULES_FILE_SIZE_LIMIT,
        read: readRuleDocuments,
        logger: logger.child({ component: 'rules' }),
      });
    }),
  });
  c.register(DnsResolver, {
    useFactory: instanceCachingFactory(
      (r) =>
        new DnsResolver(r.resolve(Registry).nameResolution(), {
          refreshMs: durationMs(config.dns.refresh),
          logger: logger.child({ component: 'dns' }),
        }),
    ),
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
