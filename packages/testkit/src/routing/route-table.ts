import { selectVirtualHost, type DomainRules } from './domain-match';
import type { SimOutcome } from './outcome';
import type { RequestView } from './request';

/** A route compiled for one client: its condition and what it does with a request it takes. */
export interface CompiledRoute {
  /** Position in the virtual host's `routes`, counting routes the client ignores. */
  readonly index: number;
  readonly name?: string;
  matches(request: RequestView): boolean;
  outcome(request: RequestView): SimOutcome;
}

export interface CompiledVirtualHost {
  readonly name: string;
  readonly domains: readonly string[];
  readonly routes: readonly CompiledRoute[];
}

/**
 * The request's virtual host by the client's domain rules, then its first matching route: every
 * client walks routes in order and stops at the first match.
 */
export function routeRequest(
  hosts: readonly CompiledVirtualHost[],
  rules: DomainRules,
  request: RequestView,
): SimOutcome {
  const host = selectVirtualHost(hosts, request.authority, rules);
  if (!host) return { kind: 'no-virtual-host' };
  const route = host.routes.find((candidate) => candidate.matches(request));
  return route ? route.outcome(request) : { kind: 'no-route', virtualHost: host.name };
}

/** How an outcome names the route that matched. */
export interface MatchedRoute {
  readonly virtualHost: string;
  readonly route: { readonly index: number; readonly name?: string };
}

export function matchedRoute(virtualHost: string, index: number, name: string | undefined): MatchedRoute {
  return { virtualHost, route: name ? { index, name } : { index } };
}
