import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import type { AdapterContext, Problem } from '@sextant/core';
import type { KubernetesAdapterOptions } from './options';

/** Where the adapter finds the API server and its credentials. */
export type ConfigSource =
  | {
      readonly kind: 'kubeconfig';
      readonly file: string;
      readonly context?: string;
      /** Which option or variable chose the file, for messages (`kubeconfig`, `$KUBECONFIG`, `~/.kube/config`). */
      readonly chosenBy: string;
    }
  | {
      readonly kind: 'in-cluster';
      /**
       * Prefix of `/var/run/secrets/kubernetes.io/serviceaccount` (empty in a pod; tests point it at a
       * temporary directory).
       */
      readonly pathPrefix: string;
      readonly host: string;
      readonly port: string;
    };

export type SourceChoice =
  | { readonly valid: true; readonly source: ConfigSource }
  | { readonly valid: false; readonly problem: Problem };

/**
 * Chooses the source as kubectl and client-go do, in this order: the `kubeconfig` option; the
 * pod's service account when KUBERNETES_SERVICE_HOST is set; the first file of $KUBECONFIG;
 * ~/.kube/config. `context` applies to kubeconfig files only.
 */
export function chooseConfigSource(
  options: KubernetesAdapterOptions,
  context: Pick<AdapterContext, 'env' | 'resolvePath'>,
  inClusterPathPrefix = '',
): SourceChoice {
  const env = context.env;
  const kubeconfig = (file: string, chosenBy: string): SourceChoice => ({
    valid: true,
    source: {
      kind: 'kubeconfig',
      file,
      chosenBy,
      ...(options.context !== undefined && { context: options.context }),
    },
  });
  if (options.kubeconfig !== undefined)
    return kubeconfig(context.resolvePath(options.kubeconfig), 'kubeconfig');
  const host = env.KUBERNETES_SERVICE_HOST;
  if (host !== undefined && host !== '') {
    if (options.context !== undefined) {
      return {
        valid: false,
        problem: {
          path: 'context',
          message:
            'applies to a kubeconfig file, but the adapter runs in-cluster (KUBERNETES_SERVICE_HOST is set) ' +
            'and uses its service account: set "kubeconfig" too, or remove "context"',
        },
      };
    }
    return {
      valid: true,
      source: {
        kind: 'in-cluster',
        pathPrefix: inClusterPathPrefix,
        host,
        port: env.KUBERNETES_SERVICE_PORT ?? '443',
      },
    };
  }
  const first = env.KUBECONFIG?.split(delimiter).find((file) => file !== '');
  if (first !== undefined) return kubeconfig(first, '$KUBECONFIG');
  return kubeconfig(join(env.HOME ?? homedir(), '.kube', 'config'), '~/.kube/config');
}

/** `kubeconfig /etc/k8s/east.yaml (context east)`, `in-cluster service account`: for logs and messages. */
export function describeSource(source: ConfigSource): string {
  if (source.kind === 'in-cluster') return 'the in-cluster service account';
  const context = source.context === undefined ? '' : ` (context ${source.context})`;
  return `kubeconfig ${source.file}${context}`;
}
