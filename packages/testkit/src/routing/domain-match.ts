/**
 * Choosing the virtual host for a request's authority. Every client compares the whole authority,
 * port included, against `domains` (Sextant lists each name with and without `:port` for that
 * reason); they differ in case handling, in which wildcards they know, and in how they break ties.
 */

/** Whose virtual host selection to reproduce. */
export type DomainRules = 'envoy' | 'envoy-v1' | 'grpc-js' | 'grpc-core';

export interface HasDomains {
  readonly domains: readonly string[];
}

export function selectVirtualHost<T extends HasDomains>(
  hosts: readonly T[],
  authority: string,
  rules: DomainRules,
): T | undefined {
  switch (rules) {
    case 'envoy':
      return envoySelect(hosts, authority, true);
    case 'envoy-v1':
      return envoySelect(hosts, authority, false);
    case 'grpc-js':
      return grpcSelect(hosts, authority, false);
    case 'grpc-core':
      return grpcSelect(hosts, authority, true);
  }
}

/**
 * Envoy (router/config_impl.cc `RouteMatcher::findVirtualHost`): the Host is lower-cased, then
 * looked up among exact domains, then suffix wildcards (`*.foo.com`, `*-bar.foo.com`) longest
 * first, then prefix wildcards (`foo.*`) longest first, then `*`. A wildcard never matches the
 * empty string (`*.foo.com` does not take `.foo.com`). Envoy v1 (1.5) knew only `*` and suffix
 * wildcards: there, `foo.*` is an ordinary exact domain.
 */
function envoySelect<T extends HasDomains>(
  hosts: readonly T[],
  authority: string,
  prefixWildcards: boolean,
): T | undefined {
  const host = authority.toLowerCase();
  const exact: T[] = [];
  const suffixes: { rest: string; host: T }[] = [];
  const prefixes: { rest: string; host: T }[] = [];
  let universe: T | undefined;
  for (const candidate of hosts) {
    for (const raw of candidate.domains) {
      const domain = raw.toLowerCase();
      if (domain === '*') universe ??= candidate;
      else if (domain.startsWith('*')) suffixes.push({ rest: domain.slice(1), host: candidate });
      else if (prefixWildcards && domain.endsWith('*'))
        prefixes.push({ rest: domain.slice(0, -1), host: candidate });
      else if (domain === host) exact.push(candidate);
    }
  }
  if (exact[0]) return exact[0];
  const longestFirst = (a: { rest: string }, b: { rest: string }): number => b.rest.length - a.rest.length;
  const suffix = suffixes
    .sort(longestFirst)
    .find(({ rest }) => host.length > rest.length && host.endsWith(rest));
  if (suffix) return suffix.host;
  const prefix = prefixes
    .sort(longestFirst)
    .find(({ rest }) => host.length > rest.length && host.startsWith(rest));
  if (prefix) return prefix.host;
  return universe;
}

const EXACT = 0;
const SUFFIX = 1;
const PREFIX = 2;
const UNIVERSE = 3;
const INVALID = 4;

function patternType(pattern: string): number {
  if (pattern === '') return INVALID;
  if (!pattern.includes('*')) return EXACT;
  if (pattern === '*') return UNIVERSE;
  if (pattern.startsWith('*')) return SUFFIX;
  if (pattern.endsWith('*')) return PREFIX;
  return INVALID;
}

/**
 * gRPC (grpc-js-xds `findVirtualHostForDomain`, C-core `XdsRouting::FindVirtualHostForDomain`):
 * the best pattern type wins (exact, suffix, prefix, universe), the longest pattern within a type,
 * the first virtual host on a tie. grpc-js compares case-sensitively and lets a wildcard match the
 * empty string; C-core lower-cases both sides and requires the wildcard to match a character.
 */
function grpcSelect<T extends HasDomains>(
  hosts: readonly T[],
  authority: string,
  core: boolean,
): T | undefined {
  const host = core ? authority.toLowerCase() : authority;
  let best: T | undefined;
  let bestType = INVALID;
  let longest = 0;
  for (const candidate of hosts) {
    for (const raw of candidate.domains) {
      const type = patternType(raw);
      if (type > bestType || (type === bestType && raw.length <= longest)) continue;
      const pattern = core ? raw.toLowerCase() : raw;
      if (!grpcDomainMatch(type, pattern, host, core)) continue;
      best = candidate;
      bestType = type;
      longest = raw.length;
      if (bestType === EXACT) return best;
    }
  }
  return best;
}

function grpcDomainMatch(type: number, pattern: string, host: string, core: boolean): boolean {
  if ((type === SUFFIX || type === PREFIX) && core && host.length < pattern.length) return false;
  switch (type) {
    case EXACT:
      return host === pattern;
    case SUFFIX:
      return host.endsWith(pattern.slice(1));
    case PREFIX:
      return host.startsWith(pattern.slice(0, -1));
    case UNIVERSE:
      return true;
    default:
      return false;
  }
}

/**
 * What each client refuses in the domains of a route table, one message per problem: Envoy a
 * domain repeated anywhere in the table (which also bars two `*`) or a virtual host without
 * domains; gRPC a pattern with a `*` other than first or last (C-core also an empty one, and a
 * virtual host without domains).
 */
export function domainProblems(
  hosts: readonly (HasDomains & { readonly name: string })[],
  rules: DomainRules,
): string[] {
  const problems: string[] = [];
  if (rules === 'envoy' || rules === 'envoy-v1') {
    const seen = new Map<string, string>();
    for (const host of hosts) {
      if (host.domains.length === 0 && rules === 'envoy')
        problems.push(`virtual host ${host.name} has no domains`);
      for (const domain of host.domains) {
        const key = domain.toLowerCase();
        const first = seen.get(key);
        if (first !== undefined)
          problems.push(`domain ${domain} of virtual host ${host.name} is already a domain of ${first}`);
        else seen.set(key, host.name);
      }
    }
    return problems;
  }
  for (const host of hosts) {
    if (host.domains.length === 0 && rules === 'grpc-core')
      problems.push(`virtual host ${host.name} has no domains`);
    for (const domain of host.domains) {
      const stars = domain.split('*').length - 1;
      if (
        stars > 1 ||
        (stars === 1 && !domain.startsWith('*') && !domain.endsWith('*')) ||
        (rules === 'grpc-core' && domain === '')
      ) {
        problems.push(`virtual host ${host.name}: invalid domain pattern ${JSON.stringify(domain)}`);
      }
    }
  }
  return problems;
}
