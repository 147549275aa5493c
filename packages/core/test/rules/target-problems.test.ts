import { ecmaScriptDifference, normaliseWeights, targetProblems, type ParsedRule } from '../../src';
import { parseOne, yaml } from './helpers';

// What each render target cannot express (spec §3.6 for Envoy v1, §5.2/§5.4 for proxyless gRPC,
// §4.3 for v3), reported per rule and per target, located like every other problem.

function virtualService(...specLines: string[]): string {
  return yaml(
    'apiVersion: networking.istio.io/v1',
    'kind: VirtualService',
    'metadata: { name: reviews }',
    'spec:',
    '  hosts: [reviews]',
    ...specLines.map((line) => `  ${line}`),
  );
}

function destinationRule(...specLines: string[]): string {
  return yaml(
    'apiVersion: networking.istio.io/v1',
    'kind: DestinationRule',
    'metadata: { name: reviews }',
    'spec:',
    '  host: reviews',
    ...specLines.map((line) => `  ${line}`),
  );
}

/** The problems of the rule in `text` for `target` (`all`: those for every target), formatted. */
function problemsFor(text: string, target: 'v1' | 'v3' | 'grpc' | 'all'): string[] {
  const { lines } = parseOne(text);
  if (target === 'all') return lines.filter((line) => !/: (error|warning) for /.test(line));
  return lines.filter((line) => line.includes(` for ${target}: `));
}

