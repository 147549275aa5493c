import type { FieldPath } from '../../schema/path';
import type { RenderTarget } from '../problems';
import type { RuleProblemCode } from './problem-codes';

/** A problem found in a parsed rule, placed by a part's origin path (and a path under it). */
export interface Finding {
  readonly origin: string;
  readonly at: FieldPath;
  readonly severity: 'error' | 'warning';
  readonly code: RuleProblemCode;
  readonly message: string;
  readonly target?: RenderTarget;
}

/** A target's findings: what it cannot express (`error`: not sent) and what it expresses only approximately (`lossy`). */
export class TargetFindings {
  readonly found: Finding[] = [];

  constructor(readonly target: RenderTarget) {}

  /** The target cannot express it: its clients are not sent it. */
  error(origin: string, at: FieldPath, message: string, code: RuleProblemCode = 'not-expressible'): void {
    this.found.push({ origin, at, severity: 'error', code, message, target: this.target });
  }

  /** The target expresses it only approximately, as the message says. */
  lossy(origin: string, at: FieldPath, message: string, code: RuleProblemCode = 'lossy'): void {
    this.found.push({ origin, at, severity: 'warning', code, message, target: this.target });
  }
}
