import { formatProblem, type Problem } from '@sextant/core';

const SHOWN = 5;

/**
 * Problems as one line for an adapter status: the first five, then how many more, so
 * /debug/registry and /readyz stay readable however broken the file is. The log has them all.
 */
export function summarizeProblems(problems: readonly Problem[]): string {
  const shown = problems.slice(0, SHOWN).map(formatProblem).join('; ');
  return problems.length > SHOWN ? `${shown} (and ${problems.length - SHOWN} more)` : shown;
}