describe('Envoy v1 (spec §3.6)', () => {
  it('refuses what v1 routes cannot express, and warns where they approximate', () => {
    const text = virtualService(
      'http:',
      '- match:',
      '  - uri: { regex: "(?i)/api/.*" }',
      '    withoutHeaders: { x-canary: {} }',
      '    queryParams: { debug: { exact: "1" } }',
      '  route: [{ destination: { host: reviews }, headers: { request: { set: { x-a: b } } } }]',
      '  rewrite: { uriRegexRewrite: { match: "^/v1/(.*)$", rewrite: "/v2/\\\\1" } }',
      '  retries: { attempts: 2, retryOn: "5xx,reset,503", backoff: 50ms }',
      '  fault: { abort: { grpcStatus: UNAVAILABLE, percentage: { value: 0.5 } } }',
      '  mirrors: [{ destination: { host: ratings }, percentage: { value: 10 } }, { destination: { host: details } }]',
      '  headers: { request: { set: { x-b: c }, remove: [x-c] }, response: { add: { x-d: e } } }',
      '- redirect: { uri: /moved, redirectCode: 302, scheme: https }',
      '- directResponse: { status: 503 }',
    );
    expect(problemsFor(text, 'v1')).toEqual([
      'rules.yaml:8:21: error for v1: VirtualService default/reviews: spec.http[0].match[0].uri.regex: Envoy v1 matches regexes as ECMAScript: flags such as (?i) are not ECMAScript: Envoy v1 refuses or misreads them [regex-dialect]',
      'rules.yaml:9:35: error for v1: VirtualService default/reviews: spec.http[0].match[0].withoutHeaders.x-canary: Envoy v1 cannot match the absence of a header (withoutHeaders) [not-expressible]',
      'rules.yaml:10:20: error for v1: VirtualService default/reviews: spec.http[0].match[0].queryParams: Envoy v1 cannot match query parameters [not-expressible]',
      'rules.yaml:11:56: error for v1: VirtualService default/reviews: spec.http[0].route[0].headers: Envoy v1 weighted clusters cannot edit headers per destination [not-expressible]',
      'rules.yaml:12:33: error for v1: VirtualService default/reviews: spec.http[0].rewrite.uriRegexRewrite: Envoy v1 cannot rewrite with a regex [not-expressible]',
      'rules.yaml:13:38: warning for v1: VirtualService default/reviews: spec.http[0].retries.retryOn: Envoy v1 does not know reset,503: v1 routes retry on the rest only [lossy]',
      "rules.yaml:13:64: warning for v1: VirtualService default/reviews: spec.http[0].retries.backoff: Envoy v1 cannot set a retry back-off: v1 routes use Envoy's default [lossy]",
      "rules.yaml:14:12: warning for v1: VirtualService default/reviews: spec.http[0].fault: Envoy v1 injects faults with a listener filter that selects requests by cluster and headers only: the match's uri does not limit the fault there [lossy]",
      'rules.yaml:14:21: warning for v1: VirtualService default/reviews: spec.http[0].fault.abort: Envoy v1 injects faults by whole percents: 0.5% is sent as 0% [lossy]',
      'rules.yaml:14:35: error for v1: VirtualService default/reviews: spec.http[0].fault.abort.grpcStatus: Envoy v1 can abort with an HTTP status only [not-expressible]',
      'rules.yaml:15:30: error for v1: VirtualService default/reviews: spec.http[0].mirrors[0].destination: Envoy v1 mirrors every request or none: 10% cannot be expressed [not-expressible]',
      'rules.yaml:15:93: error for v1: VirtualService default/reviews: spec.http[0].mirrors[1].destination: Envoy v1 mirrors to one cluster only (shadow): further mirrors cannot be sent [not-expressible]',
      'rules.yaml:16:32: warning for v1: VirtualService default/reviews: spec.http[0].headers.request.set: Envoy v1 can only add request headers: set is sent as add (an existing value stays) [lossy]',
      'rules.yaml:16:52: error for v1: VirtualService default/reviews: spec.http[0].headers.request.remove: Envoy v1 routes cannot remove request headers [not-expressible]',
      'rules.yaml:16:71: error for v1: VirtualService default/reviews: spec.http[0].headers.response: Envoy v1 routes cannot edit response headers [not-expressible]',
      'rules.yaml:17:44: error for v1: VirtualService default/reviews: spec.http[1].redirect.redirectCode: Envoy v1 redirects with 301 only (not 302) [not-expressible]',
      'rules.yaml:17:57: error for v1: VirtualService default/reviews: spec.http[1].redirect.scheme: Envoy v1 cannot redirect to another scheme [not-expressible]',
      'rules.yaml:18:21: error for v1: VirtualService default/reviews: spec.http[2].directResponse: Envoy v1 cannot answer with a direct response [not-expressible]',
    ]);
  });

  it('a fault on a route matched by URI leaks to other routes of the cluster in v1', () => {
    const text = virtualService(
      'http:',
      '- match: [{ uri: { prefix: /slow } }]',
      '  fault: { delay: { fixedDelay: 5s, percentage: { value: 100 } } }',
      '  route: [{ destination: { host: reviews } }]',
    );
    expect(problemsFor(text, 'v1')).toEqual([
      "rules.yaml:8:12: warning for v1: VirtualService default/reviews: spec.http[0].fault: Envoy v1 injects faults with a listener filter that selects requests by cluster and headers only: the match's uri does not limit the fault there [lossy]",
    ]);
  });

  it('a TCP split, PASSTHROUGH, non-header hashing, Maglev, idle timeouts, panic threshold and ISTIO_MUTUAL', () => {
    expect(
      problemsFor(
        virtualService(
          'tcp:',
          '- route: [{ destination: { host: a }, weight: 50 }, { destination: { host: b }, weight: 50 }]',
        ),
        'v1',
      ),
    ).toEqual([
      'rules.yaml:7:5: error for v1: VirtualService default/reviews: spec.tcp[0]: Sextant does not render TCP routes yet: TCP traffic to the host goes to the host itself [not-expressible]',
      'rules.yaml:7:12: error for v1: VirtualService default/reviews: spec.tcp[0].route: Envoy v1 tcp_proxy has no weights: a TCP split cannot be sent to v1 proxies [not-expressible]',
    ]);
    const text = destinationRule(
      'trafficPolicy:',
      '  loadBalancer: { simple: PASSTHROUGH }',
      '  connectionPool: { http: { idleTimeout: 30s } }',
      '  outlierDetection: { minHealthPercent: 50 }',
      '  tls: { mode: ISTIO_MUTUAL }',
      'subsets:',
      '- name: v1',
      '  trafficPolicy: { loadBalancer: { consistentHash: { useSourceIp: true, maglev: { tableSize: 65537 } } } }',
    );
    expect(problemsFor(text, 'v1')).toEqual([
      'rules.yaml:7:29: error for v1: DestinationRule default/reviews: spec.trafficPolicy.loadBalancer.simple: Envoy v1 clusters cannot pass traffic through to the original destination [not-expressible]',
      'rules.yaml:8:44: error for v1: DestinationRule default/reviews: spec.trafficPolicy.connectionPool.http.idleTimeout: Envoy v1 clusters have no idle timeout [not-expressible]',
      'rules.yaml:9:43: error for v1: DestinationRule default/reviews: spec.trafficPolicy.outlierDetection.minHealthPercent: Envoy v1 clusters cannot set the panic threshold [not-expressible]',
      "rules.yaml:10:18: warning for v1: DestinationRule default/reviews: spec.trafficPolicy.tls.mode: Envoy v1 checks exact names only, so the destination's SPIFFE identity is not checked (any certificate of the mesh's CA is taken): list subjectAltNames to check it [lossy]",
      'rules.yaml:13:54: error for v1: DestinationRule default/reviews: spec.subsets[0].trafficPolicy.loadBalancer.consistentHash: Envoy v1 hashes on a request header only [not-expressible]',
      'rules.yaml:13:83: error for v1: DestinationRule default/reviews: spec.subsets[0].trafficPolicy.loadBalancer.consistentHash.maglev: Envoy v1 has ring hash only, not Maglev [not-expressible]',
    ]);
  });

  it('ECMAScript reads these RE2 patterns differently; the common ones alike', () => {
    for (const pattern of [
      '(?i)abc',
      '\\Astart',
      'end\\z',
      '(?P<id>\\d+)',
      '\\pL+',
      '\\Q.*\\E',
      '\\x{41}',
      '[]a]',
      '[[:^alpha:]]',
    ]) {
      expect([pattern, ecmaScriptDifference(pattern)]).toEqual([pattern, expect.any(String)]);
    }
    for (const pattern of [
      '^/api/v[0-9]+/.*$',
      '(?:a|b)+',
      '^(.*?;)?(user=jason)(;.*)?$',
      '[\\]a]',
      '\\d{2,4}',
      '[A-Z]',
    ]) {
      expect([pattern, ecmaScriptDifference(pattern)]).toEqual([pattern, undefined]);
    }
  });
});

