import { isIP } from 'node:net';
import type { AdapterState, HostedInstanceInput, InstanceInput, ServiceInput } from '../adapter';
import { clientText } from '../client-text';
import type { Locality } from '../model';
import type { FieldPath } from '../schema/path';
import type { ServiceEntryRule } from './model';
import { locatedProblem } from './parse/located-problem';
import { MAX_PROBLEMS_REPORTED } from './parse/rule-context';
import type { RuleProblem } from './problems';
import type { RuleIdentity, RuleLocation } from './resource';
import type { ActiveRule } from './rule-book';

/** What a lookup of one name gave: its addresses, or why it gave none this time. */
export type DnsAnswer = { readonly addresses: readonly string[] } | { readonly error: string };

/**
 * More addresses than this for one name are cut (the first, sorted, are kept): one answer adds at
 * most this many endpoints per port, whatever a name server returns.
 */
export const MAX_ADDRESSES_PER_NAME = 256;

/** How much of a lookup's error is kept to show. */
const ERROR_TEXT_MAX = 200;

/** A ServiceEntry endpoint of one host, before its name (resolution DNS) is resolved. */
interface PlannedEndpoint {
  /** An IP address, or (`resolve`) the lower-cased name whose addresses the endpoint takes. */
  readonly address: string;
  readonly resolve: boolean;
  readonly ports: readonly { readonly portName: string; readonly port: number }[];
  readonly labels: Readonly<Record<string, string>>;
  readonly locality?: Locality;
  readonly weight: number;
  /** Where the rule gives the endpoint (for problems about its name). */
  readonly at: FieldPath;
}

interface PlannedHost {
  readonly service: ServiceInput;
  readonly endpoints: readonly PlannedEndpoint[];
}

/** Where a ServiceEntry in force names a name it resolves, for the problems about that name. */
interface NameUse {
  readonly key: string;
  readonly rule: RuleIdentity;
  readonly location: RuleLocation;
  /** From the resource root: `spec.endpoints[0].address`, `spec.hosts[1]`. */
  readonly at: FieldPath;
}

interface NameState {
  /** The addresses of the last lookup that gave any answer (sorted, deduplicated); none before one did. */
  readonly addresses?: readonly string[];
  /** Why the last lookup failed; `addresses` stay in use. */
  readonly error?: string;
}

/**
 * The services ServiceEntries in force add to the mesh, as an adapter would report them: each
 * host with the ports of the first ServiceEntry (by kind/namespace/name) that has it, and its
 * endpoints as instances. STATIC endpoints are used as they are; resolution DNS names (endpoint
 * addresses that are host names, or the hosts themselves when there are no endpoints) take the
 * addresses the daemon's resolver reports for them, one instance per address. Core does no I/O:
 * `names()` says what needs resolving, `answer()` takes what a lookup gave.
 */
export class ServiceEntryHosts {
  private hosts = new Map<string, PlannedHost>();
  /** The hosts whose instances each name gives. */
  private hostsByName = new Map<string, Set<string>>();
  private uses = new Map<string, NameUse[]>();
  private readonly answers = new Map<string, NameState>();
  private nameSet: ReadonlySet<string> = new Set();

  /**
   * Plans the hosts of the ServiceEntries in force again. Returns whether the set of names to
   * resolve changed; answers for names no longer used are forgotten.
   */
  update(active: ReadonlyMap<string, ActiveRule>): boolean {
    const hosts = new Map<string, PlannedHost>();
    const hostsByName = new Map<string, Set<string>>();
    const uses = new Map<string, NameUse[]>();
    const entries = [...active.values()]
      .filter((a): a is ActiveRule & { rule: ServiceEntryRule } => a.rule.kind === 'ServiceEntry')
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    for (const entry of entries) {
      const { rule } = entry;
      const use = (name: string, hostname: string, at: FieldPath) => {
        let byName = hostsByName.get(name);
        if (!byName) hostsByName.set(name, (byName = new Set()));
        byName.add(hostname);
        const list = uses.get(name) ?? [];
        if (!list.some((u) => u.key === entry.key && samePath(u.at, at))) {
          list.push({ key: entry.key, rule: rule.identity, location: entry.location, at });
        }
        uses.set(name, list);
      };
      for (const [index, hostname] of rule.hosts.entries()) {
        // Two ServiceEntries for one host: the first by kind/namespace/name adds it.
        if (hosts.has(hostname) || hostname.startsWith('*')) continue;
        const endpoints = plannedEndpoints(rule, hostname, index);
        for (const endpoint of endpoints) {
          if (endpoint.resolve) use(endpoint.address, hostname, endpoint.at);
        }
        hosts.set(hostname, {
          service: {
            hostname,
            ports: rule.ports.map((p) => ({ name: p.name, port: p.number, protocol: p.protocol })),
            addresses: rule.addresses.filter((a) => !a.includes('/')),
            labels: {},
          },
          endpoints,
        });
      }
    }
    this.hosts = hosts;
    this.hostsByName = hostsByName;
    this.uses = uses;
    for (const name of this.answers.keys()) if (!hostsByName.has(name)) this.answers.delete(name);
    const changed =
      hostsByName.size !== this.nameSet.size || [...hostsByName.keys()].some((n) => !this.nameSet.has(n));
    if (changed) this.nameSet = new Set(hostsByName.keys());
    return changed;
  }

  /** Every name the ServiceEntries in force need resolved (lower-cased); a new set whenever it changes. */
  names(): ReadonlySet<string> {
    return this.nameSet;
  }

