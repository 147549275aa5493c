import type { AdapterContext, AdapterFactory, Problem } from '@sextant/core';
import { chooseConfigSource } from './config-source';
import { KubeConfigError, loadKubeConfig } from './kube-connection';
import { KubernetesAdapter } from './kubernetes-adapter';
import {
  DEFAULT_CLUSTER_DOMAIN,
  kubernetesAdapterOptionsSchema,
  resyncPeriodMs,
  type KubernetesAdapterOptions,
} from './options';
import { DEFAULT_TIMING, type ReflectorTiming } from './reflector';

/** What tests may change that users cannot: timings, and where the in-cluster files are. */
export interface AdapterInternals {
  readonly timing?: Partial<ReflectorTiming>;
  /** Prefix of /var/run/secrets/kubernetes.io/serviceaccount. */
  readonly inClusterPathPrefix?: string;
}

export function createKubernetesAdapter(
  options: KubernetesAdapterOptions,
  context: AdapterContext,
  internals: AdapterInternals = {},
): KubernetesAdapter {
  const clusterName = options.clusterName ?? context.name;
  return new KubernetesAdapter({
    source: chooseConfigSource(options, context, internals.inClusterPathPrefix),
    ...(options.namespaces && { namespaces: options.namespaces }),
    clusterDomain: options.clusterDomain ?? DEFAULT_CLUSTER_DOMAIN,
    clusterName,
    readRules: options.rules?.enabled ?? true,
    timing: { ...DEFAULT_TIMING, resyncMs: resyncPeriodMs(options), ...internals.timing },
    logger: context.logger.child({ cluster: clusterName }),
  });
}

/**
 * `type: kubernetes`: Services, EndpointSlices, Pods and Nodes of a cluster, watched through the
 * API server (client-node), as services and instances; and the traffic rules stored in it as
 * custom resources, which it also offers the Rules API as a store.
 */
export const adapter: AdapterFactory<KubernetesAdapterOptions> = {
  apiVersion: 1,
  type: 'kubernetes',
  optionsSchema: kubernetesAdapterOptionsSchema,
  create: (options, context) => createKubernetesAdapter(options, context),
  /** `sextant validate`: the kubeconfig (or service account) loads and names a usable context. */
  async check(options, context): Promise<readonly Problem[]> {
    const choice = chooseConfigSource(options, context);
    if (!choice.valid) return [choice.problem];
    try {
      loadKubeConfig(choice.source);
      return [];
    } catch (error) {
      if (error instanceof KubeConfigError) return [{ path: error.option, message: error.message }];
      return [{ path: '', message: (error as Error).message }];
    }
  },
};