describe('proxyless gRPC (spec §5.2, §5.4)', () => {
  it('never sends what makes a client refuse the routes; reports what clients would ignore', () => {
    const text = virtualService(
      'http:',
      '- match: [{ queryParams: { v: { exact: "2" } } }, { uri: { exact: /pkg.Svc/Get }, ignoreUriCase: true, headers: { x-id-bin: {} } }]',
      '  route: [{ destination: { host: reviews } }]',
      '  retries: { attempts: 6, retryOn: "5xx,unavailable", perTryTimeout: 1s }',
      '  fault: { abort: { httpStatus: 503, percentage: { value: 10 } } }',
      '  mirror: { host: ratings }',
      '  rewrite: { uri: /pkg.Svc/Other }',
      '  headers: { request: { add: { x-a: b } } }',
      '- route: [{ destination: { host: reviews } }]',
      '  retries: { attempts: 2, retryOn: "5xx,connect-failure" }',
      '- redirect: { uri: /moved }',
      '- directResponse: { status: 404 }',
    );
    expect(problemsFor(text, 'grpc')).toEqual([
      'rules.yaml:7:28: error for grpc: VirtualService default/reviews: spec.http[0].match[0].queryParams: gRPC clients are not sent routes that match query parameters (C-core ignores such routes; grpc-js would match without the condition) [route-omitted]',
      'rules.yaml:7:60: warning for grpc: VirtualService default/reviews: spec.http[0].match[1].uri: grpc-js matches an exact path without case as a prefix: longer paths match too [lossy]',
      'rules.yaml:7:127: warning for grpc: VirtualService default/reviews: spec.http[0].match[1].headers.x-id-bin: gRPC clients never match binary headers (x-id-bin) [lossy]',
      'rules.yaml:9:26: warning for grpc: VirtualService default/reviews: spec.http[0].retries.attempts: gRPC clients make at most 5 attempts: 6 retries become 4 [lossy]',
      'rules.yaml:9:38: warning for grpc: VirtualService default/reviews: spec.http[0].retries.retryOn: gRPC clients ignore 5xx: they retry on unavailable only [lossy]',
      'rules.yaml:9:72: warning for grpc: VirtualService default/reviews: spec.http[0].retries.perTryTimeout: gRPC clients ignore perTryTimeout: each attempt may take the whole timeout [lossy]',
      'rules.yaml:10:35: warning for grpc: VirtualService default/reviews: spec.http[0].fault.abort.httpStatus: gRPC clients abort with a gRPC status: HTTP 503 becomes UNAVAILABLE [lossy]',
      'rules.yaml:11:13: error for grpc: VirtualService default/reviews: spec.http[0].mirror: gRPC clients do not mirror requests [not-expressible]',
      'rules.yaml:12:14: error for grpc: VirtualService default/reviews: spec.http[0].rewrite: gRPC clients do not rewrite requests [not-expressible]',
      'rules.yaml:13:14: error for grpc: VirtualService default/reviews: spec.http[0].headers: gRPC clients do not edit headers [not-expressible]',
      'rules.yaml:15:38: error for grpc: VirtualService default/reviews: spec.http[1].retries.retryOn: gRPC clients retry on gRPC status codes only (cancelled, deadline-exceeded, internal, resource-exhausted, unavailable): none given, so they get no retries [not-expressible]',
      'rules.yaml:16:15: error for grpc: VirtualService default/reviews: spec.http[2].redirect: gRPC clients only route to clusters: a redirect would make them refuse the routes, so it is not sent [not-expressible]',
      'rules.yaml:17:21: error for grpc: VirtualService default/reviews: spec.http[3].directResponse: gRPC clients only route to clusters: a direct response would make them refuse the routes, so it is not sent [not-expressible]',
    ]);
  });

  it('load balancing only ROUND_ROBIN or a header RING_HASH; circuit breaking max_requests only; no outlier detection or TLS', () => {
    const text = destinationRule(
      'trafficPolicy:',
      '  loadBalancer: { simple: LEAST_REQUEST }',
      '  connectionPool: { tcp: { maxConnections: 10 }, http: { http2MaxRequests: 100, maxRetries: 3 } }',
      '  outlierDetection: { consecutive5xxErrors: 5 }',
      '  tls: { mode: SIMPLE }',
      'subsets:',
      '- name: sticky',
      '  trafficPolicy: { loadBalancer: { consistentHash: { httpCookie: { name: session, ttl: 0s } } } }',
      '- name: ring',
      '  trafficPolicy: { loadBalancer: { consistentHash: { httpHeaderName: x-user, ringHash: { minimumRingSize: 16777216 } } } }',
      '- name: fine',
      '  trafficPolicy: { loadBalancer: { consistentHash: { httpHeaderName: x-user } } }',
    );
    expect(problemsFor(text, 'grpc')).toEqual([
      'rules.yaml:7:29: error for grpc: DestinationRule default/reviews: spec.trafficPolicy.loadBalancer.simple: gRPC clients refuse clusters balanced by LEAST_REQUEST: they are sent ROUND_ROBIN (or RING_HASH for a consistent hash) [not-expressible]',
      'rules.yaml:8:21: error for grpc: DestinationRule default/reviews: spec.trafficPolicy.connectionPool: gRPC clients honour only http.http2MaxRequests of a connection pool (the requests in flight): tcp.maxConnections, http.maxRetries cannot be sent [not-expressible]',
      'rules.yaml:9:23: error for grpc: DestinationRule default/reviews: spec.trafficPolicy.outlierDetection: gRPC clients eject hosts by success rate or failure percentage only; consecutive errors are not counted, so outlier detection is not sent [not-expressible]',
      'rules.yaml:10:18: error for grpc: DestinationRule default/reviews: spec.trafficPolicy.tls.mode: gRPC clients take certificates only from the certificate providers of their bootstrap, not from files: use ISTIO_MUTUAL (and `sextant bootstrap --format grpc --mtls`); this tls setting is not sent [not-expressible]',
      'rules.yaml:13:54: error for grpc: DestinationRule default/reviews: spec.subsets[0].trafficPolicy.loadBalancer.consistentHash: gRPC clients hash on a request header only [not-expressible]',
      'rules.yaml:15:90: error for grpc: DestinationRule default/reviews: spec.subsets[1].trafficPolicy.loadBalancer.consistentHash.ringHash: gRPC clients refuse rings larger than 8388608 [not-expressible]',
    ]);
  });

  it('ServiceEntries gRPC clients cannot dial: pass-through (DNS names are sent resolved)', () => {
    const entry = (resolution: string, endpoints: string): string =>
      yaml(
        'apiVersion: networking.istio.io/v1',
        'kind: ServiceEntry',
        'metadata: { name: ext }',
        'spec:',
        '  hosts: [api.example.com]',
        '  ports: [{ number: 443, name: grpc, protocol: GRPC }]',
        `  resolution: ${resolution}`,
        ...(endpoints ? [`  endpoints: ${endpoints}`] : []),
      );
    expect(problemsFor(entry('DNS', ''), 'grpc')).toEqual([]);
    expect(problemsFor(entry('DNS', '[{ address: api-1.example.com }]'), 'grpc')).toEqual([]);
    expect(problemsFor(entry('NONE', ''), 'grpc')).toHaveLength(1);
    expect(problemsFor(entry('STATIC', '[{ address: 10.0.0.1 }]'), 'grpc')).toEqual([]);
  });
});

