import type { AdapterContext, AdapterFactory } from '@sextant/core';

/** One endpoint of a platform service: where an instance listens. */
export interface ConformanceInstance {
  readonly address: string;
  readonly port: number;
}

/**
 * A service as the suite asks a platform to hold it: a name the platform understands (a DNS
 * label such as `alpha`) and its instances, all healthy, at least one. The platform decides
 * everything else (port names, protocols, namespaces).
 */
export interface ConformanceService {
  readonly name: string;
  readonly instances: readonly ConformanceInstance[];
}

/**
 * The platform side of a conformance run: a real or fake platform the suite can change and
 * break. A fresh one is started for every check.
 */
export interface ConformancePlatform<O> {
  /** Options for the adapter, pointing at this platform, as a user would write them in the config. */
  options(): O;
  /** The hostname the adapter reports for the platform service `name`. */
  hostname(name: string): string;
  /**
   * Makes the platform hold exactly these services (besides any it always has, such as Consul's own
   * `consul` service, which the suite ignores). Resolves once the change is visible to clients.
   * While the platform is broken, the change takes effect at `repairPlatform`.
   */
  setServices(services: readonly ConformanceService[]): Promise<void>;
  /** Makes the platform fail for the adapter (down, erroring, invalid) until repaired. */
  breakPlatform(): Promise<void>;
  /** Undoes `breakPlatform`: the platform serves the services last set. */
  repairPlatform(): Promise<void>;
  /** Stops the platform and releases everything it holds. */
  close(): Promise<void>;
}

/** An adapter under test, and how to start platforms for it. */
export interface ConformanceSubject<O> {
  /** Names the describe block (`"consul"`). */
  readonly name: string;
  readonly factory: AdapterFactory<O>;
  /** Starts a fresh platform; called once per check. */
  start(): Promise<ConformancePlatform<O>>;
  /** Parts of the context the adapter gets (defaults: name `conformance`, silent logger, cwd, empty env). */
  readonly context?: Partial<AdapterContext>;
  /** How long a platform change may take to show in the registry. Default 5000 ms. */
  readonly timeoutMs?: number;
  /** How long the suite watches for something that must not happen (a report after abort). Default 500 ms. */
  readonly quietMs?: number;
}
