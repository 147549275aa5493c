import type { FieldPath } from '../../schema/path';
import type { Labels } from '../../model';
import type { Destination, DestinationRuleRule, ParsedRule, Subset, VirtualServiceRule } from '../model';
import { hostCovers, isWildcardHost } from '../parse/names';
import type { Finding } from './finding';
import { selectsAny, type HostIndex } from './mesh-facts';

/** The subsets the DestinationRules among the rules define, by the host each names. */
export class SubsetIndex {
  private readonly exact = new Map<string, DestinationRuleRule[]>();
  private readonly wildcards: DestinationRuleRule[] = [];

  constructor(rules: readonly ParsedRule[]) {
    const ordered = rules
      .filter((rule): rule is DestinationRuleRule => rule.kind === 'DestinationRule')
      .sort(byNamespaceAndName);
    for (const rule of ordered) {
      if (isWildcardHost(rule.host)) this.wildcards.push(rule);
      else this.exact.set(rule.host, [...(this.exact.get(rule.host) ?? []), rule]);
    }
  }

  /** The subsets defined for `host` (by DestinationRules naming it, or a wildcard covering it), first definition first. */
  subsetsOf(host: string): { subset: Subset; rule: DestinationRuleRule }[] {
    const rules = [
      ...(this.exact.get(host) ?? []),
      ...this.wildcards.filter((rule) => hostCovers(rule.host, host)),
    ];
    return rules.flatMap((rule) => rule.subsets.map((subset) => ({ subset, rule })));
  }
}

export function byNamespaceAndName(a: ParsedRule, b: ParsedRule): number {
  const left = `${a.identity.namespace}/${a.identity.name}`;
  const right = `${b.identity.namespace}/${b.identity.name}`;
  return left < right ? -1 : left > right ? 1 : 0;
}

/** A destination a VirtualService names, with where. */
interface Reference {
  readonly destination: Destination;
  readonly origin: string;
  /** Where host, subset and port are written under `origin`. */
  readonly fields: { readonly host: FieldPath; readonly subset: FieldPath; readonly port: FieldPath };
  /** It receives traffic (a weight above 0, or a mirror): an empty subset matters. */
  readonly carriesTraffic: boolean;
}

/**
 * Every destination (routes, TCP routes, mirrors) of a VirtualService checked against the mesh:
 * its host exists (a registry service or a ServiceEntry), its subset is defined for that host,
 * its port exists and is given when the host has several (unless the request's own port carries
 * over), and a subset that would carry traffic selects some instance when instances are known.
 */
export function referenceFindings(
  rule: VirtualServiceRule,
  hosts: HostIndex,
  subsets: SubsetIndex,
): Finding[] {
  const findings: Finding[] = [];
  const error = (origin: string, at: FieldPath, code: Finding['code'], message: string): void => {
    findings.push({ origin, at, severity: 'error', code, message });
  };
  for (const reference of referencesOf(rule)) {
    const { destination, origin, fields } = reference;
    const known = hosts.lookup(destination.host);
    if (!known) {
      error(
        origin,
        fields.host,
        'unknown-host',
        `no service or ServiceEntry has host ${destination.host}: requests routed here would fail (503)`,
      );
      continue;
    }
    const ports = known.ports;
    if (
      destination.port !== undefined &&
      ports.length > 0 &&
      !ports.some((port) => port.port === destination.port)
    ) {
      error(
        origin,
        fields.port,
        'unknown-port',
        `${destination.host} has no port ${destination.port} (it has ${describePorts(ports)})`,
      );
    } else if (
      destination.port === undefined &&
      ports.length > 1 &&
      !portCarriesOver(rule, destination.host, ports, hosts)
    ) {
      error(
        origin,
        fields.port,
        'port-required',
        `${destination.host} has several ports (${describePorts(ports)}): say which with destination.port.number`,
      );
    }
    let selector: Labels | undefined = destination.subsetLabels;
    if (destination.subset !== undefined && selector === undefined) {
      const defined = subsets.subsetsOf(destination.host);
      const match = defined.find((entry) => entry.subset.name === destination.subset);
      if (!match) {
        const names = [...new Set(defined.map((entry) => entry.subset.name))];
        const has =
          names.length > 0 ? `it has ${names.join(', ')}` : 'no DestinationRule defines subsets for it';
        error(
          origin,
          fields.subset,
          'unknown-subset',
          `no DestinationRule for ${destination.host} defines subset ${destination.subset} (${has}): requests routed here would fail (503)`,
        );
        continue;
      }
      selector = match.subset.labels;
    }
    if (
      selector &&
      reference.carriesTraffic &&
      known.instanceLabels &&
      !selectsAny(selector, known.instanceLabels)
    ) {
      findings.push({
        origin,
        at: fields.subset,
        severity: 'warning',
        code: 'empty-subset',
        message: `subset ${destination.subset ?? ''} (${describeLabels(selector)}) selects no instance of ${destination.host} now: requests routed here fail (503) until one appears`,
      });
      continue;
    }
    if (reference.carriesTraffic && known.healthyInstanceLabels && known.instanceLabels?.length) {
      const healthy = selector
        ? selectsAny(selector, known.healthyInstanceLabels)
        : known.healthyInstanceLabels.length > 0;
      const any = selector ? selectsAny(selector, known.instanceLabels) : true;
      if (any && !healthy) {
        const what =
          destination.subset === undefined
            ? destination.host
            : `subset ${destination.subset} of ${destination.host}`;
        findings.push({
          origin,
          at: destination.subset === undefined ? fields.host : fields.subset,
          severity: 'warning',
          code: 'no-healthy-endpoints',
          message: `${what} has no healthy instance now: traffic routed here fails (503) until one recovers`,
        });
      }
    }
  }
  return findings;
}

