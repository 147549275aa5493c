import type { ParsedRule } from '../model';
import { problemAtOrigin } from '../parse/located-problem';
import { MAX_PROBLEMS_REPORTED } from '../parse/rule-context';
import type { RuleProblem } from '../problems';
import { ruleKey, type RuleLocation } from '../resource';
import { conflictFindings } from './conflicts';
import type { Finding } from './finding';
import { HostIndex, type MeshFacts } from './mesh-facts';
import { legacyReachabilityFindings, reachabilityFindings } from './reachability';
import { emptySubsetFindings, referenceFindings, SubsetIndex } from './references';

/**
 * Checks the rules against each other and the mesh, as Istio's analyzers do only as warnings,
 * for what fails at run time: destinations (routes, TCP routes, mirrors) whose host no service
 * or ServiceEntry has, whose subset no DestinationRule for the host defines, whose port the
 * host lacks or that need a port; subsets selecting no instance; unreachable routes and
 * ineffective matches; rules competing for one host, and which wins. Problems by rule key,
 * located in each rule's source when `locations` (by rule key) has it.
 */
export function crossCheck(
  rules: readonly ParsedRule[],
  mesh: MeshFacts,
  locations?: ReadonlyMap<string, RuleLocation>,
): Map<string, RuleProblem[]> {
  const hosts = new HostIndex(mesh, rules);
  const subsets = new SubsetIndex(rules);
  const conflicts = conflictFindings(rules);
  const legacyReach = legacyReachabilityFindings(rules);
  const problems = new Map<string, RuleProblem[]>();
  for (const rule of rules) {
    const findings: Finding[] = [...(conflicts.get(rule) ?? [])];
    if (rule.kind === 'VirtualService') {
      findings.push(...ruleHostFindings(rule, hosts));
      findings.push(...referenceFindings(rule, hosts, subsets));
      findings.push(
        ...(rule.language === 'legacy' ? (legacyReach.get(rule) ?? []) : reachabilityFindings(rule)),
      );
    } else if (rule.kind === 'DestinationRule') {
      findings.push(...destinationRuleHostFindings(rule, hosts));
      findings.push(...emptySubsetFindings(rule, hosts));
    }
    if (findings.length === 0) continue;
    const key = ruleKey(rule.identity);
    const location = locations?.get(key);
    // Errors first (they are what keeps a rule out), then in the order of the source.
    const located = findings
      .map((finding) => problemAtOrigin(location, rule.identity, finding.origin, finding.at, finding))
      .sort(
        (a, b) =>
          Number(a.severity === 'warning') - Number(b.severity === 'warning') ||
          (a.line ?? 0) - (b.line ?? 0) ||
          (a.column ?? 0) - (b.column ?? 0),
      );
    const shown = located.slice(0, MAX_PROBLEMS_REPORTED);
    if (located.length > shown.length) {
      const hidden = located.slice(MAX_PROBLEMS_REPORTED);
      shown.push(
        problemAtOrigin(location, rule.identity, '', [], {
          severity: hidden.some((problem) => problem.severity === 'error') ? 'error' : 'warning',
          code: 'too-many-problems',
          message: `${hidden.length} more problem(s) not shown (at most ${MAX_PROBLEMS_REPORTED} are reported)`,
        }),
      );
    }
    problems.set(key, shown);
  }
  return problems;
}

/** A VirtualService's own hosts that no service has: it routes nothing for them (yet). */
function ruleHostFindings(
  rule: Extract<ParsedRule, { kind: 'VirtualService' }>,
  hosts: HostIndex,
): Finding[] {
  const findings: Finding[] = [];
  for (const [index, host] of rule.hosts.entries()) {
    if (host.startsWith('*') || hosts.lookup(host)) continue;
    findings.push({
      origin: 'spec',
      at:
        rule.language === 'legacy'
          ? ['destination']
          : rule.attachment
            ? [
                'parentRefs',
                Math.max(
                  0,
                  rule.attachment.parents.findIndex((p) => p.host === host),
                ),
              ]
            : ['hosts', index],
      severity: 'warning',
      code: 'unknown-host',
      message: `no service or ServiceEntry has host ${host}: this rule routes nothing for it until one does`,
    });
  }
  return findings;
}

function destinationRuleHostFindings(
  rule: Extract<ParsedRule, { kind: 'DestinationRule' }>,
  hosts: HostIndex,
): Finding[] {
  if (rule.host.startsWith('*') || hosts.lookup(rule.host)) return [];
  return [
    {
      origin: 'spec',
      at: rule.language === 'legacy' ? ['destination'] : ['host'],
      severity: 'warning',
      code: 'unknown-host',
      message: `no service or ServiceEntry has host ${rule.host}: this policy applies to nothing until one does`,
    },
  ];
}