describe('PeerAuthentication for proxyless gRPC servers', () => {
  const peerAuthentication = (...specLines: string[]): string =>
    yaml(
      'apiVersion: security.istio.io/v1',
      'kind: PeerAuthentication',
      'metadata: { name: greeter }',
      'spec:',
      '  selector: { matchLabels: { app: greeter } }',
      ...specLines.map((line) => `  ${line}`),
    );

  it('warns that PERMISSIVE is sent as plain text; STRICT and DISABLE are sent as written', () => {
    expect(problemsFor(peerAuthentication('mtls: { mode: STRICT }'), 'grpc')).toEqual([]);
    expect(problemsFor(peerAuthentication('mtls: { mode: DISABLE }'), 'grpc')).toEqual([]);
    expect(
      problemsFor(
        peerAuthentication('mtls: { mode: PERMISSIVE }', 'portLevelMtls: { 8080: { mode: PERMISSIVE } }'),
        'grpc',
      ),
    ).toEqual([
      'rules.yaml:6:17: warning for grpc: PeerAuthentication default/greeter: spec.mtls.mode: proxyless gRPC servers cannot take mTLS and plain text on one port: PERMISSIVE is sent to them as plain text [lossy]',
      'rules.yaml:7:34: warning for grpc: PeerAuthentication default/greeter: spec.portLevelMtls["8080"].mode: proxyless gRPC servers cannot take mTLS and plain text on one port: PERMISSIVE is sent to them as plain text [lossy]',
    ]);
  });
});

