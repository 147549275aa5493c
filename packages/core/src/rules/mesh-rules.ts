import type { AdapterState, InstanceInput, ServiceInput } from '../adapter';
import type { HostPolicy } from './host-policy';
import { HostPolicies } from './host-policies';
import type { RuleProblem } from './problems';
import { DEFAULT_RULE_NAMESPACE, ruleKey, type RuleInput } from './resource';
import { crossCheck } from './validate/cross-check';
import type { MeshFacts } from './validate/mesh-facts';
import { RuleBook, type ActiveRule, type RuleParser, type RuleStatus } from './rule-book';
import { ServiceEntryHosts, type DnsAnswer } from './service-entry-hosts';

/**
 * The traffic rules of the mesh, as the registry holds them: every source's resources (with the
 * last valid version of each in force), the policy they give each hostname, and the services
 * ServiceEntries add. A change of rules comes out as the hostnames it may have changed, so the
 * registry re-merges and renderers re-render those hosts only.
 */
export class MeshRules {
  private readonly book: RuleBook;
  private readonly policies = new HostPolicies();
  private readonly entries = new ServiceEntryHosts();

  constructor(
    private readonly parse: RuleParser,
    sources: readonly string[] = [],
  ) {
    this.book = new RuleBook(parse, sources);
  }

  /**
   * The problems `inputs` would have if they replaced the versions of their identities in force
   * (a dry run: nothing changes): each parsed and validated, then the rules in force with them
   * checked against each other and `mesh`. Problems of other rules are left out.
   */
  check(inputs: readonly RuleInput[], mesh: MeshFacts | undefined): RuleProblem[] {
    const problems: RuleProblem[] = [];
    const candidates = new Map<string, { rule: ActiveRule['rule']; location: RuleInput['location'] }>();
    for (const input of inputs) {
      const result = this.parse(input);
      problems.push(...result.problems);
      const fatal = result.problems.some((p) => p.severity === 'error' && p.target === undefined);
      const key = ruleKey({
        kind: input.kind,
        namespace: input.metadata.namespace ?? DEFAULT_RULE_NAMESPACE,
        name: input.metadata.name,
      });
      if (result.rule && !fatal) candidates.set(key, { rule: result.rule, location: input.location });
    }
    if (!mesh || candidates.size === 0) return problems;
    const rules = new Map(
      [...this.book.active()].map(([key, a]) => [key, { rule: a.rule, location: a.location }]),
    );
    for (const [key, candidate] of candidates) rules.set(key, candidate);
    const found = crossCheck(
      [...rules.values()].map((r) => r.rule),
      mesh,
      new Map([...rules].map(([key, r]) => [key, r.location])),
    );
    for (const key of candidates.keys()) problems.push(...(found.get(key) ?? []));
    return problems;
  }

  /**
   * A source's whole set of rules (a file re-read, an adapter's resync). Returns the hostnames
   * whose policy may differ; `hostnames` lists the mesh's services, for rules with wildcard hosts.
   * `entriesChanged` tells whether the services ServiceEntries add may differ, `namesChanged`
   * whether the names they need resolved do.
   */
  replace(
    source: string,
    inputs: readonly RuleInput[],
    problems: readonly RuleProblem[],
    hostnames: () => Iterable<string>,
  ): { hostnames: Set<string>; entriesChanged: boolean; namesChanged: boolean } {
    const { changed, before } = this.book.replace(source, inputs, problems);
    const after = this.book.active();
    const touched = this.policies.update(changed, before, after, hostnames);
    const entriesChanged = changed.some(
      (key) => before.get(key)?.rule.kind === 'ServiceEntry' || after.get(key)?.rule.kind === 'ServiceEntry',
    );
    const namesChanged = entriesChanged && this.entries.update(after);
    return { hostnames: touched, entriesChanged, namesChanged };
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
    return this.entries.state();
  }

  /** The names resolution DNS ServiceEntries in force need resolved; a new set whenever it changes. */
  namesToResolve(): ReadonlySet<string> {
    return this.entries.names();
  }

  /**
   * What a lookup of `name` gave: the ServiceEntry hosts whose instances it changes, with their
   * new instances (none when the answer is the one already known or the lookup failed).
   */
  resolved(
    name: string,
    answer: DnsAnswer,
  ): { readonly service: ServiceInput; readonly instances: readonly InstanceInput[] }[] {
    return this.entries.answer(name, answer);
  }

  active(): ReadonlyMap<string, ActiveRule> {
    return this.book.active();
  }

  /**
   * Every resource with its state and problems, and the problems of sources as a whole. With
   * `mesh`, the rules in force are checked again against it and each other (crossCheck): a
   * destination whose host or subset is gone since the rule was accepted shows here, on the
   * rule that names it, while the rule stays in force (route plans leave such destinations out).
   * A ServiceEntry whose names are not resolved (yet, or whose last lookup failed) says so too.
   */
  statuses(mesh?: MeshFacts): {
    rules: RuleStatus[];
    sources: { source: string; problems: readonly RuleProblem[] }[];
  } {
    const { rules, sources } = this.book.statuses();
    const active = [...this.book.active().values()];
    const found = this.entries.problems();
    if (mesh) {
      const locations = new Map(active.map((a) => [a.key, a.location]));
      const crossed = crossCheck(
        active.map((a) => a.rule),
        mesh,
        locations,
      );
      for (const [key, problems] of crossed) found.set(key, [...problems, ...(found.get(key) ?? [])]);
    }
    const checked = rules.map((status) => {
      const key = ruleKey(status.identity);
      const problems = found.get(key);
      if (!problems || this.book.active().get(key)?.source !== status.source) return status;
      return { ...status, problems: [...status.problems, ...problems] };
    });
    return { rules: checked, sources };
  }
}
