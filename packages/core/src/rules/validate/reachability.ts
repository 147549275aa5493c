import { showValue } from '../../schema/show-value';
import type { HttpMatch, HttpRoute, ParsedRule, VirtualServiceRule } from '../model';
import { formatRuleIdentity } from '../resource';
import type { Finding } from './finding';
import { byNamespaceAndName } from './references';

/**
 * Routes no request reaches and matches that never take a request, in one VirtualService (as
 * Istio's `analyzeUnreachableHTTPRules`, plus prefixes): a route after one that matches every
 * request; a match identical to an earlier one; a match whose URI an earlier match's prefix
 * covers when that earlier match has no other condition. A route all of whose matches are
 * taken is unreachable too. Warnings: the rule works, but not as written.
 */
export function reachabilityFindings(rule: VirtualServiceRule): Finding[] {
  const findings: Finding[] = [];
  const warn = (origin: string, code: Finding['code'], message: string): void => {
    findings.push({ origin, at: [], severity: 'warning', code, message });
  };
  let catchAll: HttpRoute | undefined;
  const seen = new Map<string, HttpMatch>();
  const prefixes: HttpMatch[] = [];
  for (const route of rule.http) {
    if (catchAll) {
      warn(
        route.origin.path,
        'unreachable-route',
        `no request reaches this route: ${catchAll.origin.path} before it matches every request`,
      );
      continue;
    }
    if (route.matches.length === 0) {
      catchAll = route;
      continue;
    }
    let taken = 0;
    for (const match of route.matches) {
      const key = matchKey(match);
      const same = seen.get(key);
      const covering = same ? undefined : prefixes.find((prefix) => covers(prefix, match));
      if (same) {
        warn(
          match.origin.path,
          'ineffective-match',
          `this match repeats ${same.origin.path}, which takes its requests first`,
        );
        taken += 1;
      } else if (covering) {
        const prefix = covering.uri && 'prefix' in covering.uri ? covering.uri.prefix : '';
        warn(
          match.origin.path,
          'ineffective-match',
          `${covering.origin.path} matches every URI starting with ${showValue(prefix)} and nothing else, so it takes the requests of this match first`,
        );
        taken += 1;
      } else {
        seen.set(key, match);
      }
      if (isPrefixOnly(match)) prefixes.push(match);
    }
    if (taken === route.matches.length) {
      warn(
        route.origin.path,
        'unreachable-route',
        'no request reaches this route: earlier routes take every request its matches select',
      );
    }
    if (route.matches.some(matchesEverything)) catchAll = route;
  }
  return findings;
}

/**
 * Legacy RouteRules of one host in the order Pilot applied them (precedence, highest first, then
 * namespace and name): the rules after one that matches every request are never reached.
 */
export function legacyReachabilityFindings(rules: readonly ParsedRule[]): Map<VirtualServiceRule, Finding[]> {
  const byHost = new Map<string, VirtualServiceRule[]>();
  for (const rule of rules) {
    if (rule.kind !== 'VirtualService' || rule.language !== 'legacy') continue;
    for (const host of rule.hosts) byHost.set(host, [...(byHost.get(host) ?? []), rule]);
  }
  const found = new Map<VirtualServiceRule, Finding[]>();
  for (const [host, group] of byHost) {
    const ordered = [...group].sort(
      (a, b) => (b.precedence ?? 0) - (a.precedence ?? 0) || byNamespaceAndName(a, b),
    );
    const first = ordered.findIndex((rule) =>
      rule.http.every((route) => route.matches.length === 0 || route.matches.some(matchesEverything)),
    );
    if (first === -1) continue;
    const catchAll = ordered[first] as VirtualServiceRule;
    for (const rule of ordered.slice(first + 1)) {
      const findings = found.get(rule) ?? [];
      findings.push({
        origin: 'spec',
        at: ['precedence'],
        severity: 'warning',
        code: 'unreachable-route',
        message:
          `no request to ${host} reaches this rule: ${formatRuleIdentity(catchAll.identity)} (precedence ${catchAll.precedence ?? 0}) ` +
          `comes first and matches every request (RouteRules apply by precedence, highest first, then namespace and name)`,
      });
      found.set(rule, findings);
    }
  }
  return found;
}

/** The conditions of a match, as a key: two matches with equal keys select the same requests. */
function matchKey(match: HttpMatch): string {
  const source = match.source && {
    ...match.source,
    ...(match.source.labels && { labels: Object.entries(match.source.labels).sort() }),
  };
  return JSON.stringify([
    match.uri,
    match.ignoreUriCase,
    match.headers,
    match.queryParams,
    match.port,
    source,
  ]);
}

function hasOtherConditions(match: HttpMatch): boolean {
  return (
    match.headers.length > 0 ||
    match.queryParams.length > 0 ||
    match.port !== undefined ||
    match.source !== undefined
  );
}

/** A match on a URI prefix and nothing else. */
function isPrefixOnly(match: HttpMatch): boolean {
  return match.uri !== undefined && 'prefix' in match.uri && !hasOtherConditions(match);
}

/** A match with no condition that can fail: no URI (or `/`, `.*`), no headers, nothing else. */
export function matchesEverything(match: HttpMatch): boolean {
  if (hasOtherConditions(match)) return false;
  const uri = match.uri;
  if (!uri) return true;
  if ('prefix' in uri) return uri.prefix === '' || uri.prefix === '/';
  if ('regex' in uri) return uri.regex === '.*' || uri.regex === '/.*';
  return false;
}

/** Whether every request `later` matches, the prefix-only match `prefix` matches too. */
function covers(prefix: HttpMatch, later: HttpMatch): boolean {
  if (!prefix.uri || !('prefix' in prefix.uri) || !later.uri) return false;
  const path = 'prefix' in later.uri ? later.uri.prefix : 'exact' in later.uri ? later.uri.exact : undefined;
  if (path === undefined) return false;
  if (prefix.ignoreUriCase) return path.toLowerCase().startsWith(prefix.uri.prefix.toLowerCase());
  return !later.ignoreUriCase && path.startsWith(prefix.uri.prefix);
}