  /** Every host with its instances, as of the answers so far. */
  state(): AdapterState {
    const services: ServiceInput[] = [];
    const instances: HostedInstanceInput[] = [];
    for (const [hostname, host] of this.hosts) {
      services.push(host.service);
      for (const instance of this.instancesOf(host)) instances.push({ hostname, ...instance });
    }
    return { services, instances };
  }

  /**
   * What a lookup of `name` gave. Returns the hosts whose instances it changes, with their new
   * instances: none when the answer is the one already known, when the lookup failed (the last
   * known addresses stay), or when no ServiceEntry in force needs the name (an answer that
   * arrives after its ServiceEntry went).
   */
  answer(
    name: string,
    answer: DnsAnswer,
  ): { readonly service: ServiceInput; readonly instances: readonly InstanceInput[] }[] {
    const key = name.toLowerCase();
    if (!this.nameSet.has(key)) return [];
    const before = this.answers.get(key);
    if ('error' in answer) {
      this.answers.set(key, {
        ...(before?.addresses && { addresses: before.addresses }),
        error: clientText(String(answer.error), ERROR_TEXT_MAX),
      });
      return [];
    }
    const addresses = normalizedAddresses(answer.addresses);
    this.answers.set(key, { addresses });
    if (before?.addresses && sameList(before.addresses, addresses)) return [];
    return [...(this.hostsByName.get(key) ?? [])].flatMap((hostname) => {
      const host = this.hosts.get(hostname);
      return host ? [{ service: host.service, instances: this.instancesOf(host) }] : [];
    });
  }

  /**
   * Warnings for the ServiceEntries in force whose names give no endpoints yet, or whose last
   * lookup failed, by rule key, located where each rule names the name.
   */
  problems(): Map<string, RuleProblem[]> {
    const problems = new Map<string, RuleProblem[]>();
    for (const [name, uses] of this.uses) {
      const message = unresolvedMessage(name, this.answers.get(name));
      if (message === undefined) continue;
      for (const use of uses) {
        const list = problems.get(use.key) ?? [];
        problems.set(use.key, list);
        if (list.length < MAX_PROBLEMS_REPORTED) {
          list.push(
            locatedProblem(use.location, use.rule, use.at, {
              severity: 'warning',
              code: 'unresolved-name',
              message,
            }),
          );
        } else if (list.length === MAX_PROBLEMS_REPORTED) {
          list.push(
            locatedProblem(use.location, use.rule, ['spec'], {
              severity: 'warning',
              code: 'too-many-problems',
              message: `more names are not resolved (at most ${MAX_PROBLEMS_REPORTED} are reported)`,
            }),
          );
        }
      }
    }
    return problems;
  }

  private instancesOf(host: PlannedHost): InstanceInput[] {
    const instances: InstanceInput[] = [];
    for (const endpoint of host.endpoints) {
      const addresses = endpoint.resolve
        ? (this.answers.get(endpoint.address)?.addresses ?? [])
        : [endpoint.address];
      for (const address of addresses) {
        for (const { portName, port } of endpoint.ports) {
          instances.push({
            address,
            port,
            portName,
            labels: endpoint.labels,
            ...(endpoint.locality && { locality: endpoint.locality }),
            weight: endpoint.weight,
          });
        }
      }
    }
    return instances;
  }
}

/**
 * A host's endpoints: STATIC ones as given; DNS ones with host-name addresses to resolve, or
 * (without endpoints) the host itself; NONE has none.
 */
function plannedEndpoints(rule: ServiceEntryRule, hostname: string, hostIndex: number): PlannedEndpoint[] {
  if (rule.resolution === 'NONE') return [];
  const portsOf = (given: Readonly<Record<string, number>>) =>
    rule.ports.map((p) => ({ portName: p.name, port: given[p.name] ?? p.targetPort ?? p.number }));
  if (rule.resolution === 'DNS' && rule.endpoints.length === 0) {
    const at = ['spec', 'hosts', hostIndex];
    return [
      { address: hostname.toLowerCase(), resolve: true, ports: portsOf({}), labels: {}, weight: 1, at },
    ];
  }
  return rule.endpoints.map((endpoint, index) => {
    const resolve = rule.resolution === 'DNS' && isIP(endpoint.address) === 0;
    return {
      address: resolve ? endpoint.address.toLowerCase() : endpoint.address,
      resolve,
      ports: portsOf(endpoint.ports),
      labels: endpoint.labels,
      ...(endpoint.locality && { locality: endpoint.locality }),
      weight: endpoint.weight,
      at: ['spec', 'endpoints', index, 'address'],
    };
  });
}

function unresolvedMessage(name: string, state: NameState | undefined): string | undefined {
  const shown = clientText(name);
  if (state?.error !== undefined) {
    return state.addresses && state.addresses.length > 0
      ? `looking up ${shown} failed (${state.error}): its last known addresses (${state.addresses.length}) stay in use`
      : `looking up ${shown} failed (${state.error}): it gives no endpoints until a lookup succeeds`;
  }
  if (state?.addresses === undefined)
    return `${shown} is not resolved yet: it gives no endpoints until it is`;
  if (state.addresses.length === 0) return `${shown} resolves to no address: it gives no endpoints`;
  return undefined;
}

/** IP addresses only, deduplicated, sorted (so an unchanged answer in another order is unchanged), bounded. */
function normalizedAddresses(addresses: readonly string[]): string[] {
  const valid = new Set<string>();
  for (const address of Array.isArray(addresses) ? addresses : []) {
    if (typeof address === 'string' && isIP(address) !== 0) valid.add(address);
  }
  return [...valid].sort().slice(0, MAX_ADDRESSES_PER_NAME);
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((item, index) => item === b[index]);
}

function samePath(a: FieldPath, b: FieldPath): boolean {
  return a.length === b.length && a.every((segment, index) => segment === b[index]);
}