describe('what Sextant does not send yet, though the target could express it', () => {
  // Each of these was accepted without a word while no renderer sent it: a rule silently did
  // less than it said. Now each is an error for the targets whose clients are not sent it.
  it('response header edits, header edits per destination, WebSocket upgrades and TCP routes (CORS is sent)', () => {
    const text = virtualService(
      'http:',
      '- route: [{ destination: { host: reviews }, headers: { request: { set: { x-a: b } } } }]',
      '  corsPolicy: { allowOrigins: [{ exact: "https://example.com" }] }',
      '  headers: { response: { remove: [x-internal] } }',
      'tcp:',
      '- route: [{ destination: { host: reviews } }]',
    );
    expect(problemsFor(text, 'v3')).toEqual([
      'rules.yaml:7:56: error for v3: VirtualService default/reviews: spec.http[0].route[0].headers: Sextant does not send header edits of one destination to v3 Envoys [not-expressible]',
      'rules.yaml:9:26: error for v3: VirtualService default/reviews: spec.http[0].headers.response: Sextant does not send response header edits to v3 Envoys [not-expressible]',
      'rules.yaml:11:5: error for v3: VirtualService default/reviews: spec.tcp[0]: Sextant does not render TCP routes yet: TCP traffic to the host goes to the host itself [not-expressible]',
    ]);
    // v1 and v3 send CORS (a route's CORS policy, and a CORS filter before the router).
    for (const target of ['v1', 'v3'] as const)
      expect(problemsFor(text, target).filter((line) => line.includes('corsPolicy'))).toEqual([]);
    const legacy = yaml(
      'apiVersion: config.istio.io/v1alpha2',
      'kind: RouteRule',
      'metadata: { name: ws }',
      'spec:',
      '  destination: { name: reviews }',
      '  websocketUpgrade: true',
    );
    const lines = parseOne(legacy).lines.filter((line) => line.includes('websocketUpgrade'));
    expect(lines).toEqual([
      'rules.yaml:6:21: error for v1: RouteRule default/ws: spec.websocketUpgrade: Sextant does not send use_websocket to v1 Envoys [not-expressible]',
      "rules.yaml:6:21: error for v3: RouteRule default/ws: spec.websocketUpgrade: Sextant's v3 listeners enable no upgrades: WebSocket upgrades are not allowed [not-expressible]",
    ]);
  });

  it('subjectAltNames without a CA, consistent-hash keys on v1 and pass-through clusters', () => {
    const text = destinationRule(
      'trafficPolicy:',
      '  loadBalancer: { consistentHash: { httpHeaderName: x-user } }',
      '  tls: { mode: SIMPLE, subjectAltNames: [a.example.com] }',
      'subsets:',
      '- name: direct',
      '  trafficPolicy: { loadBalancer: { simple: PASSTHROUGH } }',
    );
    const noHash =
      'Sextant sends no hash policy with the routes: the cluster hashes nothing, so requests keep no affinity [not-expressible]';
    // v3 and gRPC routes hash on the key (their hash policy); v1 routes carry none.
    expect(problemsFor(text, 'v3')).toEqual([
      'rules.yaml:8:43: error for v3: DestinationRule default/reviews: spec.trafficPolicy.tls.subjectAltNames: Envoy checks subjectAltNames only against a CA: give caCertificates, or the names are not checked [not-expressible]',
      'rules.yaml:11:46: error for v3: DestinationRule default/reviews: spec.subsets[0].trafficPolicy.loadBalancer.simple: Sextant sends v3 Envoys no pass-through (ORIGINAL_DST) clusters: they balance by ROUND_ROBIN [not-expressible]',
    ]);
    expect(problemsFor(text, 'v1')).toEqual([
      `rules.yaml:7:37: error for v1: DestinationRule default/reviews: spec.trafficPolicy.loadBalancer.consistentHash: ${noHash}`,
      'rules.yaml:8:43: error for v1: DestinationRule default/reviews: spec.trafficPolicy.tls.subjectAltNames: Envoy checks subjectAltNames only against a CA: give caCertificates, or the names are not checked [not-expressible]',
      'rules.yaml:11:46: error for v1: DestinationRule default/reviews: spec.subsets[0].trafficPolicy.loadBalancer.simple: Envoy v1 clusters cannot pass traffic through to the original destination [not-expressible]',
    ]);
    expect(problemsFor(text, 'grpc').filter((line) => line.includes('consistentHash'))).toEqual([]);
  });

  it('ServiceEntries that pass traffic through (NONE): no endpoints for any client; DNS ones are resolved', () => {
    const entry = (resolution: string): string =>
      yaml(
        'apiVersion: networking.istio.io/v1',
        'kind: ServiceEntry',
        'metadata: { name: ext }',
        'spec:',
        '  hosts: [api.example.com]',
        '  ports: [{ number: 80, name: http, protocol: HTTP }]',
        `  resolution: ${resolution}`,
      );
    for (const target of ['v1', 'v3'] as const) expect(problemsFor(entry('DNS'), target)).toEqual([]);
    expect(problemsFor(entry('NONE'), 'v1')).toEqual([
      'rules.yaml:7:15: error for v1: ServiceEntry default/ext: spec.resolution: Sextant has no pass-through clusters: clients get clusters for these hosts without endpoints (requests fail with 503); list the addresses with resolution STATIC, or the names with resolution DNS [not-expressible]',
    ]);
    expect(problemsFor(entry('NONE'), 'v3')).toHaveLength(1);
  });

  it('names connection pool settings as the rule writes them, a legacy DestinationPolicy too', () => {
    const policy = yaml(
      'apiVersion: config.istio.io/v1alpha2',
      'kind: DestinationPolicy',
      'metadata: { name: reviews-cb }',
      'spec:',
      '  destination: { name: reviews }',
      '  circuitBreaker: { simpleCb: { maxConnections: 10, httpMaxRequests: 20, httpMaxPendingRequests: 5 } }',
    );
    expect(problemsFor(policy, 'grpc')).toEqual([
      'rules.yaml:6:31: error for grpc: DestinationPolicy default/reviews-cb: spec.circuitBreaker.simpleCb: gRPC clients honour only httpMaxRequests of a connection pool (the requests in flight): maxConnections, httpMaxPendingRequests cannot be sent [not-expressible]',
    ]);
  });
});

