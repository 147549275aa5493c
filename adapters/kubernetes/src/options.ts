import { durationMs } from '@sextant/core';

/** A kubernetes adapter's entry in the daemon config, besides `name` and `type`. */
export interface KubernetesAdapterOptions {
  /**
   * A kubeconfig file (relative to the config file). Default: the in-cluster service account when
   * KUBERNETES_SERVICE_HOST is set, else $KUBECONFIG (its first file), else ~/.kube/config.
   */
  readonly kubeconfig?: string;
  /** The kubeconfig context to use. Default: the kubeconfig's current context. */
  readonly context?: string;
  /** Namespaces to watch. Default: all. */
  readonly namespaces?: readonly string[];
  /** DNS domain of the cluster: hostnames are `<service>.<namespace>.svc.<clusterDomain>`. Default `cluster.local`. */
  readonly clusterDomain?: string;
  /**
   * Names this cluster where several are configured: every instance carries it as the label
   * `topology.istio.io/cluster`, and logs and statuses name it. Default: the adapter's name.
   */
  readonly clusterName?: string;
  /** How often to relist everything as a safety net for lost events. Default `30m`; `0s` never. */
  readonly resyncPeriod?: string;
  /**
   * Traffic rules stored as custom resources (Istio's VirtualService, DestinationRule, ServiceEntry;
   * the legacy RouteRule, DestinationPolicy, EgressRule; the Gateway API's HTTPRoute).
   * Default `{ enabled: true }`.
   */
  readonly rules?: { readonly enabled?: boolean };
}

export const DEFAULT_CLUSTER_DOMAIN = 'cluster.local';
export const DEFAULT_RESYNC_PERIOD = '30m';

/** A relist of a large cluster is heavy for the API server: never more often than this. */
export const MIN_RESYNC_MS = 60_000;

const DNS_LABEL = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';
const DNS_NAME = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$';
/** A label value: `clusterName` is written into every instance's labels. */
const LABEL_VALUE = '^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$';

export const kubernetesAdapterOptionsSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  type: 'object',
  additionalProperties: false,
  properties: {
    kubeconfig: {
      type: 'string',
      minLength: 1,
      description:
        'A kubeconfig file, relative to the config file. Default: in-cluster when KUBERNETES_SERVICE_HOST is set, ' +
        'else $KUBECONFIG, else ~/.kube/config.',
    },
    context: {
      type: 'string',
      minLength: 1,
      description: "The kubeconfig context to use. Default: the kubeconfig's current context.",
    },
    namespaces: {
      type: 'array',
      minItems: 1,
      uniqueItems: true,
      items: {
        type: 'string',
        maxLength: 63,
        pattern: DNS_LABEL,
        patternDescription: 'a namespace name (lower-case letters, digits and "-")',
      },
      description: 'Namespaces to watch. Default: all.',
    },
    clusterDomain: {
      type: 'string',
      maxLength: 253,
      pattern: DNS_NAME,
      patternDescription: 'a DNS name (lower-case labels separated by ".")',
      default: DEFAULT_CLUSTER_DOMAIN,
      description: 'DNS domain of the cluster: hostnames are <service>.<namespace>.svc.<clusterDomain>.',
    },
    clusterName: {
      type: 'string',
      maxLength: 63,
      pattern: LABEL_VALUE,
      patternDescription: 'a label value (letters, digits, "-", "_" and "." between letters or digits)',
      description:
        'Names this cluster: the label topology.istio.io/cluster of every instance. Default: the adapter name.',
    },
    resyncPeriod: {
      type: 'string',
      format: 'duration',
      default: DEFAULT_RESYNC_PERIOD,
      description: `How often to relist everything as a safety net for lost events (at least 1m; 0s: never).`,
    },
    rules: {
      type: 'object',
      additionalProperties: false,
      properties: {
        enabled: {
          type: 'boolean',
          default: true,
          description:
            'Read traffic rules stored in the cluster as custom resources (VirtualService, DestinationRule, ' +
            'ServiceEntry, RouteRule, DestinationPolicy, EgressRule, HTTPRoute).',
        },
      },
      description: 'Traffic rules stored in the cluster as custom resources.',
    },
  },
} as const;

/** The relist period in milliseconds: 0 for never, else at least a minute. */
export function resyncPeriodMs(options: KubernetesAdapterOptions): number {
  const ms = durationMs(options.resyncPeriod ?? DEFAULT_RESYNC_PERIOD);
  return ms === 0 ? 0 : Math.max(MIN_RESYNC_MS, ms);
}
