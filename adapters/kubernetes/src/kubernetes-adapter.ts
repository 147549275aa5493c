import { Backoff, Redactor, sleep } from '@sextant/adapter-kit';
import type { Adapter, Logger, RegistrySink, RuleStore } from '@sextant/core';
import { ClusterWatch } from './cluster-watch';
import { describeSource, type SourceChoice } from './config-source';
import { KubeConfigError, KubeConnection } from './kube-connection';
import type { ReflectorTiming } from './reflector';
import { KubeRuleStore, type RuleStoreLink } from './rules/kube-rule-store';
import { RULE_KINDS } from './rules/rule-kinds';
import { ServedVersions } from './rules/served-versions';

export interface KubernetesAdapterSettings {
  /** Where the API server and credentials come from, or why the options cannot say. */
  readonly source: SourceChoice;
  /** Namespaces to watch; all when absent. */
  readonly namespaces?: readonly string[];
  readonly clusterDomain: string;
  readonly clusterName: string;
  /** Read traffic rules from custom resources (and offer a rule store). */
  readonly readRules: boolean;
  readonly timing: ReflectorTiming;
  readonly logger: Logger;
}

/**
 * `type: kubernetes`: the Services of one cluster, with their EndpointSlices' endpoints labelled
 * from their Pods and located by their Nodes. It loads its kubeconfig (or service account), then
 * mirrors the cluster until the signal aborts. A configuration that cannot be loaded keeps it
 * `syncing` with the reason, retried with backoff; API faults keep the last state, `degraded`.
 * Unless told not to, it reads the traffic rules the cluster stores as custom resources too, and
 * offers the cluster to the Rules API as the store to write them to.
 */
export class KubernetesAdapter implements Adapter {
  readonly ruleStore?: RuleStore;
  private readonly served = new ServedVersions();
  /** The running adapter's connection, for the rule store. */
  private readonly link: RuleStoreLink = {};

  constructor(private readonly settings: KubernetesAdapterSettings) {
    if (settings.readRules) {
      this.ruleStore = new KubeRuleStore(
        `the custom resources of Kubernetes cluster ${settings.clusterName}`,
        RULE_KINDS,
        settings.namespaces,
        this.served,
        this.link,
      );
    }
  }

  async run(platformSink: RegistrySink, signal: AbortSignal): Promise<void> {
    // Everything the adapter shows or logs goes through the redactor: the API server (or a proxy
    // in front of it) may echo a credential in an error, and the error is passed on as it came.
    const redactor = new Redactor();
    const sink = redactor.sink(platformSink);
    const logger = redactor.logger(this.settings.logger);
    const connection = await this.connect(sink, logger, redactor, signal);
    if (!connection) return;
    const { namespaces, clusterName } = this.settings;
    logger.info(
      {
        server: connection.server,
        source: describeSource(connection.source),
        namespaces: namespaces ?? 'all',
        cluster: clusterName,
        rules: this.settings.readRules,
      },
      'watching Kubernetes',
    );
    this.link.connection = connection;
    this.link.redactor = redactor;
    try {
      await new ClusterWatch(connection, sink, signal, {
        ...this.settings,
        logger,
        ...(this.settings.readRules && { rules: { kinds: RULE_KINDS, served: this.served } }),
      }).run();
    } finally {
      this.link.connection = undefined;
    }
  }

  /** Loads the configuration, retrying with backoff while it cannot be loaded (a kubeconfig not mounted yet). */
  private async connect(
    sink: RegistrySink,
    logger: Logger,
    redactor: Redactor,
    signal: AbortSignal,
  ): Promise<KubeConnection | undefined> {
    const { initialMs, maxMs } = this.settings.timing.backoff;
    const backoff = new Backoff(initialMs, maxMs);
    let lastMessage: string | undefined;
    while (!signal.aborted) {
      const message = this.tryConnect(redactor);
      if (typeof message !== 'string') return message;
      if (message !== lastMessage) {
        lastMessage = message;
        logger.error({ message }, 'cannot use the Kubernetes configuration; retrying');
        sink.setStatus('syncing', message);
      }
      await sleep(backoff.next(), signal);
    }
    return undefined;
  }

  /** A loaded connection, or why there is none, naming the option to fix. */
  private tryConnect(redactor: Redactor): KubeConnection | string {
    const choice = this.settings.source;
    if (!choice.valid) return `${choice.problem.path}: ${choice.problem.message}`;
    const connection = new KubeConnection(choice.source, redactor);
    try {
      connection.ensureLoaded();
      return connection;
    } catch (error) {
      if (error instanceof KubeConfigError)
        return error.option ? `${error.option}: ${error.message}` : error.message;
      return (error as Error).message;
    }
  }
}
