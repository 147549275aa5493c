import type {
  DestinationRuleRule,
  HttpRoute,
  ParsedRule,
  PeerAuthenticationRule,
  VirtualServiceRule,
} from '../model';
import { TargetFindings, type Finding } from './finding';
import { ecmaScriptDifference } from './regex';
import { headerOperationsPath, headerPath, matchRegexes, policyPath, trafficPolicies } from './rule-parts';

/**
 * `retry_on` conditions Envoy v1 knows (Envoy ≤ 1.9; the gRPC ones from 1.6). Others, status
 * codes and back-off cannot be written in a v1 route.
 */
export const V1_RETRY_ON = [
  '5xx',
  'gateway-error',
  'connect-failure',
  'retriable-4xx',
  'refused-stream',
  'cancelled',
  'deadline-exceeded',
  'resource-exhausted',
];

/**
 * What an Envoy v1 proxy cannot be sent of a rule (spec §3.6), and what it gets only
 * approximately. v1 routes are per port, with ECMAScript regexes, one shadow cluster, weights
 * in percent, faults as listener filters keyed by cluster and headers, and v1 clusters.
 */
export function v1Findings(rule: ParsedRule): Finding[] {
  const findings = new TargetFindings('v1');
  if (rule.kind === 'VirtualService') virtualService(rule, findings);
  if (rule.kind === 'DestinationRule') destinationRule(rule, findings);
  if (rule.kind === 'PeerAuthentication') peerAuthentication(rule, findings);
  return findings.found;
}

function virtualService(rule: VirtualServiceRule, findings: TargetFindings): void {
  for (const route of rule.http) httpRoute(rule, route, findings);
  for (const route of rule.tcp) {
    if (route.destinations.length > 1) {
      findings.error(
        route.origin.path,
        ['route'],
        'Envoy v1 tcp_proxy has no weights: a TCP split cannot be sent to v1 proxies',
      );
    }
  }
}

function httpRoute(rule: VirtualServiceRule, route: HttpRoute, findings: TargetFindings): void {
  for (const match of route.matches) {
    for (const { regex, path } of matchRegexes(rule, match)) {
      const difference = ecmaScriptDifference(regex);
      if (difference !== undefined) {
        findings.error(
          match.origin.path,
          path,
          `Envoy v1 matches regexes as ECMAScript: ${difference}`,
          'regex-dialect',
        );
      }
    }
    for (const header of match.headers) {
      if (header.invert) {
        findings.error(
          match.origin.path,
          headerPath(rule, header),
          'Envoy v1 cannot match the absence of a header (withoutHeaders)',
        );
      }
    }
    if (match.queryParams.length > 0) {
      findings.error(match.origin.path, ['queryParams'], 'Envoy v1 cannot match query parameters');
    }
  }
  const origin = route.origin.path;
  const action = route.action;
  if (action.kind === 'redirect') {
    const { code, scheme, port } = action.redirect;
    if (code !== 301)
      findings.error(origin, ['redirect', 'redirectCode'], `Envoy v1 redirects with 301 only (not ${code})`);
    if (scheme !== undefined)
      findings.error(origin, ['redirect', 'scheme'], 'Envoy v1 cannot redirect to another scheme');
    if (port !== undefined)
      findings.error(origin, ['redirect', 'port'], 'Envoy v1 cannot redirect to another port');
  } else if (action.kind === 'direct') {
    findings.error(origin, ['directResponse'], 'Envoy v1 cannot answer with a direct response');
  } else {
    for (const destination of action.destinations) {
      if (destination.headers) {
        findings.error(
          destination.origin.path,
          ['headers'],
          'Envoy v1 weighted clusters cannot edit headers per destination',
        );
      }
    }
  }
  if (route.rewrite?.uriRegex)
    findings.error(origin, ['rewrite', 'uriRegexRewrite'], 'Envoy v1 cannot rewrite with a regex');
  retries(route, findings);
  fault(route, findings);
  for (const [index, mirror] of route.mirrors.entries()) {
    const at = mirror.origin?.path ?? origin;
    if (index > 0)
      findings.error(at, [], 'Envoy v1 mirrors to one cluster only (shadow): further mirrors cannot be sent');
    else if (mirror.percent !== 100 && mirror.percent !== 0) {
      findings.error(
        at,
        [],
        `Envoy v1 mirrors every request or none: ${mirror.percent}% cannot be expressed`,
      );
    }
  }
  for (const [index, origin_] of (route.cors?.allowOrigins ?? []).entries()) {
    if (!('exact' in origin_)) {
      findings.error(
        origin,
        ['corsPolicy', 'allowOrigins', index],
        'Envoy v1 allows CORS origins by exact value only',
      );
    }
  }
  const headers = route.headers;
  const operationsPath = headerOperationsPath(rule);
  if (headers?.request && Object.keys(headers.request.set).length > 0) {
    findings.lossy(
      origin,
      [...operationsPath, 'request', 'set'],
      'Envoy v1 can only add request headers: set is sent as add (an existing value stays)',
    );
  }
  if (headers?.request && headers.request.remove.length > 0) {
    findings.error(
      origin,
      [...operationsPath, 'request', 'remove'],
      'Envoy v1 routes cannot remove request headers',
    );
  }
  const response = headers?.response;
  if (
    response &&
    (Object.keys(response.set).length > 0 ||
      Object.keys(response.add).length > 0 ||
      response.remove.length > 0)
  ) {
    findings.error(origin, [...operationsPath, 'response'], 'Envoy v1 routes cannot edit response headers');
  }
}

