import type { AdapterState, HostedInstanceInput, ServiceInput } from '../adapter';
import type { HostPolicy } from './host-policy';
import { HostPolicies } from './host-policies';
import type { ServiceEntryRule } from './model';
import type { RuleProblem } from './problems';
import { ruleKey, type RuleInput } from './resource';
import { crossCheck } from './validate/cross-check';
import type { MeshFacts } from './validate/mesh-facts';
import { RuleBook, type ActiveRule, type RuleParser, type RuleStatus } from './rule-book';

/**
 * The traffic rules of the mesh, as the registry holds them: every source's resources (with the
 * last valid version of each in force), the policy they give each hostname, and the services
 * ServiceEntries add. A change of rules comes out as the hostnames it may have changed, so the
 * registry re-merges and renderers re-render those hosts only.
 */
export class MeshRules {
  private readonly book: RuleBook;
  private readonly policies = new HostPolicies();
  private entryState: AdapterState = { services: [], instances: [] };

  constructor(parse: RuleParser, sources: readonly string[] = []) {
    this.book = new RuleBook(parse, sources);
  }

  /**
   * A source's whole set of rules (a file re-read, an adapter's resync). Returns the hostnames
   * whose policy may differ; `hostnames` lists the mesh's services, for rules with wildcard hosts.
   * `entriesChanged` tells whether the services ServiceEntries add may differ.
   */
  replace(
    source: string,
    inputs: readonly RuleInput[],
    problems: readonly RuleProblem[],
    hostnames: () => Iterable<string>,
  ): { hostnames: Set<string>; entriesChanged: boolean } {
    const { changed, before } = this.book.replace(source, inputs, problems);
    const after = this.book.active();
    const touched = this.policies.update(changed, before, after, hostnames);
    const entriesChanged = changed.some(
      (key) => before.get(key)?.rule.kind === 'ServiceEntry' || after.get(key)?.rule.kind === 'ServiceEntry',
    );
    if (entriesChanged) this.entryState = serviceEntryState(after);
    return { hostnames: touched, entriesChanged };
  }

  /** Takes `source` in the order sources win identities, before it reports anything. */
  register(source: string): void {
    this.book.register(source);
  }

  /** A source that could not be read: its rules stay in force as they were. */
  fail(source: string, problems: readonly RuleProblem[]): void {
    this.book.fail(source, problems);
  }

  policyFor(hostname: string): HostPolicy | undefined {
    return this.policies.policyFor(hostname);
  }

  /** A hostname appeared or went: a policy computed while it was unknown is recomputed. */
  hostChanged(hostname: string): void {
    this.policies.forgetHost(hostname);
  }

  /** The services and instances ServiceEntries in force add to the mesh, as an adapter would report them. */
  serviceEntries(): AdapterState {
    return this.entryState;
  }

  active(): ReadonlyMap<string, ActiveRule> {
    return this.book.active();
  }

  /**
   * Every resource with its state and problems, and the problems of sources as a whole. With
   * `mesh`, the rules in force are checked again against it and each other (crossCheck): a
   * destination whose host or subset is gone since the rule was accepted shows here, on the
   * rule that names it, while the rule stays in force (route plans leave such destinations out).
   */
  statuses(mesh?: MeshFacts): {
    rules: RuleStatus[];
    sources: { source: string; problems: readonly RuleProblem[] }[];
  } {
    const { rules, sources } = this.book.statuses();
    if (!mesh) return { rules, sources };
    const active = [...this.book.active().values()];
    const locations = new Map(active.map((a) => [a.key, a.location]));
    const found = crossCheck(
      active.map((a) => a.rule),
      mesh,
      locations,
    );
    const checked = rules.map((status) => {
      const key = ruleKey(status.identity);
      const problems = found.get(key);
      if (!problems || this.book.active().get(key)?.source !== status.source) return status;
      return { ...status, problems: [...status.problems, ...problems] };
    });
    return { rules: checked, sources };
  }
}

/** Every host of every ServiceEntry in force, with its endpoints as instances (STATIC), by rule order. */
function serviceEntryState(active: ReadonlyMap<string, ActiveRule>): AdapterState {
  const services: ServiceInput[] = [];
  const instances: HostedInstanceInput[] = [];
  const seen = new Set<string>();
  const entries = [...active.values()]
    .filter((a): a is ActiveRule & { rule: ServiceEntryRule } => a.rule.kind === 'ServiceEntry')
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  for (const { rule } of entries) {
    for (const hostname of rule.hosts) {
      // Two ServiceEntries for one host: the first by kind/namespace/name adds it.
      if (seen.has(hostname) || hostname.startsWith('*')) continue;
      seen.add(hostname);
      services.push({
        hostname,
        ports: rule.ports.map((p) => ({ name: p.name, port: p.number, protocol: p.protocol })),
        addresses: rule.addresses.filter((a) => !a.includes('/')),
        labels: {},
      });
      if (rule.resolution !== 'STATIC') continue;
      for (const endpoint of rule.endpoints) {
        for (const port of rule.ports) {
          instances.push({
            hostname,
            address: endpoint.address,
            port: endpoint.ports[port.name] ?? port.targetPort ?? port.number,
            portName: port.name,
            labels: endpoint.labels,
            ...(endpoint.locality && { locality: endpoint.locality }),
            weight: endpoint.weight,
          });
        }
      }
    }
  }
  return { services, instances };
}
