import type { Logger, RegistrySink } from '@sextant/core';
import type { KubeApiError } from './api-error';
import { ClusterState, type ClusterIdentity } from './cluster-state';
import type { KubeConnection } from './kube-connection';
import { Reflector, type ReflectorListener, type ReflectorTiming, type WatchedCollection } from './reflector';
import { ENDPOINT_SLICES, NODES, PODS, SERVICES, type ResourceKind } from './resource-kinds';
import { ServiceReporter } from './service-reporter';
import { SyncHealth } from './sync-health';

export interface ClusterWatchSettings extends ClusterIdentity {
  /** Namespaces to watch; all when absent. */
  readonly namespaces?: readonly string[];
  readonly timing: ReflectorTiming;
  readonly logger: Logger;
}

/**
 * One cluster mirrored into the sink: a reflector per kind (per namespace, when namespaces are
 * listed; Nodes are cluster-scoped) fills the cluster state. Once every reflector has listed, the
 * whole state is reported at once, then `ready`; after that, the services a change touched are
 * re-reported, batched per watch chunk, and only if what the model holds for them changed.
 */
export class ClusterWatch implements ReflectorListener {
  private readonly state: ClusterState;
  private readonly reporter: ServiceReporter;
  private readonly reflectors: readonly (WatchedCollection & { run(): Promise<void> })[];
  private readonly health: SyncHealth<WatchedCollection>;
  private readonly lastFailure = new Map<WatchedCollection, string>();
  private readonly startedAt = Date.now();
  private flushQueued = false;

  constructor(
    connection: KubeConnection,
    sink: RegistrySink,
    private readonly signal: AbortSignal,
    private readonly settings: ClusterWatchSettings,
  ) {
    this.state = new ClusterState(settings);
    this.reporter = new ServiceReporter(this.state, sink);
    const scopes: (string | undefined)[] = settings.namespaces ? [...settings.namespaces] : [undefined];
    const reflector = <V>(kind: ResourceKind<V>, namespace: string | undefined) =>
      new Reflector(
        kind,
        namespace,
        connection,
        kind.store(this.state),
        this,
        settings.timing,
        signal,
        settings.logger,
      );
    this.reflectors = [
      ...scopes.map((namespace) => reflector(SERVICES, namespace)),
      ...scopes.map((namespace) => reflector(ENDPOINT_SLICES, namespace)),
      ...scopes.map((namespace) => reflector(PODS, namespace)),
      reflector(NODES, undefined),
    ];
    this.health = new SyncHealth<WatchedCollection>(sink, this.reflectors, (r) => r.description);
  }

  /** Runs every reflector until the signal aborts; resolves when all have stopped. */
  async run(): Promise<void> {
    await Promise.all(this.reflectors.map((reflector) => reflector.run()));
  }

  changed(): void {
    // Events that arrive together (one chunk of a watch stream, one list) are reported together.
    if (this.flushQueued || !this.health.synced || !this.state.hasDirty) return;
    this.flushQueued = true;
    queueMicrotask(() => {
      this.flushQueued = false;
      if (!this.signal.aborted) this.reporter.reportChanges();
    });
  }

  listed(reflector: WatchedCollection): void {
    if (this.signal.aborted) return;
    const wasSynced = this.health.synced;
    this.health.listed(reflector);
    if (!wasSynced && this.health.synced) {
      const { services, instances } = this.reporter.reportAll();
      this.settings.logger.info(
        {
          services,
          instances,
          externalNameSkipped: this.state.externalNameCount(),
          ms: Date.now() - this.startedAt,
        },
        'first sync complete',
      );
    }
    this.health.publish(true);
  }

  recovered(reflector: WatchedCollection): void {
    if (this.signal.aborted) return;
    if (this.lastFailure.delete(reflector)) {
      this.settings.logger.info({ resource: reflector.description }, 'watching again');
    }
    this.health.recovered(reflector);
    this.health.publish();
  }

  failed(reflector: WatchedCollection, error: KubeApiError): void {
    if (this.signal.aborted) return;
    // Each distinct failure is logged once, not on every retry.
    if (this.lastFailure.get(reflector) !== error.message) {
      this.lastFailure.set(reflector, error.message);
      this.settings.logger.warn(
        { resource: reflector.description, code: error.code, reason: error.reason, message: error.message },
        this.health.synced
          ? 'watching failed; keeping the last state and retrying'
          : 'listing failed; retrying',
      );
    }
    this.health.failed(reflector, error.message);
    this.health.publish();
  }
}
