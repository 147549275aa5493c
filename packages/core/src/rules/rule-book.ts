import { contentVersion } from '../hash';
import type { ParsedRule } from './model';
import type { RuleProblem } from './problems';
import {
  DEFAULT_RULE_NAMESPACE,
  ruleKey,
  type RuleIdentity,
  type RuleInput,
  type RuleLocation,
} from './resource';
import type { RuleResource } from '../adapter';

/** Parses one rule resource (packages/core/src/rules/parse): the rule, or why it cannot be used. */
export type RuleParser = (input: RuleInput) => {
  readonly rule?: ParsedRule;
  readonly problems: readonly RuleProblem[];
};

/** A rule in force: the last valid version of a resource, from the first source that has it. */
export interface ActiveRule {
  readonly key: string;
  readonly rule: ParsedRule;
  readonly source: string;
  /** Where the version in force was read, for problems found later (a destination gone). */
  readonly location: RuleLocation;
}

/** A resource as /debug/rules shows it. */
export interface RuleStatus {
  readonly identity: RuleIdentity;
  readonly source: string;
  /**
   * `applied`: its current version is in force. `stale`: its current version is invalid and the
   * last valid one is in force. `rejected`: invalid and never valid. `conflict`: an earlier source
   * has the same identity, whose version is in force.
   */
  readonly state: 'applied' | 'stale' | 'rejected' | 'conflict';
  /** Problems of the current version (errors when rejected or stale; warnings otherwise). */
  readonly problems: readonly RuleProblem[];
  /** The current version as the source reported it, and its content digest (ruleVersion). */
  readonly resource: RuleResource;
  readonly version: string;
}

/** What a replace changed: identities whose rule in force is new, changed or gone. */
export interface RuleChange {
  readonly changed: readonly string[];
  /** The rules in force before the change, of the identities in `changed`, for what they touched. */
  readonly before: ReadonlyMap<string, ActiveRule>;
}

interface Held {
  readonly identity: RuleIdentity;
  readonly resource: RuleResource;
  /** Digest of the current version's content: an unchanged resource is not parsed again. */
  readonly digest: string;
  /** The last valid version, in force unless an earlier source has the identity, and where it was read. */
  readonly valid?: { readonly rule: ParsedRule; readonly location: RuleLocation };
  readonly problems: readonly RuleProblem[];
  /** The current version is invalid (`valid`, if any, is an earlier version). */
  readonly invalid: boolean;
}

/**
 * Every rule resource every source reported, and which version of each is in force. A bad
 * version of a resource never replaces a good one: the last valid version stays in force (per
 * resource, not per file) and the errors are kept beside it for /debug/rules. The same identity
 * from two sources: the first source in the configured order wins, the other is a conflict.
 *
 * Owned by the registry; sources report whole sets (a rules file re-read, an adapter's resync),
 * and only resources whose content changed are parsed again.
 */
export class RuleBook {
  /** Every source's resources by rule key, sources in the order they win identities. */
  private readonly sources = new Map<string, Map<string, Held>>();
  private readonly sourceProblems = new Map<string, readonly RuleProblem[]>();
  /** The sources that hold each rule key: who may win it, without looking through every source. */
  private readonly holders = new Map<string, Set<string>>();
  private readonly rank = new Map<string, number>();
  private readonly activeRules = new Map<string, ActiveRule>();

  constructor(
    private readonly parse: RuleParser,
    /** Sources in configured order: the first wins an identity two of them hold. */
    private readonly order: readonly string[],
  ) {
    for (const source of order) this.sourceOf(source);
  }

