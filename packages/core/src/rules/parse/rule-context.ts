import { formatFieldPath, type FieldPath } from '../../schema/path';
import type { Origin } from '../model';
import type { RenderTarget, RuleProblem } from '../problems';
import type { RuleIdentity, RuleLocation } from '../resource';
import type { RuleProblemCode } from '../validate/problem-codes';
import { locatedProblem, type ProblemReport } from './located-problem';

/**
 * Problems one rule (or one source) reports at most; past it they are counted in a last problem.
 * A resource written wrong throughout would otherwise cost memory and screen in proportion to
 * its size, and the first hundred say what is wrong.
 */
export const MAX_PROBLEMS_REPORTED = 100;

/**
 * What parsing one resource needs everywhere: its identity and namespace (short hosts resolve in
 * it), where it came from, and the problems found so far, each located as it is reported.
 */
export class RuleContext {
  private readonly found: RuleProblem[] = [];
  private unreported = 0;
  private fatal = false;

  constructor(
    readonly identity: RuleIdentity,
    readonly location: RuleLocation | undefined,
  ) {}

  /** The namespace short names resolve in (`default` when the resource has none). */
  get namespace(): string {
    return this.identity.namespace;
  }

  /** Where a part of the model came from: this rule, and the field path in Istio's style. */
  origin(path: FieldPath): Origin {
    return { rule: this.identity, path: formatFieldPath(path) };
  }

  error(path: FieldPath, code: RuleProblemCode, message: string, options: ReportOptions = {}): void {
    this.report(path, { severity: 'error', code, message, ...options });
  }

  warn(path: FieldPath, code: RuleProblemCode, message: string, options: ReportOptions = {}): void {
    this.report(path, { severity: 'warning', code, message, ...options });
  }

  report(path: FieldPath, report: ProblemReport): void {
    if (report.severity === 'error' && report.target === undefined) this.fatal = true;
    if (this.found.length >= MAX_PROBLEMS_REPORTED) {
      this.unreported += 1;
      return;
    }
    this.found.push(locatedProblem(this.location, this.identity, path, report));
  }

  /** Whether an error (for every target) was reported: the resource cannot be used. */
  get failed(): boolean {
    return this.fatal;
  }

  /**
   * Every problem reported, in the order of the source (as an editor lists them), and a last one
   * counting those past MAX_PROBLEMS_REPORTED.
   */
  problems(): RuleProblem[] {
    const inOrder = [...this.found].sort(
      (a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0),
    );
    if (this.unreported === 0) return inOrder;
    const note = locatedProblem(this.location, this.identity, [], {
      severity: this.fatal ? 'error' : 'warning',
      code: 'too-many-problems',
      message: `${this.unreported} more problem(s) not shown (at most ${MAX_PROBLEMS_REPORTED} are reported)`,
    });
    return [...inOrder, note];
  }
}

/** Istio's networking API, or Pilot's legacy Rules API, where a shared part is read slightly differently. */
export type Dialect = 'istio' | 'legacy';

export interface ReportOptions {
  readonly target?: RenderTarget;
  readonly atKey?: boolean;
}
