import { formatFieldPath, parseFieldPath, type FieldPath } from '../../schema/path';
import type { RenderTarget, RuleProblem } from '../problems';
import { formatRuleIdentity, type RuleIdentity, type RuleLocation } from '../resource';
import type { RuleProblemCode } from '../validate/problem-codes';

/** What a problem says, before it is located. */
export interface ProblemReport {
  readonly severity: 'error' | 'warning';
  readonly code: RuleProblemCode;
  readonly message: string;
  readonly target?: RenderTarget;
  /** Point at the field's key rather than its value (an unknown or unsupported field). */
  readonly atKey?: boolean;
}

/**
 * A problem at `path` (from the resource root: `spec.http[0].route[1]`) of the rule found at
 * `location`: its file (or `<store>:<key>`), line and column when the source kept positions.
 * Without a parsed document, the index of the document in its file is named with the file.
 */
export function locatedProblem(
  location: RuleLocation | undefined,
  rule: RuleIdentity | undefined,
  path: FieldPath,
  report: ProblemReport,
): RuleProblem {
  const position = location?.document?.locate([...location.at, ...path], report.atKey === true) ?? {};
  const file =
    location === undefined
      ? undefined
      : location.document === undefined && location.documentIndex !== undefined
        ? `${location.source} (document ${location.documentIndex + 1})`
        : location.source;
  return {
    ...(file !== undefined && { file }),
    ...position,
    path: formatFieldPath(path),
    message: report.message,
    severity: report.severity,
    code: report.code,
    ...(rule && { rule }),
    ...(report.target && { target: report.target }),
  };
}

/** Where a resource starts, for messages naming two places: `rules.yaml:14:1`, or `rules.yaml (document 3)` without positions. */
export function formatRuleLocation(location: RuleLocation): string {
  const problem = locatedProblem(location, undefined, [], {
    severity: 'error',
    code: 'duplicate-identity',
    message: '',
  });
  return [problem.file, problem.line, problem.column].filter((part) => part !== undefined).join(':');
}

/** Like locatedProblem, for a path kept as text in the model (`Origin.path`). */
export function problemAtOrigin(
  location: RuleLocation | undefined,
  rule: RuleIdentity,
  originPath: string,
  extra: FieldPath,
  report: ProblemReport,
): RuleProblem {
  return locatedProblem(location, rule, [...parseFieldPath(originPath), ...extra], report);
}

/**
 * One line for a person: `rules.yaml:14:11: error: VirtualService default/reviews:
 * spec.http[0].route[1].destination.subset: no DestinationRule … [unknown-subset]`; a problem
 * for one target says which (`warning for v1`).
 */
export function formatRuleProblem(problem: RuleProblem): string {
  const where = problem.file
    ? [problem.file, problem.line, problem.column].filter((part) => part !== undefined).join(':') + ': '
    : '';
  const severity = problem.target ? `${problem.severity} for ${problem.target}` : problem.severity;
  const rule = problem.rule ? `${formatRuleIdentity(problem.rule)}: ` : '';
  const field = problem.path ? `${problem.path}: ` : '';
  return `${where}${severity}: ${rule}${field}${problem.message} [${problem.code}]`;
}