  /**
   * A source's whole set of resources (as of now), with problems of the source as a whole (a
   * document that did not parse, a duplicate identity). Resources missing from `inputs` are gone,
   * unless the source has an error: then `inputs` may lack resources it holds (in a document that
   * did not parse), and what is missing stays as it was.
   */
  replace(source: string, inputs: readonly RuleInput[], problems: readonly RuleProblem[] = []): RuleChange {
    const held = this.sourceOf(source);
    const partial = problems.some((p) => p.severity === 'error');
    const next = new Map<string, Held>(partial ? held : []);
    for (const input of inputs) {
      const identity = identityOf(input);
      const key = ruleKey(identity);
      const digest = ruleVersion(input);
      const before = held.get(key);
      // Parsing depends on the content alone: an unchanged resource keeps its result, problems and all.
      if (before && before.digest === digest) {
        next.set(key, before);
        continue;
      }
      const result = this.parse(input);
      const fatal = result.problems.some((p) => p.severity === 'error' && p.target === undefined);
      const valid = !fatal && result.rule ? { rule: result.rule, location: input.location } : undefined;
      next.set(key, {
        identity,
        resource: resourceOf(input),
        digest,
        valid: valid ?? before?.valid,
        problems: result.problems,
        invalid: valid === undefined,
      });
    }
    const keys = new Set([...held.keys(), ...next.keys()]);
    for (const key of held.keys()) if (!next.has(key)) this.holders.get(key)?.delete(source);
    for (const key of next.keys()) {
      let holders = this.holders.get(key);
      if (!holders) this.holders.set(key, (holders = new Set()));
      holders.add(source);
    }
    this.sources.set(source, next);
    this.sourceProblems.set(source, problems);
    return this.recompute(keys);
  }

  /** Takes `source` in the order sources win identities (registration order), if it is new. */
  register(source: string): void {
    this.sourceOf(source);
  }

  /** A source that could not be read at all: what it reported before stays in force. */
  fail(source: string, problems: readonly RuleProblem[]): void {
    this.sourceOf(source);
    this.sourceProblems.set(source, problems);
  }

  /** The rules in force, by rule key. */
  active(): ReadonlyMap<string, ActiveRule> {
    return this.activeRules;
  }

  /** Every resource of every source, and the problems of sources as a whole. */
  statuses(): { rules: RuleStatus[]; sources: { source: string; problems: readonly RuleProblem[] }[] } {
    const rules: RuleStatus[] = [];
    for (const [source, held] of this.sources) {
      for (const [key, h] of held) {
        const winner = this.activeRules.get(key);
        const state =
          winner && winner.source !== source
            ? 'conflict'
            : h.invalid
              ? h.valid
                ? 'stale'
                : 'rejected'
              : 'applied';
        rules.push({
          identity: h.identity,
          source,
          state,
          problems: h.problems,
          resource: h.resource,
          version: h.digest,
        });
      }
    }
    const sources = [...this.sourceProblems].map(([source, problems]) => ({ source, problems }));
    return { rules, sources };
  }

  private sourceOf(source: string): Map<string, Held> {
    let held = this.sources.get(source);
    if (!held) {
      // A source not configured up front (an adapter's rules): it comes after the configured ones.
      held = new Map();
      this.sources.set(source, held);
      this.rank.set(source, this.rank.size);
    }
    return held;
  }

  /**
   * Decides again which version of each of `keys` is in force: the work of a change is the
   * resources the changed source holds, whatever the number of other rules.
   */
  private recompute(keys: Iterable<string>): RuleChange {
    const before = new Map<string, ActiveRule>();
    const changed: string[] = [];
    for (const key of keys) {
      const old = this.activeRules.get(key);
      const winner = this.winnerOf(key);
      if (old?.rule === winner?.rule) continue;
      changed.push(key);
      if (old) before.set(key, old);
      if (winner) this.activeRules.set(key, winner);
      else this.activeRules.delete(key);
    }
    for (const key of keys) if (this.holders.get(key)?.size === 0) this.holders.delete(key);
    return { changed, before };
  }

  /** The valid version of `key` held by the first source in order, if any. */
  private winnerOf(key: string): ActiveRule | undefined {
    let best: ActiveRule | undefined;
    let bestRank = Infinity;
    for (const source of this.holders.get(key) ?? []) {
      const valid = this.sources.get(source)?.get(key)?.valid;
      const rank = this.rank.get(source) ?? Infinity;
      if (valid && rank < bestRank) {
        best = { key, rule: valid.rule, source, location: valid.location };
        bestRank = rank;
      }
    }
    return best;
  }
}

function identityOf(input: RuleInput): RuleIdentity {
  return {
    kind: input.kind,
    namespace: input.metadata.namespace ?? DEFAULT_RULE_NAMESPACE,
    name: input.metadata.name,
  };
}

/**
 * The version of a rule resource: a digest of its content (not of where it was read), so every
 * replica reading the same store gives the same resource the same version.
 */
export function ruleVersion(resource: RuleResource): string {
  return contentVersion([resource.apiVersion, resource.kind, resource.metadata, resource.spec]);
}

function resourceOf({ apiVersion, kind, metadata, spec }: RuleResource): RuleResource {
  return { apiVersion, kind, metadata, spec };
}
