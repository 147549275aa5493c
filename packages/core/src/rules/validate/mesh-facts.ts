import type { Labels, Service, ServiceInstance } from '../../model';
import type { ParsedRule, ServiceEntryRule } from '../model';
import { hostCovers, isWildcardHost } from '../parse/names';

/** What the cross-resource checks need to know of the mesh besides the rules themselves. */
export interface MeshFacts {
  /** The service adapters report under this hostname (FQDN), or undefined when none does. */
  service(hostname: string): MeshService | undefined;
}

export interface MeshService {
  readonly ports: readonly { readonly name: string; readonly port: number }[];
  /**
   * The labels of its instances, when known: a subset that selects none of them is reported.
   * Absent: not checked (an empty list means the service has no instances).
   */
  readonly instanceLabels?: readonly Labels[];
}

/**
 * MeshFacts over a registry's services (and, for the empty-subset check, their instances), or
 * over what adapters report (`sextant validate` reads services files). A hostname given twice:
 * the first one's ports count, as the registry takes a service's attributes from the adapter
 * listed first.
 */
export function meshFactsOf(
  services: Iterable<Pick<Service, 'hostname' | 'ports'>>,
  instances?: Iterable<Pick<ServiceInstance, 'hostname'> & { readonly labels?: Labels }>,
): MeshFacts {
  const byHost = new Map<string, { ports: MeshService['ports']; instanceLabels?: Labels[] }>();
  for (const service of services) {
    if (byHost.has(service.hostname)) continue;
    byHost.set(service.hostname, {
      ports: service.ports.map((port) => ({ name: port.name, port: port.port })),
      ...(instances && { instanceLabels: [] }),
    });
  }
  for (const instance of instances ?? [])
    byHost.get(instance.hostname)?.instanceLabels?.push(instance.labels ?? {});
  return { service: (hostname) => byHost.get(hostname) };
}

/** A host a rule can route to: a registry service's or a ServiceEntry's. */
export interface KnownHost extends MeshService {
  /** `the registry`, or the ServiceEntry that adds it. */
  readonly from: string;
}

/** The hosts of the mesh and of the ServiceEntries among the rules, looked up as a route's destination is. */
export class HostIndex {
  private readonly entries = new Map<string, KnownHost>();
  private readonly wildcardEntries: { host: string; known: KnownHost }[] = [];

  constructor(
    private readonly mesh: MeshFacts,
    rules: readonly ParsedRule[],
  ) {
    for (const rule of rules) {
      if (rule.kind !== 'ServiceEntry') continue;
      const known = fromServiceEntry(rule);
      for (const host of rule.hosts) {
        if (isWildcardHost(host)) this.wildcardEntries.push({ host, known });
        else if (!this.entries.has(host)) this.entries.set(host, known);
      }
    }
  }

  lookup(host: string): KnownHost | undefined {
    const service = this.mesh.service(host);
    if (service) return { ...service, from: 'the registry' };
    const entry = this.entries.get(host);
    if (entry) return entry;
    return this.wildcardEntries.find((wildcard) => hostCovers(wildcard.host, host))?.known;
  }
}

function fromServiceEntry(rule: ServiceEntryRule): KnownHost {
  const from = `ServiceEntry ${rule.identity.namespace}/${rule.identity.name}`;
  const ports = rule.ports.map((port) => ({ name: port.name, port: port.number }));
  // Without endpoints (NONE, or DNS resolving the host itself) which instances exist is unknown.
  if (rule.endpoints.length === 0) return { ports, from };
  return { ports, instanceLabels: rule.endpoints.map((endpoint) => endpoint.labels), from };
}

/** Whether some instance carries every label of `selector`. */
export function selectsAny(selector: Labels, instances: readonly Labels[]): boolean {
  return instances.some((labels) => Object.entries(selector).every(([key, value]) => labels[key] === value));
}
