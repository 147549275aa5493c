import { setMaxListeners } from 'node:events';
import type { Logger, RegistrySink } from '@sextant/core';
import type { KubeApiError } from './api-error';
import { ClusterState, type ClusterIdentity } from './cluster-state';
import type { KubeConnection } from './kube-connection';
import { Reflector, type ReflectorListener, type ReflectorTiming, type WatchedCollection } from './reflector';
import { ENDPOINT_SLICES, NODES, PODS, SERVICES, type ClusterKind } from './resource-kinds';
import { RuleCollection } from './rules/rule-collection';
import type { RuleKind } from './rules/rule-kinds';
import { RuleState } from './rules/rule-state';
import type { ServedVersions } from './rules/served-versions';
import { ServiceReporter } from './service-reporter';
import { SyncHealth } from './sync-health';

export interface ClusterWatchSettings extends ClusterIdentity {
  /** Namespaces to watch; all when absent. */
  readonly namespaces?: readonly string[];
  readonly timing: ReflectorTiming;
  readonly logger: Logger;
  /** The kinds of traffic rules to read, and where to note the versions found; none when absent. */
  readonly rules?: { readonly kinds: readonly RuleKind[]; readonly served: ServedVersions };
}

/**
 * One cluster mirrored into the sink: a reflector per kind (per namespace, when namespaces are
 * listed; Nodes are cluster-scoped) fills the cluster state, and a rule collection per kind of
 * traffic rule fills the rule state. Once every collection has listed (a rule kind whose CRD is
 * not installed counts as listed, with no rules), the whole state is reported at once, rules
 * included, then `ready`; after that, the services a change touched are re-reported, batched per
 * watch chunk, and only if what the model holds for them changed, and so are the kinds of rules
 * a change touched.
 */
export class ClusterWatch implements ReflectorListener {
  private readonly state: ClusterState;
  private readonly rules: RuleState;
  private readonly reporter: ServiceReporter;
  private readonly reflectors: readonly (WatchedCollection & { run(): Promise<void> })[];
  private readonly health: SyncHealth<WatchedCollection>;
  private readonly lastFailure = new Map<WatchedCollection, string>();
  private readonly startedAt = Date.now();
  private flushQueued = false;

  constructor(
    connection: KubeConnection,
    private readonly sink: RegistrySink,
    private readonly signal: AbortSignal,
    private readonly settings: ClusterWatchSettings,
  ) {
    this.state = new ClusterState(settings);
    const rules = settings.rules;
    this.rules = new RuleState(rules?.kinds ?? []);
    this.reporter = new ServiceReporter(this.state, sink);
    const scopes: (string | undefined)[] = settings.namespaces ? [...settings.namespaces] : [undefined];
    const reflector = <V>(kind: ClusterKind<V>, namespace: string | undefined) =>
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
    const ruleCollections = rules
      ? rules.kinds.flatMap((kind) =>
          scopes.map(
            (namespace) =>
              new RuleCollection(
                kind,
                namespace,
                connection,
                this.rules.storeOf(kind),
                rules.served,
                this,
                settings.timing,
                signal,
                settings.logger,
              ),
          ),
        )
      : [];
    this.reflectors = [
      ...scopes.map((namespace) => reflector(SERVICES, namespace)),
      ...scopes.map((namespace) => reflector(ENDPOINT_SLICES, namespace)),
      ...scopes.map((namespace) => reflector(PODS, namespace)),
      reflector(NODES, undefined),
      ...ruleCollections,
    ];
    // Each collection listens to the signal in its pending request, its sleep and its watch: more
    // than Node's default of 10 listeners, past which it warns of a leak that is not one.
    setMaxListeners(10 + 3 * this.reflectors.length, signal);
    this.health = new SyncHealth<WatchedCollection>(sink, this.reflectors, (r) => r.description);
  }

  /** Runs every reflector until the signal aborts; resolves when all have stopped. */
  async run(): Promise<void> {
    await Promise.all(this.reflectors.map((reflector) => reflector.run()));
  }

  changed(): void {
    // Events that arrive together (one chunk of a watch stream, one list) are reported together.
    if (this.flushQueued || !this.health.synced || !(this.state.hasDirty || this.rules.hasDirty)) return;
    this.flushQueued = true;
    queueMicrotask(() => {
      this.flushQueued = false;
      if (this.signal.aborted) return;
      this.reporter.reportChanges();
      this.rules.reportChanges(this.sink);
    });
  }

  listed(reflector: WatchedCollection): void {
    if (this.signal.aborted) return;
    const wasSynced = this.health.synced;
    this.health.listed(reflector);
    if (!wasSynced && this.health.synced) {
      const { services, instances } = this.reporter.reportAll();
      const rules = this.rules.reportAll(this.sink);
      this.settings.logger.info(
        {
          services,
          instances,
          rules,
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
