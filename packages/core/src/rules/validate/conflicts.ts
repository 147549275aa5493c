import type { DestinationRuleRule, ParsedRule, VirtualServiceRule } from '../model';
import { MESH_GATEWAY } from '../parse/virtual-service';
import { formatRuleIdentity } from '../resource';
import type { Finding } from './finding';
import { byNamespaceAndName } from './references';

/**
 * Rules that compete for one host, and which one wins, as the rule store decides it: of two
 * VirtualServices bound to the mesh for the same host, the first by namespace then name applies
 * (Istio only warns, IST0109, and lets the older win); legacy RouteRules for a host apply only
 * when no VirtualService routes it, and so do Gateway API HTTPRoutes (which merge among
 * themselves); of DestinationRules for one host, subsets merge (a repeated
 * name: the first definition wins) and the first traffic policy applies.
 */
export function conflictFindings(rules: readonly ParsedRule[]): Map<ParsedRule, Finding[]> {
  const found = new Map<ParsedRule, Finding[]>();
  const add = (rule: ParsedRule, finding: Finding): void => {
    found.set(rule, [...(found.get(rule) ?? []), finding]);
  };
  const routing = new Map<string, VirtualServiceRule[]>();
  const legacy = new Map<string, VirtualServiceRule[]>();
  const attached = new Map<string, VirtualServiceRule[]>();
  const policies = new Map<string, DestinationRuleRule[]>();
  for (const rule of [...rules].sort(byNamespaceAndName)) {
    if (rule.kind === 'VirtualService') {
      const bound = rule.gateways.length === 0 || rule.gateways.includes(MESH_GATEWAY);
      const into = rule.language === 'legacy' ? legacy : rule.attachment ? attached : routing;
      if (bound) for (const host of rule.hosts) into.set(host, [...(into.get(host) ?? []), rule]);
    }
    if (rule.kind === 'DestinationRule') policies.set(rule.host, [...(policies.get(rule.host) ?? []), rule]);
  }
  for (const [host, group] of routing) {
    const [winner, ...others] = group;
    if (!winner || others.length === 0) continue;
    const names = others.map((rule) => formatRuleIdentity(rule.identity)).join(', ');
    add(
      winner,
      hostFinding(
        winner,
        host,
        `${names} also ${others.length === 1 ? 'routes' : 'route'} ${host}; this one applies to it (the first by namespace then name)`,
      ),
    );
    for (const other of others) {
      add(
        other,
        hostFinding(
          other,
          host,
          `${formatRuleIdentity(winner.identity)} also routes ${host} and applies to it (the first by namespace then name wins): this one does not`,
        ),
      );
    }
  }
  for (const [host, group] of legacy) {
    const winner = routing.get(host)?.[0] ?? attached.get(host)?.[0];
    if (!winner) continue;
    for (const rule of group) {
      add(rule, {
        origin: 'spec',
        at: ['destination'],
        severity: 'warning',
        code: 'shadowed-route-rule',
        message: `${formatRuleIdentity(winner.identity)} routes ${host}: RouteRules for a host apply only when no VirtualService or HTTPRoute routes it`,
      });
    }
  }
  for (const [host, group] of attached) {
    const winner = routing.get(host)?.[0];
    if (!winner) continue;
    for (const rule of group) {
      const parent = rule.attachment?.parents.findIndex((p) => p.host === host) ?? 0;
      add(rule, {
        origin: 'spec',
        at: ['parentRefs', Math.max(0, parent)],
        severity: 'warning',
        code: 'shadowed-http-route',
        message: `${formatRuleIdentity(winner.identity)} routes ${host}: HTTPRoutes attached to a Service apply only when no VirtualService routes it`,
      });
    }
  }
  for (const [host, group] of policies) {
    const [first, ...later] = group;
    if (!first) continue;
    const defined = new Map(first.subsets.map((subset) => [subset.name, first]));
    let policyFrom = first.trafficPolicy ? first : undefined;
    for (const rule of later) {
      for (const subset of rule.subsets) {
        const earlier = defined.get(subset.name);
        if (earlier) {
          add(rule, {
            origin: subset.origin.path,
            at: ['name'],
            severity: 'warning',
            code: 'duplicate-subset',
            message: `${formatRuleIdentity(earlier.identity)} also defines subset ${subset.name} of ${host} and comes first (by namespace then name): its definition applies, this one does not`,
          });
        } else {
          defined.set(subset.name, rule);
        }
      }
      if (rule.trafficPolicy && policyFrom) {
        add(rule, {
          origin: rule.trafficPolicy.origin.path,
          at: [],
          severity: 'warning',
          code: 'ignored-traffic-policy',
          message: `${formatRuleIdentity(policyFrom.identity)} also sets the traffic policy of ${host} and comes first (by namespace then name): its policy applies, this one does not (its subsets still merge)`,
        });
      } else if (rule.trafficPolicy) {
        policyFrom = rule;
      }
    }
  }
  return found;
}

function hostFinding(rule: VirtualServiceRule, host: string, message: string): Finding {
  return {
    origin: 'spec',
    at: ['hosts', Math.max(0, rule.hosts.indexOf(host))],
    severity: 'warning',
    code: 'conflicting-virtual-services',
    message,
  };
}
