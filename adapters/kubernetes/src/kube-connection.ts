import { accessSync, constants } from 'node:fs';
import { isIPv6 } from 'node:net';
import {
  AuthenticationV1Api,
  CoreV1Api,
  createConfiguration,
  CustomObjectsApi,
  DiscoveryV1Api,
  KubeConfig,
  ServerConfiguration,
  type Configuration,
  type HttpLibrary,
} from '@kubernetes/client-node';
import type { Redactor } from '@sextant/adapter-kit';
import type { ConfigSource } from './config-source';
import { rememberKubeConfigCredentials } from './credentials';
import { noRedirectHttpLibrary } from './no-redirect-http';

const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/** A kubeconfig (or service account) that cannot be used; `option` names what to fix. */
export class KubeConfigError extends Error {
  override readonly name = 'KubeConfigError';
  constructor(
    readonly option: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The adapter's link to one API server, through client-node: its KubeConfig (kubeconfig files,
 * contexts, client certificates, exec and auth-provider plugins, the in-cluster service account
 * and its rotating token) and the typed API clients made from it. `refreshCredentials` reloads it
 * all from the source, which re-reads token files and re-runs exec plugins: the answer to a 401.
 * Its clients follow no redirect, and every credential it loads or sends is told to `redactor`.
 */
export class KubeConnection {
  private loaded:
    | {
        config: KubeConfig;
        core: CoreV1Api;
        discovery: DiscoveryV1Api;
        custom: CustomObjectsApi;
        authentication: AuthenticationV1Api;
      }
    | undefined;
  /** Increments on every (re)load, so concurrent 401s reload once. */
  private generationCount = 0;
  private readonly http: HttpLibrary;

  constructor(
    readonly source: ConfigSource,
    /** Learns every credential this connection loads or sends. */
    readonly redactor: Redactor,
  ) {
    this.http = noRedirectHttpLibrary(redactor);
  }

  /** Loads the configuration if it is not loaded yet; throws KubeConfigError. */
  ensureLoaded(): void {
    if (this.loaded) return;
    const config = loadKubeConfig(this.source);
    rememberKubeConfigCredentials(config, this.redactor);
    // client-node's makeApiClient, with the HTTP library that follows no redirect.
    const configuration: Configuration = createConfiguration({
      baseServer: new ServerConfiguration(config.getCurrentCluster()?.server ?? '', {}),
      authMethods: { default: config },
      httpApi: this.http,
    });
    this.loaded = {
      config,
      core: new CoreV1Api(configuration),
      discovery: new DiscoveryV1Api(configuration),
      custom: new CustomObjectsApi(configuration),
      authentication: new AuthenticationV1Api(configuration),
    };
    this.generationCount += 1;
  }

  get generation(): number {
    return this.generationCount;
  }

  get config(): KubeConfig {
    return this.current().config;
  }

  get core(): CoreV1Api {
    return this.current().core;
  }

  get discovery(): DiscoveryV1Api {
    return this.current().discovery;
  }

  /** Custom resources (traffic rules). */
  get custom(): CustomObjectsApi {
    return this.current().custom;
  }

  /** TokenReview (the mesh CA checks service-account tokens with it). */
  get authentication(): AuthenticationV1Api {
    return this.current().authentication;
  }

  /** The API server's URL. */
  get server(): string {
    return this.config.getCurrentCluster()?.server ?? '';
  }

  /**
   * Reloads credentials after a 401 seen by a request made with `generation`; a request that
   * failed with an older generation finds them reloaded already.
   */
  refreshCredentials(generation: number): void {
    if (generation !== this.generationCount) return;
    const previous = this.loaded;
    this.loaded = undefined;
    try {
      this.ensureLoaded();
    } catch (error) {
      // Keep what worked before: a token file being rewritten may be briefly unreadable.
      this.loaded = previous;
      throw error;
    }
  }

  private current(): NonNullable<KubeConnection['loaded']> {
    this.ensureLoaded();
    return this.loaded as NonNullable<KubeConnection['loaded']>;
  }
}

/** Builds a KubeConfig from the source, checking what client-node would only fail on at the first request. */
export function loadKubeConfig(source: ConfigSource): KubeConfig {
  const config = new KubeConfig();
  if (source.kind === 'in-cluster') {
    // What client-node's loadFromCluster builds, from the adapter's environment rather than the
    // process's (so it can be tested), and always over HTTPS, as client-go's InClusterConfig.
    const host = isIPv6(source.host) ? `[${source.host}]` : source.host;
    const dir = `${source.pathPrefix}${SERVICE_ACCOUNT_DIR}`;
    for (const file of [`${dir}/token`, `${dir}/ca.crt`]) {
      try {
        accessSync(file, constants.R_OK);
      } catch (error) {
        throw new KubeConfigError('', `running in-cluster, but cannot read ${file}: ${reason(error)}`);
      }
    }
    config.loadFromOptions({
      clusters: [
        {
          name: 'in-cluster',
          server: `https://${host}:${source.port}`,
          caFile: `${dir}/ca.crt`,
          skipTLSVerify: false,
        },
      ],
      users: [
        {
          name: 'service-account',
          authProvider: { name: 'tokenFile', config: { tokenFile: `${dir}/token` } },
        },
      ],
      contexts: [{ name: 'in-cluster', cluster: 'in-cluster', user: 'service-account' }],
      currentContext: 'in-cluster',
    });
    return config;
  }
  const option = source.chosenBy === 'kubeconfig' ? 'kubeconfig' : '';
  try {
    config.loadFromFile(source.file);
  } catch (error) {
    throw new KubeConfigError(
      option,
      `cannot load ${source.file} (from ${source.chosenBy}): ${reason(error)}`,
    );
  }
  if (source.context !== undefined) {
    if (!config.getContextObject(source.context)) {
      const known = config.getContexts().map((c) => c.name);
      throw new KubeConfigError(
        'context',
        `no context "${source.context}" in ${source.file}` +
          (known.length > 0 ? ` (it has: ${known.join(', ')})` : ' (it has none)'),
      );
    }
    config.setCurrentContext(source.context);
  }
  const contextName = config.getCurrentContext();
  if (!contextName || !config.getContextObject(contextName)) {
    throw new KubeConfigError(
      source.context === undefined ? option : 'context',
      `${source.file} names no current context: set "context" to one of ${config
        .getContexts()
        .map((c) => c.name)
        .join(', ')}`,
    );
  }
  if (!config.getCurrentCluster()) {
    throw new KubeConfigError(
      option,
      `context "${contextName}" in ${source.file} names a cluster the file does not define`,
    );
  }
  return config;
}

function reason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException)?.code;
  if (code === 'ENOENT') return 'it does not exist';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'it is a directory';
  // js-yaml's message quotes the lines around the error, which in a kubeconfig hold tokens and
  // keys: say what and where, and leave the file's text out.
  const yaml = error as { name?: unknown; reason?: unknown; mark?: { line?: unknown; column?: unknown } };
  if (yaml?.name === 'YAMLException' && typeof yaml.reason === 'string') {
    const { line, column } = yaml.mark ?? {};
    const where =
      typeof line === 'number' && typeof column === 'number'
        ? ` at line ${line + 1}, column ${column + 1}`
        : '';
    return `not valid YAML: ${yaml.reason}${where}`;
  }
  return (error as Error)?.message ?? String(error);
}
