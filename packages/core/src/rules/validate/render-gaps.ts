import type { DestinationRuleRule, ParsedRule, ServiceEntryRule, VirtualServiceRule } from '../model';
import { TargetFindings, type Finding } from './finding';
import { headerOperationsPath, policyPath, trafficPolicies } from './rule-parts';

/**
 * What Sextant's renderers do not send (yet) although the target could express it, reported as
 * what a target cannot express is (an error for that target: its clients are not sent it), so no
 * rule silently does less than it says. An entry goes when its renderer learns the field.
 * (What a target cannot express at all is in v1-limits, v3-limits and grpc-limits.)
 */
export function renderGapFindings(rule: ParsedRule): Finding[] {
  const v1 = new TargetFindings('v1');
  const v3 = new TargetFindings('v3');
  if (rule.kind === 'VirtualService') virtualService(rule, v1, v3);
  if (rule.kind === 'DestinationRule') destinationRule(rule, v1, v3);
  if (rule.kind === 'ServiceEntry') serviceEntry(rule, v1, v3);
  return [...v1.found, ...v3.found];
}

function virtualService(rule: VirtualServiceRule, v1: TargetFindings, v3: TargetFindings): void {
  for (const route of rule.http) {
    const origin = route.origin.path;
    const response = route.headers?.response;
    if (response) {
      v3.error(
        origin,
        rule.language === 'gateway-api'
          ? headerOperationsPath(rule)
          : [...headerOperationsPath(rule), 'response'],
        'Sextant does not send response header edits to v3 Envoys',
      );
    }
    if (route.action.kind === 'route') {
      for (const destination of route.action.destinations) {
        if (destination.headers) {
          v3.error(
            destination.origin.path,
            ['headers'],
            'Sextant does not send header edits of one destination to v3 Envoys',
          );
        }
      }
    }
    if (route.websocketUpgrade) {
      v1.error(origin, ['websocketUpgrade'], 'Sextant does not send use_websocket to v1 Envoys');
      v3.error(
        origin,
        ['websocketUpgrade'],
        "Sextant's v3 listeners enable no upgrades: WebSocket upgrades are not allowed",
      );
    }
  }
  for (const route of rule.tcp) {
    for (const target of [v1, v3]) {
      target.error(
        route.origin.path,
        [],
        'Sextant does not render TCP routes yet: TCP traffic to the host goes to the host itself',
      );
    }
  }
}

function destinationRule(rule: DestinationRuleRule, v1: TargetFindings, v3: TargetFindings): void {
  for (const { policy, origin } of trafficPolicies(rule)) {
    const balancer = policy.loadBalancer;
    if (balancer?.kind === 'simple' && balancer.algorithm === 'PASSTHROUGH') {
      v3.error(
        origin,
        policyPath(rule, ['loadBalancer', 'simple']),
        'Sextant sends v3 Envoys no pass-through (ORIGINAL_DST) clusters: they balance by ROUND_ROBIN',
      );
    }
    // v3 and gRPC routes carry the hash policy; v1 routes do not, and v1 cannot hash on any key
    // but a header at all (v1-limits).
    if (balancer?.kind === 'consistent-hash' && 'header' in balancer.hashOn) {
      v1.error(
        origin,
        policyPath(rule, ['loadBalancer', 'consistentHash']),
        'Sextant sends no hash policy with the routes: the cluster hashes nothing, so requests keep no affinity',
      );
    }
    const tls = policy.tls;
    if (tls && (tls.mode === 'SIMPLE' || tls.mode === 'MUTUAL') && tls.caCertificates === undefined) {
      // Envoy checks a server certificate's names only against a CA it trusts.
      if (tls.subjectAltNames.length > 0) {
        for (const target of [v1, v3]) {
          target.error(
            origin,
            policyPath(rule, ['tls', 'subjectAltNames']),
            'Envoy checks subjectAltNames only against a CA: give caCertificates, or the names are not checked',
          );
        }
      }
    }
  }
}

/** resolution NONE: no pass-through clusters, and NONE takes no endpoints, so its hosts have none. */
function serviceEntry(rule: ServiceEntryRule, v1: TargetFindings, v3: TargetFindings): void {
  if (rule.resolution !== 'NONE') return;
  const message =
    'Sextant has no pass-through clusters: clients get clusters for these hosts without endpoints (requests fail with 503); list the addresses with resolution STATIC, or the names with resolution DNS';
  const at = rule.language === 'legacy' ? ['destination'] : ['resolution'];
  for (const target of [v1, v3]) target.error('spec', at, message);
}