function retries(route: HttpRoute, findings: TargetFindings): void {
  const policy = route.retries;
  if (!policy || policy.attempts === 0) return;
  const dropped = policy.retryOn.filter((token) => !V1_RETRY_ON.includes(token));
  if (dropped.length === policy.retryOn.length) {
    findings.error(
      policy.origin.path,
      ['retryOn'],
      `Envoy v1 knows none of ${policy.retryOn.join(',')}: v1 routes get no retries (it knows ${V1_RETRY_ON.join(', ')})`,
    );
  } else if (dropped.length > 0) {
    findings.lossy(
      policy.origin.path,
      ['retryOn'],
      `Envoy v1 does not know ${dropped.join(',')}: v1 routes retry on the rest only`,
    );
  }
  if (policy.backoffMs !== undefined) {
    findings.lossy(
      policy.origin.path,
      ['backoff'],
      "Envoy v1 cannot set a retry back-off: v1 routes use Envoy's default",
    );
  }
}

function fault(route: HttpRoute, findings: TargetFindings): void {
  const injected = route.fault;
  if (!injected) return;
  const origin = injected.origin.path;
  for (const part of ['delay', 'abort'] as const) {
    const percent = injected[part]?.percent;
    if (percent !== undefined && !Number.isInteger(percent)) {
      findings.lossy(
        origin,
        [part],
        `Envoy v1 injects faults by whole percents: ${percent}% is sent as ${Math.trunc(percent)}%`,
      );
    }
  }
  if (injected.abort?.grpcStatus !== undefined) {
    findings.error(origin, ['abort', 'grpcStatus'], 'Envoy v1 can abort with an HTTP status only');
  }
  if (route.matches.some((match) => match.uri !== undefined)) {
    findings.lossy(
      origin,
      [],
      "Envoy v1 injects faults with a listener filter that selects requests by cluster and headers only: the match's uri does not limit the fault there",
    );
  }
}

function destinationRule(rule: DestinationRuleRule, findings: TargetFindings): void {
  for (const { policy, origin } of trafficPolicies(rule)) {
    const balancer = policy.loadBalancer;
    if (balancer?.kind === 'simple' && balancer.algorithm === 'PASSTHROUGH') {
      findings.error(
        origin,
        policyPath(rule, ['loadBalancer', 'simple']),
        'Envoy v1 clusters cannot pass traffic through to the original destination',
      );
    }
    if (balancer?.kind === 'consistent-hash') {
      if (!('header' in balancer.hashOn)) {
        findings.error(
          origin,
          policyPath(rule, ['loadBalancer', 'consistentHash']),
          'Envoy v1 hashes on a request header only',
        );
      }
      if (balancer.ring.kind === 'maglev') {
        findings.error(
          origin,
          policyPath(rule, ['loadBalancer', 'consistentHash', 'maglev']),
          'Envoy v1 has ring hash only, not Maglev',
        );
      }
    }
    if (policy.connectionPool?.idleTimeoutMs !== undefined) {
      findings.error(
        origin,
        policyPath(rule, ['connectionPool', 'http', 'idleTimeout']),
        'Envoy v1 clusters have no idle timeout',
      );
    }
    if (policy.outlierDetection?.minHealthPercent !== undefined) {
      findings.error(
        origin,
        policyPath(rule, ['outlierDetection', 'minHealthPercent']),
        'Envoy v1 clusters cannot set the panic threshold',
      );
    }
    if (policy.tls?.mode === 'ISTIO_MUTUAL' && policy.tls.subjectAltNames.length === 0) {
      findings.lossy(
        origin,
        policyPath(rule, ['tls', 'mode']),
        "Envoy v1 checks exact names only, so the destination's SPIFFE identity is not checked (any certificate of the mesh's CA is taken): list subjectAltNames to check it",
      );
    }
  }
}

/** v1 listeners have one filter chain: TLS or plain text on a port, not both. */
function peerAuthentication(rule: PeerAuthenticationRule, findings: TargetFindings): void {
  const message =
    'Envoy v1 listeners cannot take both mTLS and plain text on one port: PERMISSIVE ports stay plain text for v1 sidecars';
  if (rule.mode === 'PERMISSIVE') findings.error('spec', ['mtls', 'mode'], message);
  for (const port of rule.portLevel) {
    if (port.mode === 'PERMISSIVE')
      findings.error('spec', ['portLevelMtls', String(port.port), 'mode'], message);
  }
}