describe('v3 Envoy and every target', () => {
  it('redirect codes Envoy cannot send are refused for v3 (istiod would leave the route without action)', () => {
    const text = (code: number): string =>
      virtualService('http:', `- redirect: { uri: /x, redirectCode: ${code} }`);
    expect(problemsFor(text(300), 'v3')).toEqual([
      'rules.yaml:7:40: error for v3: VirtualService default/reviews: spec.http[0].redirect.redirectCode: Envoy redirects with 301, 302, 303, 307, 308 only: a 300 redirect is not sent [redirect-code]',
    ]);
    for (const code of [301, 302, 303, 307, 308]) expect(problemsFor(text(code), 'v3')).toEqual([]);
  });

  it('warns everywhere when a non-zero weight becomes 0 in the split proxies are sent', () => {
    const text = virtualService(
      'http:',
      '- route:',
      '  - { destination: { host: reviews, subset: v1 }, weight: 1000 }',
      '  - { destination: { host: reviews, subset: v2 }, weight: 3 }',
    );
    expect(problemsFor(text, 'all')).toEqual([
      'rules.yaml:9:61: warning: VirtualService default/reviews: spec.http[0].route[1].weight: weight 3 is 0.30% of the split, which proxies are sent as whole percents summing to 100: it becomes 0 and reviews.default.svc.cluster.local gets no traffic [weight-rounds-to-zero]',
    ]);
  });

  it('a rule every target expresses has no target problems', () => {
    const { rule } = parseOne(
      virtualService(
        'http:',
        '- match: [{ uri: { prefix: /api }, headers: { end-user: { exact: jason } } }]',
        '  route: [{ destination: { host: reviews, subset: v2 }, weight: 75 }, { destination: { host: reviews, subset: v3 }, weight: 25 }]',
        '  timeout: 3s',
        '  retries: { attempts: 2, retryOn: "cancelled,deadline-exceeded,5xx" }',
      ),
    );
    const byTarget = targetProblems(rule as ParsedRule).map((p) => `${p.target ?? 'all'} ${p.message}`);
    // 5xx means nothing to gRPC clients; everything else is expressed everywhere.
    expect(byTarget).toEqual([
      'grpc gRPC clients ignore 5xx: they retry on cancelled,deadline-exceeded only',
    ]);
  });
});

describe('normaliseWeights', () => {
  it('splits into integers summing to 100 by largest remainder, the earlier first on a tie', () => {
    expect(normaliseWeights([80, 20])).toEqual([80, 20]);
    expect(normaliseWeights([1, 1, 1])).toEqual([34, 33, 33]);
    expect(normaliseWeights([2, 1])).toEqual([67, 33]);
    expect(normaliseWeights([1000, 3])).toEqual([100, 0]);
    expect(normaliseWeights([0, 5])).toEqual([0, 100]);
    expect(normaliseWeights([0, 0])).toEqual([0, 0]);
    for (const weights of [
      [7, 11, 13],
      [1, 2, 3, 4, 5, 6],
      [999_999, 1, 1],
    ]) {
      expect(normaliseWeights(weights).reduce((a, b) => a + b, 0)).toBe(100);
    }
  });
});
