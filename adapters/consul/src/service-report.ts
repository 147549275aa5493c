import { isIP } from 'node:net';
import {
  contentVersion,
  PROTOCOLS,
  type InstanceInput,
  type Protocol,
  type ServiceInput,
} from '@sextant/core';
import { readHealthEntry, type HealthEntry } from './health-entry';
import { checkState, healthOf } from './instance-health';
import { declaredProtocol, instanceLabels } from './instance-labels';
import type { HealthRule } from './options';
import type { ServiceFilter } from './service-selection';

/** Instances left out of a report, by reason (shown on /debug/registry through the status, and logged). */
export interface SkippedInstances {
  /** Registered without a port: nothing to connect to. */
  noPort: number;
  /** Address is a DNS name, not an IP: Envoy's endpoints need IPs. */
  notIp: number;
  /** Connect proxies and gateways (`Kind` set): Consul's own data plane, not the application. */
  proxies: number;
  /** A second registration of an address:port already reported. */
  duplicates: number;
  /** A `protocol` tag or meta naming no protocol sextant knows (the service's protocol decides). */
  unknownProtocol: number;
  /** Entries missing the fields every entry has. */
  malformed: number;
}

export interface ServiceReport {
  readonly hostname: string;
  /** What to report; undefined when no instance is usable, and the service is then left out of the mesh. */
  readonly state?: { readonly service: ServiceInput; readonly instances: readonly InstanceInput[] };
  /** Content digest of `state`: equal digests, nothing to report (Consul wakes watchers on unrelated writes). */
  readonly digest: string;
  readonly skipped: SkippedInstances;
  /** Nodes the service has instances on, so a node-level check change can be traced to it. */
  readonly nodes: readonly string[];
}

export interface MappingRules {
  readonly health: HealthRule;
  readonly defaultProtocol: Protocol;
  readonly filter: ServiceFilter;
}

interface Usable {
  readonly entry: HealthEntry;
  readonly input: InstanceInput;
  readonly protocol: Protocol | undefined;
}

/**
 * Maps one `/v1/health/service/:name` answer to the service and instances sextant reports
 * (docs/adapters/consul.md, "Mapping"): address `Service.Address` or else `Node.Address`; port
 * `Service.Port`; health from every check by the `health` rule, unhealthy instances reported as
 * such; labels from tags and meta; weight from `Weights`; locality region = datacenter, zone =
 * node meta `zone`. The service has one port, named after its protocol.
 */
export function toServiceReport(
  hostname: string,
  datacenter: string,
  body: readonly unknown[],
  rules: MappingRules,
): ServiceReport {
  const skipped: SkippedInstances = {
    noPort: 0,
    notIp: 0,
    proxies: 0,
    duplicates: 0,
    unknownProtocol: 0,
    malformed: 0,
  };
  const entries: HealthEntry[] = [];
  for (const item of body) {
    const entry = readHealthEntry(item);
    if (entry) entries.push(entry);
    else skipped.malformed += 1;
  }
  // Sorted, so the report (and which duplicate wins) does not depend on the order Consul sent.
  entries.sort((a, b) => compare(a.node, b.node) || compare(a.serviceId, b.serviceId));
  const usable: Usable[] = [];
  const seen = new Set<string>();
  for (const entry of entries) {
    if (entry.kind !== '') {
      skipped.proxies += 1;
      continue;
    }
    if (!rules.filter.wantsInstance(entry.tags)) continue;
    if (!Number.isInteger(entry.port) || entry.port < 1 || entry.port > 65535) {
      skipped.noPort += 1;
      continue;
    }
    const address = entry.serviceAddress || entry.nodeAddress;
    if (isIP(address) === 0) {
      skipped.notIp += 1;
      continue;
    }
    const endpoint = `${address}:${entry.port}`;
    if (seen.has(endpoint)) {
      skipped.duplicates += 1;
      continue;
    }
    seen.add(endpoint);
    const declared = declaredProtocol(entry.tags, entry.meta);
    if (declared === 'invalid') skipped.unknownProtocol += 1;
    usable.push({
      entry,
      input: toInstance(entry, address, datacenter, rules.health),
      protocol: declared === 'invalid' ? undefined : declared,
    });
  }
  const nodes = [...new Set(entries.map((e) => e.node))];
  if (usable.length === 0) return { hostname, digest: 'absent', skipped, nodes };

  const protocol =
    mostCommon(
      usable.map((u) => u.protocol).filter((p): p is Protocol => p !== undefined),
      (a, b) => PROTOCOLS.indexOf(a) - PROTOCOLS.indexOf(b),
    ) ?? rules.defaultProtocol;
  const port = mostCommon(
    usable.map((u) => u.entry.port),
    (a, b) => a - b,
  ) as number;
  const service: ServiceInput = { hostname, ports: [{ name: protocol, port, protocol }] };
  const instances = usable
    .map((u) => ({ ...u.input, portName: protocol }))
    .sort((a, b) => compare(a.address, b.address) || a.port - b.port);
  return {
    hostname,
    state: { service, instances },
    digest: contentVersion({ service, instances }),
    skipped,
    nodes,
  };
}

function toInstance(
  entry: HealthEntry,
  address: string,
  datacenter: string,
  rule: HealthRule,
): InstanceInput {
  const state = checkState(entry.checks);
  let health = healthOf(state, rule);
  // Consul's weights: Passing for passing instances, Warning for instances in warning (0: serve none).
  const weight = state === 'warning' ? entry.weights.warning : entry.weights.passing;
  if (health === 'healthy' && weight < 1) health = 'unhealthy';
  const zone = entry.nodeMeta.zone;
  return {
    address,
    port: entry.port,
    portName: '',
    labels: instanceLabels(entry.tags, entry.meta),
    locality: zone ? { region: datacenter, zone } : { region: datacenter },
    weight: Math.max(1, Math.round(weight)),
    health,
  };
}

/** The most frequent value; ties go to the first in `order`. */
function mostCommon<T>(values: readonly T[], order: (a: T, b: T) => number): T | undefined {
  const counts = new Map<T, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  let best: T | undefined;
  let bestCount = 0;
  for (const [value, count] of counts) {
    if (count > bestCount || (count === bestCount && best !== undefined && order(value, best) < 0)) {
      best = value;
      bestCount = count;
    }
  }
  return best;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
