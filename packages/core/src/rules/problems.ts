import type { Problem } from '../errors';
import type { RuleIdentity } from './resource';

/** The clients Sextant renders rules for; what one can express, another may not. */
export type RenderTarget = 'v1' | 'v3' | 'grpc';
export const RENDER_TARGETS: readonly RenderTarget[] = ['v1', 'v3', 'grpc'];

/**
 * Something wrong with a rule, located like every Problem (file:line:column, field path) and
 * naming the rule. An error keeps the resource from being applied (its last valid version stays);
 * a warning is shown wherever the rule is shown. `target` narrows a problem to one kind of client:
 * an error for `v1` means v1 clients are not sent what the rule asks (it cannot be expressed
 * there), while v3 Envoys and gRPC clients are.
 */
export interface RuleProblem extends Problem {
  readonly severity: 'error' | 'warning';
  readonly rule?: RuleIdentity;
  readonly target?: RenderTarget;
  /** A stable code for tools (`sextant analyze`): `unknown-host`, `unknown-subset`, `shadowed-match`… */
  readonly code: string;
}
