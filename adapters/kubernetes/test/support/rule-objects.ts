import { RULE_CRDS, type KubeObject } from '@sextant/testkit/kubernetes';

/** A custom resource as `kubectl apply` would create it: apiVersion, kind, name, namespace, spec. */
export function customResource(
  apiVersion: string,
  kind: string,
  namespace: string,
  name: string,
  spec: unknown,
  metadata: Record<string, unknown> = {},
): KubeObject {
  return { apiVersion, kind, metadata: { name, namespace, ...metadata }, spec };
}

/** A VirtualService sending every request for `host` to `subset` of it. */
export function virtualService(
  namespace: string,
  name: string,
  host: string,
  subset = 'v1',
  apiVersion = 'networking.istio.io/v1',
): KubeObject {
  return customResource(apiVersion, 'VirtualService', namespace, name, {
    hosts: [host],
    http: [{ route: [{ destination: { host, subset } }] }],
  });
}

/** Istio's three networking CRDs, serving `versions` (all three by default). */
export const ISTIO_NETWORKING = [
  RULE_CRDS.virtualServices,
  RULE_CRDS.destinationRules,
  RULE_CRDS.serviceEntries,
];
