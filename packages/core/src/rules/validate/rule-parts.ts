import type { FieldPath } from '../../schema/path';
import type {
  ConnectionPool,
  DestinationRuleRule,
  HeaderCondition,
  HttpMatch,
  ParsedRule,
  TrafficPolicy,
  VirtualServiceRule,
} from '../model';

/**
 * Where the parts of a parsed rule were written, for problems found after parsing. Paths are
 * relative to a part's `origin`; the two languages spell some parts differently (a legacy
 * RouteRule matches headers under `match.request.headers`).
 */

/** The path, under a match's origin, of its URI condition. */
export function uriPath(rule: ParsedRule): FieldPath {
  if (rule.language === 'gateway-api') return ['path'];
  return rule.language === 'legacy' ? ['request', 'headers', 'uri'] : ['uri'];
}

/** The path, under a match's origin, of a header condition (`headers.x-user`, `withoutHeaders.x`, `method`). */
export function headerPath(rule: ParsedRule, condition: HeaderCondition): FieldPath {
  const pseudo = condition.name.startsWith(':');
  const name = pseudo ? condition.name.slice(1) : condition.name;
  if (rule.language === 'legacy') return ['request', 'headers', name];
  // A Gateway API match lists its headers; which one is not kept past parsing.
  if (rule.language === 'gateway-api') return pseudo ? [name] : ['headers'];
  if (pseudo) return [name];
  return [condition.invert ? 'withoutHeaders' : 'headers', name];
}

/** The path, under a route's origin, of its header operations. */
export function headerOperationsPath(rule: VirtualServiceRule): FieldPath {
  if (rule.language === 'gateway-api') return ['filters'];
  return rule.language === 'legacy' ? ['appendHeaders'] : ['headers'];
}

/** A regex a match uses, with where it is written. */
export function matchRegexes(rule: ParsedRule, match: HttpMatch): { regex: string; path: FieldPath }[] {
  const found: { regex: string; path: FieldPath }[] = [];
  if (match.uri && 'regex' in match.uri)
    found.push({
      regex: match.uri.regex,
      path: [...uriPath(rule), rule.language === 'gateway-api' ? 'value' : 'regex'],
    });
  for (const header of match.headers) {
    if (header.match && 'regex' in header.match)
      found.push({ regex: header.match.regex, path: [...headerPath(rule, header), 'regex'] });
  }
  return found;
}

/** A traffic policy of a DestinationRule, with where it is written: the rule's, a subset's, a port's. */
export interface PlacedPolicy {
  readonly policy: Omit<TrafficPolicy, 'portLevel'>;
  readonly origin: string;
}

/** Every traffic policy a DestinationRule holds, port-level ones included. */
export function trafficPolicies(rule: DestinationRuleRule): PlacedPolicy[] {
  const placed: PlacedPolicy[] = [];
  const add = (policy: TrafficPolicy | undefined): void => {
    if (!policy) return;
    placed.push({ policy, origin: policy.origin.path });
    for (const port of policy.portLevel) placed.push({ policy: port, origin: port.origin.path });
  };
  add(rule.trafficPolicy);
  for (const subset of rule.subsets) add(subset.trafficPolicy);
  return placed;
}

/**
 * The path, under a traffic policy's origin, of one of its parts (`loadBalancer.simple`), as the
 * rule's language writes it: a legacy DestinationPolicy has `loadBalancing` and
 * `circuitBreaker.simpleCb` instead.
 */
export function policyPath(rule: DestinationRuleRule, path: FieldPath): FieldPath {
  if (rule.language !== 'legacy') return path;
  const [part] = path;
  if (part === 'loadBalancer') return ['loadBalancing', 'name'];
  if (part === 'connectionPool' || part === 'outlierDetection') return ['circuitBreaker', 'simpleCb'];
  return path;
}

/** Where each connection pool setting is written, in each language (a legacy DestinationPolicy's `simpleCb`). */
const POOL_FIELDS: Readonly<Record<keyof ConnectionPool, { istio: string; legacy: string }>> = {
  maxConnections: { istio: 'tcp.maxConnections', legacy: 'maxConnections' },
  connectTimeoutMs: { istio: 'tcp.connectTimeout', legacy: 'connectTimeout' },
  http1MaxPendingRequests: { istio: 'http.http1MaxPendingRequests', legacy: 'httpMaxPendingRequests' },
  http2MaxRequests: { istio: 'http.http2MaxRequests', legacy: 'httpMaxRequests' },
  maxRequestsPerConnection: {
    istio: 'http.maxRequestsPerConnection',
    legacy: 'httpMaxRequestsPerConnection',
  },
  maxRetries: { istio: 'http.maxRetries', legacy: 'httpMaxRetries' },
  idleTimeoutMs: { istio: 'http.idleTimeout', legacy: 'idleTimeout' },
};

/** A connection pool setting as the rule writes it, under its connection pool (`tcp.maxConnections`). */
export function poolFieldName(rule: DestinationRuleRule, key: keyof ConnectionPool): string {
  return POOL_FIELDS[key][rule.language === 'legacy' ? 'legacy' : 'istio'];
}
