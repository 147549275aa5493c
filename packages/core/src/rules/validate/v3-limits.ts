import type { ParsedRule } from '../model';
import { TargetFindings, type Finding } from './finding';

/** The redirect codes Envoy v3 can send (`RedirectAction.RedirectResponseCode`). */
export const V3_REDIRECT_CODES = [301, 302, 303, 307, 308];

/**
 * What a v3 Envoy cannot be sent of a rule: Istio validates any 3xx redirect code, but Envoy
 * has five, and istiod renders the others as a route with no action at all.
 */
export function v3Findings(rule: ParsedRule): Finding[] {
  const findings = new TargetFindings('v3');
  if (rule.kind !== 'VirtualService') return findings.found;
  for (const route of rule.http) {
    if (route.action.kind === 'redirect' && !V3_REDIRECT_CODES.includes(route.action.redirect.code)) {
      findings.error(
        route.origin.path,
        ['redirect', 'redirectCode'],
        `Envoy redirects with ${V3_REDIRECT_CODES.join(', ')} only: a ${route.action.redirect.code} redirect is not sent`,
        'redirect-code',
      );
    }
  }
  return findings.found;
}