/** A DestinationRule's subsets that select no instance of its host (when instances are known). */
export function emptySubsetFindings(rule: DestinationRuleRule, hosts: HostIndex): Finding[] {
  const known = hosts.lookup(rule.host);
  if (!known?.instanceLabels) return [];
  return rule.subsets
    .filter((subset) => !selectsAny(subset.labels, known.instanceLabels ?? []))
    .map((subset) => ({
      origin: subset.origin.path,
      at: ['labels'],
      severity: 'warning' as const,
      code: 'empty-subset' as const,
      message: `subset ${subset.name} (${describeLabels(subset.labels)}) selects no instance of ${rule.host} now`,
    }));
}

function referencesOf(rule: VirtualServiceRule): Reference[] {
  const references: Reference[] = [];
  const legacy = rule.language === 'legacy';
  // A legacy route names an IstioService (or the rule's `destination`) and selects by labels.
  const gateway = rule.language === 'gateway-api';
  const routeFields: Reference['fields'] = gateway
    ? { host: ['name'], subset: [], port: ['port'] }
    : legacy
      ? { host: ['destination'], subset: ['labels'], port: [] }
      : {
          host: ['destination', 'host'],
          subset: ['destination', 'subset'],
          port: ['destination', 'port', 'number'],
        };
  const mirrorFields: Reference['fields'] = gateway
    ? routeFields
    : legacy
      ? { host: [], subset: ['labels'], port: [] }
      : { host: ['host'], subset: ['subset'], port: ['port', 'number'] };
  for (const route of rule.http) {
    if (route.action.kind === 'route') {
      for (const destination of route.action.destinations) {
        references.push({
          destination,
          origin: destination.origin.path,
          fields: routeFields,
          carriesTraffic: destination.weight > 0,
        });
      }
    }
    for (const mirror of route.mirrors) {
      const origin = mirror.origin?.path ?? route.origin.path;
      references.push({
        destination: mirror.destination,
        origin,
        fields: mirrorFields,
        carriesTraffic: mirror.percent > 0,
      });
    }
  }
  for (const route of rule.tcp) {
    for (const destination of route.destinations) {
      references.push({
        destination,
        origin: destination.origin.path,
        fields: routeFields,
        carriesTraffic: destination.weight > 0,
      });
    }
  }
  // A Gateway API rule becomes a route per match, each naming the rule's backends: one reference each.
  if (!gateway) return references;
  const seen = new Set<string>();
  return references.filter((reference) => !seen.has(reference.origin) && seen.add(reference.origin));
}

/**
 * Whether a destination without a port is served on the port the request came to: the
 * destination is one of the rule's own hosts, or has every port the rule's hosts have.
 */
function portCarriesOver(
  rule: VirtualServiceRule,
  host: string,
  ports: readonly { port: number }[],
  hosts: HostIndex,
): boolean {
  if (rule.hosts.includes(host)) return true;
  const own = rule.hosts.map((ruleHost) => hosts.lookup(ruleHost));
  if (own.some((known) => known === undefined)) return false;
  return own.every((known) =>
    (known?.ports ?? []).every((port) => ports.some((other) => other.port === port.port)),
  );
}

function describePorts(ports: readonly { name: string; port: number }[]): string {
  return ports.map((port) => `${port.port} (${port.name})`).join(', ');
}

export function describeLabels(labels: Labels): string {
  const pairs = Object.entries(labels).map(([key, value]) => `${key}=${value}`);
  return pairs.length > 0 ? pairs.join(',') : 'no labels';
}
