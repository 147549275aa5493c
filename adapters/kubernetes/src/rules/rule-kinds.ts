/**
 * A kind of traffic rule the cluster may store as a custom resource: where its CRD serves it, and
 * the versions to try, newest first (Istio < 1.22 serves only v1beta1 and v1alpha3 of its
 * networking API; the JSON is the same at every version).
 */
export interface RuleKind {
  readonly group: string;
  readonly kind: string;
  /** The plural resource name, as in URLs and RBAC. */
  readonly plural: string;
  readonly versions: readonly string[];
}

const ISTIO_VERSIONS = ['v1', 'v1beta1', 'v1alpha3'];

export const RULE_KINDS: readonly RuleKind[] = [
  {
    group: 'networking.istio.io',
    kind: 'VirtualService',
    plural: 'virtualservices',
    versions: ISTIO_VERSIONS,
  },
  {
    group: 'networking.istio.io',
    kind: 'DestinationRule',
    plural: 'destinationrules',
    versions: ISTIO_VERSIONS,
  },
  { group: 'networking.istio.io', kind: 'ServiceEntry', plural: 'serviceentries', versions: ISTIO_VERSIONS },
  // Pilot's legacy rules (Istio 0.2–0.7), only ever served at v1alpha2.
  { group: 'config.istio.io', kind: 'RouteRule', plural: 'routerules', versions: ['v1alpha2'] },
  {
    group: 'config.istio.io',
    kind: 'DestinationPolicy',
    plural: 'destinationpolicies',
    versions: ['v1alpha2'],
  },
  { group: 'config.istio.io', kind: 'EgressRule', plural: 'egressrules', versions: ['v1alpha2'] },
  // Gateway API routes attached to Services (GAMMA); reported as they are, core converts them.
  { group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', plural: 'httproutes', versions: ['v1'] },
];

/** `virtualservices.networking.istio.io`: the CRD's name, RBAC's, and the sink origin of the kind's rules. */
export function qualifiedName(kind: RuleKind): string {
  return `${kind.plural}.${kind.group}`;
}

/** `/apis/networking.istio.io/v1/namespaces/web/virtualservices` (cluster-wide without a namespace). */
export function collectionPath(kind: RuleKind, version: string, namespace?: string): string {
  const scope = namespace === undefined ? '' : `/namespaces/${encodeURIComponent(namespace)}`;
  return `/apis/${kind.group}/${version}${scope}/${kind.plural}`;
}

/** `kubernetes:VirtualService web/reviews`: where a rule came from, in every message about it. */
export function ruleSource(kind: string, namespace: string, name: string): string {
  return `kubernetes:${kind} ${namespace}/${name}`;
}
