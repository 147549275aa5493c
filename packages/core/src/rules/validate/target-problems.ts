import type { ParsedRule, VirtualServiceRule } from '../model';
import type { RenderTarget, RuleProblem } from '../problems';
import type { RuleLocation } from '../resource';
import { problemAtOrigin } from '../parse/located-problem';
import { MAX_PROBLEMS_REPORTED } from '../parse/rule-context';
import type { Finding } from './finding';
import { grpcFindings } from './grpc-limits';
import { renderGapFindings } from './render-gaps';
import { v1Findings } from './v1-limits';
import { v3Findings } from './v3-limits';
import { normaliseWeights } from './weights';

/**
 * What each render target (Envoy v1, v3 Envoy, proxyless gRPC) cannot express of a rule: errors
 * for a target (its clients are not sent that part), warnings for what it expresses only
 * approximately, and warnings for every target (a weight that rounds to 0). Located in the
 * rule's source when `location` is given. At most MAX_PROBLEMS_REPORTED, the rest counted.
 */
export function targetProblems(rule: ParsedRule, location?: RuleLocation): RuleProblem[] {
  const gaps = renderGapFindings(rule);
  const ofTarget = (target: RenderTarget) => gaps.filter((finding) => finding.target === target);
  const groups = [
    weightFindings(rule),
    [...v1Findings(rule), ...ofTarget('v1')],
    [...v3Findings(rule), ...ofTarget('v3')],
    [...grpcFindings(rule), ...ofTarget('grpc')],
  ];
  // Each target's problems together, each group in the order of the source.
  const located = groups.flatMap((group) =>
    group
      .map((finding) => problemAtOrigin(location, rule.identity, finding.origin, finding.at, finding))
      .sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0)),
  );
  // A Gateway API rule is a route per match sharing the rule's parts: each part reported once.
  const seen = new Set<string>();
  const unique = located.filter((problem) => {
    const key = JSON.stringify([problem.target, problem.path, problem.code, problem.message]);
    return !seen.has(key) && seen.add(key);
  });
  const problems = unique.slice(0, MAX_PROBLEMS_REPORTED);
  if (unique.length > problems.length) {
    problems.push(
      problemAtOrigin(location, rule.identity, '', [], {
        severity: 'warning',
        code: 'too-many-problems',
        message: `${unique.length - problems.length} more problem(s) for render targets not shown (at most ${MAX_PROBLEMS_REPORTED} are reported)`,
      }),
    );
  }
  return problems;
}

/** Destinations whose non-zero weight becomes 0 in the split every target is sent. */
function weightFindings(rule: ParsedRule): Finding[] {
  if (rule.kind !== 'VirtualService') return [];
  const findings: Finding[] = [];
  for (const destinations of splits(rule)) {
    const weights = destinations.map((destination) => destination.weight);
    const total = weights.reduce((sum, weight) => sum + weight, 0);
    const normalised = normaliseWeights(weights);
    for (const [index, destination] of destinations.entries()) {
      if (destination.weight > 0 && normalised[index] === 0) {
        const share = ((destination.weight * 100) / total).toPrecision(2);
        findings.push({
          origin: destination.origin.path,
          at: ['weight'],
          severity: 'warning',
          code: 'weight-rounds-to-zero',
          message: `weight ${destination.weight} is ${share}% of the split, which proxies are sent as whole percents summing to 100: it becomes 0 and ${destination.host} gets no traffic`,
        });
      }
    }
  }
  return findings;
}

function splits(rule: VirtualServiceRule): (typeof rule.tcp)[number]['destinations'][] {
  const http = rule.http.flatMap((route) =>
    route.action.kind === 'route' ? [route.action.destinations] : [],
  );
  return [...http, ...rule.tcp.map((route) => route.destinations)];
}
