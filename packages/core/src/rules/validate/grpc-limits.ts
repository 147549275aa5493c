import type {
  ConnectionPool,
  DestinationRuleRule,
  HttpRoute,
  ParsedRule,
  PeerAuthenticationRule,
  ServiceEntryRule,
  VirtualServiceRule,
} from '../model';
import { TargetFindings, type Finding } from './finding';
import {
  headerOperationsPath,
  headerPath,
  policyPath,
  poolFieldName,
  trafficPolicies,
  uriPath,
} from './rule-parts';

/** The `retry_on` conditions gRPC clients honour (gRFC A44): gRPC status codes. */
export const GRPC_RETRY_ON = [
  'cancelled',
  'deadline-exceeded',
  'internal',
  'resource-exhausted',
  'unavailable',
];
/** gRPC clients make at most 5 attempts (gRFC A44): 4 retries. */
const GRPC_MAX_RETRIES = 4;
/** The largest ring gRPC clients accept (`xds_cluster.cc`, grpc-js `cluster-resource-type.ts`). */
const GRPC_MAX_RING_SIZE = 8_388_608;

/**
 * What proxyless gRPC clients (grpc-js-xds 1.14, C-core 1.51 and later) cannot be sent of a
 * rule (spec §5.2, §5.4): what would make them refuse a whole response is never sent, and
 * what they would silently ignore is reported as not expressed.
 */
export function grpcFindings(rule: ParsedRule): Finding[] {
  const findings = new TargetFindings('grpc');
  if (rule.kind === 'VirtualService') virtualService(rule, findings);
  if (rule.kind === 'DestinationRule') destinationRule(rule, findings);
  if (rule.kind === 'PeerAuthentication') peerAuthentication(rule, findings);
  if (rule.kind === 'ServiceEntry') serviceEntry(rule, findings);
  return findings.found;
}

/**
 * A proxyless server's listener has one filter chain: grpc-js-xds never picks a chain by transport
 * protocol, so a port cannot take mTLS and plain text both. PERMISSIVE is sent as plain text
 * (istiod does the same); STRICT and DISABLE are sent as written.
 */
function peerAuthentication(rule: PeerAuthenticationRule, findings: TargetFindings): void {
  const message =
    'proxyless gRPC servers cannot take mTLS and plain text on one port: PERMISSIVE is sent to them as plain text';
  if (rule.mode === 'PERMISSIVE') findings.lossy('spec', ['mtls', 'mode'], message);
  for (const { port, mode } of rule.portLevel) {
    if (mode === 'PERMISSIVE') findings.lossy('spec', ['portLevelMtls', String(port), 'mode'], message);
  }
}

function virtualService(rule: VirtualServiceRule, findings: TargetFindings): void {
  for (const route of rule.http) httpRoute(rule, route, findings);
}

function httpRoute(rule: VirtualServiceRule, route: HttpRoute, findings: TargetFindings): void {
  for (const match of route.matches) {
    if (match.queryParams.length > 0) {
      findings.error(
        match.origin.path,
        ['queryParams'],
        'gRPC clients are not sent routes that match query parameters (C-core ignores such routes; grpc-js would match without the condition)',
        'route-omitted',
      );
    }
    for (const header of match.headers) {
      if (header.name.endsWith('-bin')) {
        findings.lossy(
          match.origin.path,
          headerPath(rule, header),
          `gRPC clients never match binary headers (${header.name})`,
        );
      }
    }
    if (match.ignoreUriCase && match.uri && 'exact' in match.uri) {
      findings.lossy(
        match.origin.path,
        uriPath(rule),
        'grpc-js matches an exact path without case as a prefix: longer paths match too',
      );
    }
  }
  const origin = route.origin.path;
  const action = route.action;
  if (action.kind === 'redirect') {
    findings.error(
      origin,
      ['redirect'],
      'gRPC clients only route to clusters: a redirect would make them refuse the routes, so it is not sent',
    );
  } else if (action.kind === 'direct') {
    findings.error(
      origin,
      ['directResponse'],
      'gRPC clients only route to clusters: a direct response would make them refuse the routes, so it is not sent',
    );
  } else {
    for (const destination of action.destinations) {
      if (destination.headers)
        findings.error(destination.origin.path, ['headers'], 'gRPC clients do not edit headers');
    }
  }
  if (route.rewrite) findings.error(origin, ['rewrite'], 'gRPC clients do not rewrite requests');
  if (route.headers) findings.error(origin, headerOperationsPath(rule), 'gRPC clients do not edit headers');
  for (const mirror of route.mirrors) {
    findings.error(mirror.origin?.path ?? origin, [], 'gRPC clients do not mirror requests');
  }
  const retries = route.retries;
  if (retries && retries.attempts > 0) {
    const at = retries.origin.path;
    const codes = retries.retryOn.filter((token) => GRPC_RETRY_ON.includes(token));
    const dropped = retries.retryOn.filter((token) => !GRPC_RETRY_ON.includes(token));
    if (codes.length === 0) {
      findings.error(
        at,
        ['retryOn'],
        `gRPC clients retry on gRPC status codes only (${GRPC_RETRY_ON.join(', ')}): none given, so they get no retries`,
      );
    } else if (dropped.length > 0) {
      findings.lossy(
        at,
        ['retryOn'],
        `gRPC clients ignore ${dropped.join(',')}: they retry on ${codes.join(',')} only`,
      );
    }
    if (codes.length > 0 && retries.perTryTimeoutMs !== undefined) {
      findings.lossy(
        at,
        ['perTryTimeout'],
        'gRPC clients ignore perTryTimeout: each attempt may take the whole timeout',
      );
    }
    if (codes.length > 0 && retries.attempts > GRPC_MAX_RETRIES) {
      findings.lossy(
        at,
        ['attempts'],
        `gRPC clients make at most ${GRPC_MAX_RETRIES + 1} attempts: ${retries.attempts} retries become ${GRPC_MAX_RETRIES}`,
      );
    }
  }
  const status = route.fault?.abort?.httpStatus;
  if (route.fault && status !== undefined) {
    findings.lossy(
      route.fault.origin.path,
      ['abort', 'httpStatus'],
      `gRPC clients abort with a gRPC status: HTTP ${status} becomes ${grpcStatusOf(status)}`,
    );
  }
}

