import type { KubeObject } from './object-store';
import type { ResourceType } from './resource-types';

/** A CustomResourceDefinition as a test installs it: what it names, and which versions it serves. */
export interface CustomResourceDefinition {
  readonly group: string;
  readonly kind: string;
  /** The plural resource name, as in URLs and RBAC (`virtualservices`). */
  readonly plural: string;
  /** Versions served, the storage version first (`['v1', 'v1beta1', 'v1alpha3']`). */
  readonly versions: readonly string[];
  /** Default true (every rule kind is namespaced). */
  readonly namespaced?: boolean;
}

/** `virtualservices.networking.istio.io`: the CRD's own name. */
export function crdName(definition: Pick<CustomResourceDefinition, 'group' | 'plural'>): string {
  return `${definition.plural}.${definition.group}`;
}

interface Installed {
  readonly type: ResourceType;
  served: readonly string[];
  installed: boolean;
}

/**
 * The CRDs installed in the fake. A resource is served only while its CRD is installed, and only
 * at the versions it serves: any other path is a 404, as on a cluster without the CRD. A type
 * keeps its identity across uninstall and reinstall (the object store is keyed by it).
 */
export class CustomResourceTypes {
  private readonly byName = new Map<string, Installed>();

  /** Installs a CRD, or changes the versions an installed one serves; returns its type. */
  install(definition: CustomResourceDefinition): ResourceType {
    const [storage] = definition.versions;
    if (storage === undefined) throw new Error(`CRD ${crdName(definition)} must serve a version`);
    const name = crdName(definition);
    const known = this.byName.get(name);
    if (known && known.type.kind !== definition.kind) {
      throw new Error(`CRD ${name} is of kind ${known.type.kind}, not ${definition.kind}`);
    }
    const entry: Installed = known ?? {
      type: {
        resource: definition.plural,
        kind: definition.kind,
        group: definition.group,
        version: storage,
        namespaced: definition.namespaced ?? true,
        // An unstructured object's zero value is its kind, apiVersion and metadata alone.
        bookmarkFields: {},
        custom: true,
      },
      served: [],
      installed: false,
    };
    entry.served = [...definition.versions];
    entry.installed = true;
    this.byName.set(name, entry);
    return entry.type;
  }

  /** Marks a CRD uninstalled; returns its type, or undefined when it was not installed. */
  uninstall(name: string): ResourceType | undefined {
    const entry = this.byName.get(name);
    if (!entry?.installed) return undefined;
    entry.installed = false;
    return entry.type;
  }

  /** The installed type served at this group, version and plural. */
  lookup(group: string, version: string, resource: string): ResourceType | undefined {
    const entry = this.byName.get(`${resource}.${group}`);
    return entry?.installed && entry.served.includes(version) ? entry.type : undefined;
  }

  /** The installed type of a kind. */
  typeOfKind(kind: string): ResourceType | undefined {
    for (const entry of this.byName.values())
      if (entry.installed && entry.type.kind === kind) return entry.type;
    return undefined;
  }

  /** The installed type of an object (by its `apiVersion` and `kind`), at a version its CRD serves. */
  typeOfObject(object: KubeObject): ResourceType | undefined {
    const slash = object.apiVersion?.lastIndexOf('/') ?? -1;
    if (slash < 0 || object.apiVersion === undefined) return undefined;
    const group = object.apiVersion.slice(0, slash);
    const version = object.apiVersion.slice(slash + 1);
    for (const entry of this.byName.values()) {
      if (entry.installed && entry.type.group === group && entry.type.kind === object.kind) {
        return entry.served.includes(version) ? entry.type : undefined;
      }
    }
    return undefined;
  }
}

/** The CRDs of Istio's networking API, the legacy config.istio.io rules, and the Gateway API's HTTPRoute. */
export const RULE_CRDS = {
  virtualServices: {
    group: 'networking.istio.io',
    kind: 'VirtualService',
    plural: 'virtualservices',
    versions: ['v1', 'v1beta1', 'v1alpha3'],
  },
  destinationRules: {
    group: 'networking.istio.io',
    kind: 'DestinationRule',
    plural: 'destinationrules',
    versions: ['v1', 'v1beta1', 'v1alpha3'],
  },
  serviceEntries: {
    group: 'networking.istio.io',
    kind: 'ServiceEntry',
    plural: 'serviceentries',
    versions: ['v1', 'v1beta1', 'v1alpha3'],
  },
  routeRules: { group: 'config.istio.io', kind: 'RouteRule', plural: 'routerules', versions: ['v1alpha2'] },
  destinationPolicies: {
    group: 'config.istio.io',
    kind: 'DestinationPolicy',
    plural: 'destinationpolicies',
    versions: ['v1alpha2'],
  },
  egressRules: {
    group: 'config.istio.io',
    kind: 'EgressRule',
    plural: 'egressrules',
    versions: ['v1alpha2'],
  },
  httpRoutes: {
    group: 'gateway.networking.k8s.io',
    kind: 'HTTPRoute',
    plural: 'httproutes',
    versions: ['v1', 'v1beta1'],
  },
} as const satisfies Record<string, CustomResourceDefinition>;
