import { readObservation } from '@sextant/adapter-file';
import {
  crossCheck,
  DEFAULT_RULE_NAMESPACE,
  formatRuleLocation,
  locatedProblem,
  parseRule,
  readRuleDocuments,
  ruleKey,
  type MeshFacts,
  type ParsedRule,
  type RuleIdentity,
  type RuleInput,
  type RuleLocation,
  type RuleProblem,
} from '@sextant/core';
import { readRuleFile, RULES_FILE_SIZE_LIMIT } from './rule-files';

/** What `sextant validate` knows of the mesh without starting anything. */
export interface OfflineMesh {
  /** The services the config's services files describe (ServiceEntries come from the rules). */
  readonly facts: MeshFacts;
  /**
   * Why some services cannot be known offline, when so (`adapter consul (consul) reports its
   * services only at run time`): a destination host found nowhere is then a warning, since the
   * mesh may have it when the daemon runs, instead of an error.
   */
  readonly unknownHosts?: string;
}

export interface RuleFilesCheck {
  /** The problems of every file, file by file in the order given, each file's in source order. */
  readonly problems: readonly RuleProblem[];
  /** Rule resources read, in all files. */
  readonly resources: number;
}

/**
 * Checks rules files as the daemon loads them, without starting anything: each file read and
 * parsed (syntax, unknown kinds, identities given twice), each resource validated (fields,
 * values, regexes, durations, weights, and what each render target cannot express), the same
 * identity in two files (the first file's is the one in force), and the rules in force checked
 * against each other and `mesh` (hosts, subsets and ports that exist, unreachable routes,
 * competing rules). Files are taken in the order given, which is the order the daemon gives
 * them precedence in.
 */
export async function checkRuleFiles(
  files: readonly string[],
  mesh: OfflineMesh,
  /** How problems name a file (relative to the working directory, say). */
  nameOf: (file: string) => string = (file) => file,
): Promise<RuleFilesCheck> {
  const byFile = new Map<string, RuleProblem[]>(files.map((file) => [file, []]));
  const found = (file: string): RuleProblem[] => {
    let list = byFile.get(file);
    if (!list) byFile.set(file, (list = []));
    return list;
  };
  const firstSeen = new Map<string, RuleLocation>();
  const inForce = new Map<string, { rule: ParsedRule; location: RuleLocation }>();
  let resources = 0;
  for (const file of files) {
    const observation = await readObservation(file, RULES_FILE_SIZE_LIMIT);
    const reading = readRuleFile(nameOf(file), observation, readRuleDocuments);
    if (reading.kind === 'unreadable') {
      found(file).push(reading.problem);
      continue;
    }
    found(file).push(...reading.problems);
    for (const input of reading.inputs) {
      resources += 1;
      const identity = identityOf(input);
      const key = ruleKey(identity);
      const first = firstSeen.get(key);
      if (first) found(file).push(definedTwice(identity, first, input.location));
      else firstSeen.set(key, input.location);
      const parsed = parseRule(input);
      found(file).push(...parsed.problems);
      const fatal = parsed.problems.some((p) => p.severity === 'error' && p.target === undefined);
      // As the daemon's rule book: the first source with a valid version of an identity has it in force.
      if (parsed.rule && !fatal && !inForce.has(key))
        inForce.set(key, { rule: parsed.rule, location: input.location });
    }
  }
  const locations = new Map([...inForce].map(([key, { location }]) => [key, location]));
  const rules = [...inForce.values()].map(({ rule }) => rule);
  const fileOf = new Map(files.map((file) => [nameOf(file), file]));
  for (const [key, problems] of crossCheck(rules, mesh.facts, locations)) {
    const file = fileOf.get(locations.get(key)?.source ?? '');
    if (file === undefined) continue;
    found(file).push(...problems.map((problem) => withUnknownHosts(problem, mesh.unknownHosts)));
  }
  const problems = [...byFile.values()].flatMap((list) =>
    // In the order of the source, as an editor lists them (the sort is stable for unlocated ones).
    [...list].sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0)),
  );
  return { problems, resources };
}

/** The same identity in two rules files: the daemon shows the later one as a conflict on /debug/rules. */
function definedTwice(identity: RuleIdentity, first: RuleLocation, again: RuleLocation): RuleProblem {
  return locatedProblem(again, identity, [], {
    severity: 'error',
    code: 'duplicate-identity',
    message: `also defined at ${formatRuleLocation(first)}, an earlier rules file: the daemon uses that version (while it is valid), not this one`,
  });
}

/** A host found nowhere, when some adapters' services are known only at run time: a warning. */
function withUnknownHosts(problem: RuleProblem, unknownHosts: string | undefined): RuleProblem {
  if (unknownHosts === undefined || problem.code !== 'unknown-host' || problem.severity !== 'error')
    return problem;
  return {
    ...problem,
    severity: 'warning',
    message: `${problem.message} — unless the mesh has it at run time (${unknownHosts})`,
  };
}

function identityOf(input: RuleInput): RuleIdentity {
  return {
    kind: input.kind,
    namespace: input.metadata.namespace ?? DEFAULT_RULE_NAMESPACE,
    name: input.metadata.name,
  };
}