/** The gRPC status a client fails an RPC with for an injected HTTP status (grpc-js fault-injection-filter). */
function grpcStatusOf(httpStatus: number): string {
  switch (httpStatus) {
    case 400:
      return 'INTERNAL';
    case 401:
      return 'UNAUTHENTICATED';
    case 403:
      return 'PERMISSION_DENIED';
    case 404:
      return 'UNIMPLEMENTED';
    case 429:
    case 502:
    case 503:
    case 504:
      return 'UNAVAILABLE';
    default:
      return 'UNKNOWN';
  }
}

function destinationRule(rule: DestinationRuleRule, findings: TargetFindings): void {
  for (const { policy, origin } of trafficPolicies(rule)) {
    const balancer = policy.loadBalancer;
    if (balancer?.kind === 'simple' && balancer.algorithm !== 'ROUND_ROBIN') {
      findings.error(
        origin,
        policyPath(rule, ['loadBalancer', 'simple']),
        `gRPC clients refuse clusters balanced by ${balancer.algorithm}: they are sent ROUND_ROBIN (or RING_HASH for a consistent hash)`,
      );
    }
    if (balancer?.kind === 'consistent-hash') {
      if (!('header' in balancer.hashOn)) {
        findings.error(
          origin,
          policyPath(rule, ['loadBalancer', 'consistentHash']),
          'gRPC clients hash on a request header only',
        );
      }
      if (balancer.ring.kind === 'maglev') {
        findings.error(
          origin,
          policyPath(rule, ['loadBalancer', 'consistentHash', 'maglev']),
          'gRPC clients refuse Maglev clusters: they have ring hash only',
        );
      } else if ((balancer.ring.minimumRingSize ?? 0) > GRPC_MAX_RING_SIZE) {
        findings.error(
          origin,
          policyPath(rule, ['loadBalancer', 'consistentHash', 'ringHash']),
          `gRPC clients refuse rings larger than ${GRPC_MAX_RING_SIZE}`,
        );
      }
    }
    const pool = policy.connectionPool;
    const keys = pool ? (Object.keys(pool) as (keyof ConnectionPool)[]) : [];
    const ignored = keys.filter((key) => key !== 'http2MaxRequests');
    if (ignored.length > 0) {
      findings.error(
        origin,
        policyPath(rule, ['connectionPool']),
        `gRPC clients honour only ${poolFieldName(rule, 'http2MaxRequests')} of a connection pool (the requests in flight): ` +
          `${ignored.map((key) => poolFieldName(rule, key)).join(', ')} cannot be sent`,
      );
    }
    if (policy.outlierDetection) {
      findings.error(
        origin,
        policyPath(rule, ['outlierDetection']),
        'gRPC clients eject hosts by success rate or failure percentage only; consecutive errors are not counted, so outlier detection is not sent',
      );
    }
    if (policy.tls && (policy.tls.mode === 'SIMPLE' || policy.tls.mode === 'MUTUAL')) {
      findings.error(
        origin,
        policyPath(rule, ['tls', 'mode']),
        'gRPC clients take certificates only from the certificate providers of their bootstrap, not from files: use ISTIO_MUTUAL (and `sextant bootstrap --format grpc --mtls`); this tls setting is not sent',
      );
    }
  }
}

/** (resolution DNS names are resolved by the daemon: gRPC clients get their addresses.) */
function serviceEntry(rule: ServiceEntryRule, findings: TargetFindings): void {
  if (rule.resolution === 'NONE') {
    findings.error(
      'spec',
      ['resolution'],
      'gRPC clients cannot pass traffic through to where it was sent: a ServiceEntry without endpoints gives them nothing to dial',
    );
  }
}
