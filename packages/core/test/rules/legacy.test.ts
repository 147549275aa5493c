import {
  crossCheck,
  legacySubsetName,
  meshFactsOf,
  type DestinationRuleRule,
  type ServiceEntryRule,
  type VirtualServiceRule,
} from '../../src';
import { parseAll, parseOne, untargeted, yaml } from './helpers';

// Pilot's legacy Rules API (config.istio.io), as the bookinfo samples of Istio 0.2–0.7 wrote it.

const ROUTE_RULE_ALL_V1 = yaml(
  ...['productpage', 'reviews', 'ratings', 'details'].flatMap((name) => [
    'apiVersion: config.istio.io/v1alpha2',
    'kind: RouteRule',
    'metadata:',
    `  name: ${name}-default`,
    'spec:',
    '  destination:',
    `    name: ${name}`,
    '  precedence: 1',
    '  route:',
    '  - labels:',
    '      version: v1',
    '---',
  ]),
);

const ROUTE_RULE_REVIEWS_TEST_V2 = yaml(
  'apiVersion: config.istio.io/v1alpha2',
  'kind: RouteRule',
  'metadata:',
  '  name: reviews-test-v2',
  'spec:',
  '  destination:',
  '    name: reviews',
  '  precedence: 2',
  '  match:',
  '    request:',
  '      headers:',
  '        cookie:',
  '          regex: "^(.*?;)?(user=jason)(;.*)?$"',
  '  route:',
  '  - labels:',
  '      version: v2',
);

const ROUTE_RULE_RATINGS_TEST_DELAY = yaml(
  'apiVersion: config.istio.io/v1alpha2',
  'kind: RouteRule',
  'metadata:',
  '  name: ratings-test-delay',
  'spec:',
  '  destination:',
  '    name: ratings',
  '  precedence: 2',
  '  match:',
  '    source:',
  '      name: reviews',
  '      labels:',
  '        version: v2',
  '    request:',
  '      headers:',
  '        cookie:',
  '          regex: "^(.*?;)?(user=jason)(;.*)?$"',
  '  route:',
  '  - labels:',
  '      version: v1',
  '  httpFault:',
  '    delay:',
  '      percent: 100',
  '      fixedDelay: 7s',
);

const identity = (name: string, kind = 'RouteRule') => ({ kind, namespace: 'default', name });

describe('legacy RouteRules convert with their own semantics', () => {
  it('route-rule-all-v1: one VirtualServiceRule per RouteRule, precedence kept, the default route appended', () => {
    const { rules, lines } = parseAll(ROUTE_RULE_ALL_V1, 'route-rule-all-v1.yaml');
    expect(untargeted(lines)).toEqual([]);
    expect(rules).toHaveLength(4);
    expect(rules[1]).toEqual<VirtualServiceRule>({
      kind: 'VirtualService',
      identity: identity('reviews-default'),
      hosts: ['reviews.default.svc.cluster.local'],
      gateways: [],
      http: [
        {
          matches: [],
          action: {
            kind: 'route',
            destinations: [
              {
                host: 'reviews.default.svc.cluster.local',
                subset: 'version-v1',
                subsetLabels: { version: 'v1' },
                weight: 100,
                origin: { rule: identity('reviews-default'), path: 'spec.route[0]' },
              },
            ],
          },
          mirrors: [],
          origin: { rule: identity('reviews-default'), path: 'spec' },
        },
      ],
      tcp: [],
      precedence: 1,
      appendDefaultRoute: true,
      language: 'legacy',
    });
  });

  it('route-rule-reviews-test-v2: precedence 2, the cookie regex as a header match, a subset from labels', () => {
    const { rule, lines } = parseOne(ROUTE_RULE_REVIEWS_TEST_V2);
    expect(untargeted(lines)).toEqual([]);
    const vs = rule as VirtualServiceRule;
    expect(vs.precedence).toBe(2);
    expect(vs.appendDefaultRoute).toBe(true);
    expect(vs.http[0]?.matches).toEqual([
      {
        ignoreUriCase: false,
        headers: [{ name: 'cookie', match: { regex: '^(.*?;)?(user=jason)(;.*)?$' }, invert: false }],
        queryParams: [],
        origin: { rule: identity('reviews-test-v2'), path: 'spec.match' },
      },
    ]);
    expect(vs.http[0]?.action).toMatchObject({
      kind: 'route',
      destinations: [{ subset: 'version-v2', subsetLabels: { version: 'v2' } }],
    });
  });

  it('route-rule-ratings-test-delay: match.source is kept as a client selector, not dropped', () => {
    const { rule, lines } = parseOne(ROUTE_RULE_RATINGS_TEST_DELAY);
    expect(untargeted(lines)).toEqual([]);
    const route = (rule as VirtualServiceRule).http[0];
    expect(route?.matches[0]?.source).toEqual({
      service: 'reviews.default.svc.cluster.local',
      labels: { version: 'v2' },
    });
    expect(route?.matches[0]?.headers).toEqual([
      { name: 'cookie', match: { regex: '^(.*?;)?(user=jason)(;.*)?$' }, invert: false },
    ]);
    expect(route?.fault).toEqual({
      delay: { fixedDelayMs: 7000, percent: 100 },
      origin: { rule: identity('ratings-test-delay'), path: 'spec.httpFault' },
    });
    expect((rule as VirtualServiceRule).precedence).toBe(2);
  });

  it('the request-line headers (uri, method, authority, scheme) become the URI and pseudo-header matches', () => {
    const { rule, lines } = parseOne(
      yaml(
        'apiVersion: config.istio.io/v1alpha2',
        'kind: RouteRule',
        'metadata: { name: api }',
        'spec:',
        '  destination: { name: reviews }',
        '  match:',
        '    request:',
        '      headers:',
        '        uri: { prefix: /api/ }',
        '        method: { exact: GET }',
        '        authority: { exact: reviews.example.com }',
        '        x-user: { exact: jason }',
      ),
    );
    expect(untargeted(lines)).toEqual([]);
    const match = (rule as VirtualServiceRule).http[0]?.matches[0];
    expect(match?.uri).toEqual({ prefix: '/api/' });
    expect(match?.headers.map((h) => [h.name, h.match])).toEqual([
      [':authority', { exact: 'reviews.example.com' }],
      [':method', { exact: 'GET' }],
      ['x-user', { exact: 'jason' }],
    ]);
  });

  it('weighted legacy routes must total 100, as the Rules API required', () => {
    const text = (a: number, b: number): string =>
      yaml(
        'apiVersion: config.istio.io/v1alpha2',
        'kind: RouteRule',
        'metadata: { name: reviews-split }',
        'spec:',
        '  destination: { name: reviews }',
        '  route:',
        `  - { labels: { version: v1 }, weight: ${a} }`,
        `  - { labels: { version: v3 }, weight: ${b} }`,
      );
    const good = parseOne(text(75, 25));
    expect((good.rule as VirtualServiceRule).http[0]?.action).toMatchObject({
      destinations: [
        { subset: 'version-v1', weight: 75 },
        { subset: 'version-v3', weight: 25 },
      ],
    });
    expect(parseAll(text(50, 40)).lines).toEqual([
      'rules.yaml:7:3: error: RouteRule default/reviews-split: spec.route: route weights total 90 (must total 100) [legacy-weight-total]',
    ]);
  });

  it('timeouts, retries (as Pilot rendered them), redirect, rewrite, websocket, mirror, CORS and appended headers', () => {
    const { rule, lines } = parseOne(
      yaml(
        'apiVersion: config.istio.io/v1alpha2',
        'kind: RouteRule',
        'metadata: { name: everything, namespace: shop }',
        'spec:',
        '  destination: { name: web }',
        '  httpReqTimeout: { simpleTimeout: { timeout: 30s } }',
        '  httpReqRetries: { simpleRetry: { attempts: 1, perTryTimeout: 5s } }',
        '  rewrite: { uri: /v2/, authority: web-v2 }',
        '  websocketUpgrade: true',
        '  mirror: { name: web, labels: { version: canary } }',
        '  corsPolicy: { allowOrigin: [https://example.com], allowMethods: [GET, POST], maxAge: 300s, allowCredentials: true }',
        '  appendHeaders: { x-route: everything }',
      ),
    );
    expect(untargeted(lines)).toEqual([]);
    const route = (rule as VirtualServiceRule).http[0];
    expect(route).toMatchObject({
      timeoutMs: 30_000,
      retries: { attempts: 1, perTryTimeoutMs: 5000, retryOn: ['5xx', 'connect-failure', 'refused-stream'] },
      rewrite: { uri: '/v2/', authority: 'web-v2' },
      websocketUpgrade: true,
      mirrors: [
        {
          destination: {
            host: 'web.shop.svc.cluster.local',
            subset: 'version-canary',
            subsetLabels: { version: 'canary' },
          },
          percent: 100,
        },
      ],
      cors: {
        allowOrigins: [{ exact: 'https://example.com' }],
        allowMethods: ['GET', 'POST'],
        maxAgeSeconds: 300,
        allowCredentials: true,
      },
      headers: { request: { set: {}, add: { 'x-route': 'everything' }, remove: [] } },
    });
    const redirect = parseOne(
      yaml(
        'apiVersion: config.istio.io/v1alpha2',
        'kind: RouteRule',
        'metadata: { name: moved }',
        'spec:',
        '  destination: { name: web }',
        '  redirect: { uri: /new, authority: new.example.com }',
      ),
    );
    expect((redirect.rule as VirtualServiceRule).http[0]?.action).toEqual({
      kind: 'redirect',
      redirect: { uri: '/new', authority: 'new.example.com', code: 301 },
    });
  });

  it('IstioService names resolve as Pilot resolved them, and a name with a dot is used as written', () => {
    const host = (destination: string): string | undefined => {
      const { rule } = parseOne(
        yaml(
          'apiVersion: config.istio.io/v1alpha2',
          'kind: RouteRule',
          'metadata: { name: r, namespace: shop }',
          'spec:',
          `  destination: ${destination}`,
        ),
      );
      return (rule as VirtualServiceRule).hosts[0];
    };
    expect(host('{ name: reviews }')).toBe('reviews.shop.svc.cluster.local');
    expect(host('{ name: reviews, namespace: books }')).toBe('reviews.books.svc.cluster.local');
    expect(host('{ name: reviews, namespace: books, domain: svc.corp.local }')).toBe(
      'reviews.books.svc.corp.local',
    );
    expect(host('{ service: reviews.other.svc.cluster.local }')).toBe('reviews.other.svc.cluster.local');
    expect(host('{ name: web.service.consul }')).toBe('web.service.consul');
  });
});

describe('legacy DestinationPolicy and EgressRule', () => {
  it('a DestinationPolicy with labels becomes a subset named as istioctl named it, with the policy', () => {
    const { rule, lines } = parseOne(
      yaml(
        'apiVersion: config.istio.io/v1alpha2',
        'kind: DestinationPolicy',
        'metadata: { name: httpbin-circuit-breaker }',
        'spec:',
        '  destination:',
        '    name: httpbin',
        '    labels: { version: v1 }',
        '  loadBalancing: { name: RANDOM }',
        '  circuitBreaker:',
        '    simpleCb:',
        '      maxConnections: 1',
        '      httpMaxPendingRequests: 1',
        '      sleepWindow: 3m',
        '      httpDetectionInterval: 1s',
        '      httpMaxEjectionPercent: 100',
        '      httpConsecutiveErrors: 1',
        '      httpMaxRequestsPerConnection: 1',
      ),
    );
    expect(untargeted(lines)).toEqual([]);
    const policy = identity('httpbin-circuit-breaker', 'DestinationPolicy');
    expect(rule).toEqual<DestinationRuleRule>({
      kind: 'DestinationRule',
      identity: policy,
      host: 'httpbin.default.svc.cluster.local',
      subsets: [
        {
          name: 'version-v1',
          labels: { version: 'v1' },
          trafficPolicy: {
            loadBalancer: { kind: 'simple', algorithm: 'RANDOM' },
            connectionPool: { maxConnections: 1, http1MaxPendingRequests: 1, maxRequestsPerConnection: 1 },
            outlierDetection: {
              consecutive5xxErrors: 1,
              intervalMs: 1000,
              baseEjectionTimeMs: 180_000,
              maxEjectionPercent: 100,
            },
            portLevel: [],
            origin: { rule: policy, path: 'spec' },
          },
          origin: { rule: policy, path: 'spec.destination' },
        },
      ],
      language: 'legacy',
    });
  });

  it("what a target cannot express of a DestinationPolicy is named in the legacy API's own fields", () => {
    const { lines } = parseOne(
      yaml(
        'apiVersion: config.istio.io/v1alpha2',
        'kind: DestinationPolicy',
        'metadata: { name: reviews-cb }',
        'spec:',
        '  destination: { name: reviews }',
        '  loadBalancing: { name: RANDOM }',
        '  circuitBreaker: { simpleCb: { maxConnections: 1, httpConsecutiveErrors: 1 } }',
      ),
    );
    expect(
      lines
        .filter((line) => line.includes('for grpc'))
        .map((line) => line.split(': ').slice(0, 4).join(': ')),
    ).toEqual([
      'rules.yaml:6:26: error for grpc: DestinationPolicy default/reviews-cb: spec.loadBalancing.name',
      'rules.yaml:7:31: error for grpc: DestinationPolicy default/reviews-cb: spec.circuitBreaker.simpleCb',
      'rules.yaml:7:31: error for grpc: DestinationPolicy default/reviews-cb: spec.circuitBreaker.simpleCb',
    ]);
  });

  it('a DestinationPolicy without labels is the host policy; LEAST_CONN is least request', () => {
    const { rule } = parseOne(
      yaml(
        'apiVersion: config.istio.io/v1beta1',
        'kind: DestinationPolicy',
        'metadata: { name: reviews-lb }',
        'spec:',
        '  destination: { name: reviews }',
        '  loadBalancing: { name: LEAST_CONN }',
      ),
    );
    expect(rule).toMatchObject({
      subsets: [],
      trafficPolicy: { loadBalancer: { kind: 'simple', algorithm: 'LEAST_REQUEST' } },
    });
  });

  it('an EgressRule becomes a ServiceEntry with resolution NONE; a CIDR block becomes an address', () => {
    const { rules, lines } = parseAll(
      yaml(
        'apiVersion: config.istio.io/v1alpha2',
        'kind: EgressRule',
        'metadata: { name: googleapis }',
        'spec:',
        '  destination: { service: "*.googleapis.com" }',
        '  ports:',
        '  - { port: 443, protocol: https }',
        '  - { port: 80, protocol: http }',
        '---',
        'apiVersion: config.istio.io/v1alpha2',
        'kind: EgressRule',
        'metadata: { name: corp-net, namespace: ops }',
        'spec:',
        '  destination: { service: 192.168.3.0/24 }',
        '  ports:',
        '  - { port: 5432, protocol: tcp }',
      ),
    );
    expect(untargeted(lines)).toEqual([]);
    expect(rules[0]).toEqual<ServiceEntryRule>({
      kind: 'ServiceEntry',
      identity: identity('googleapis', 'EgressRule'),
      hosts: ['*.googleapis.com'],
      addresses: [],
      ports: [
        { name: 'https-443', number: 443, protocol: 'tcp' },
        { name: 'http-80', number: 80, protocol: 'http' },
      ],
      location: 'MESH_EXTERNAL',
      resolution: 'NONE',
      endpoints: [],
      language: 'legacy',
    });
    expect(rules[1]).toMatchObject({
      hosts: ['corp-net.ops.svc.cluster.local'],
      addresses: ['192.168.3.0/24'],
      ports: [{ name: 'tcp-5432', number: 5432, protocol: 'tcp' }],
    });
  });

  it('labels name subsets as istioctl did: sorted k=v pairs, = and . turned into -', () => {
    expect(legacySubsetName({ version: 'v1' })).toBe('version-v1');
    expect(legacySubsetName({ version: '1.0' })).toBe('version-1-0');
    expect(legacySubsetName({ version: 'v2', app: 'reviews' })).toBe('app-reviews,version-v2');
  });

  it('legacy routes need no DestinationRule for their labels, and later RouteRules after a catch-all are unreachable', () => {
    const { rules } = parseAll([ROUTE_RULE_ALL_V1, ROUTE_RULE_REVIEWS_TEST_V2].join('---\n'));
    const mesh = meshFactsOf(
      ['productpage', 'reviews', 'ratings', 'details'].map((name) => ({
        hostname: `${name}.default.svc.cluster.local`,
        ports: [{ name: 'http', port: 9080, protocol: 'http' as const }],
        labels: {},
        addresses: [],
        origin: 'test',
      })),
    );
    const problems = crossCheck(rules, mesh);
    // reviews-default (precedence 1) is a catch-all, but reviews-test-v2 (precedence 2) comes first.
    expect([...problems.keys()]).toEqual([]);
    const lower = parseAll(ROUTE_RULE_REVIEWS_TEST_V2.replace('precedence: 2', 'precedence: 0')).rules;
    const shadowed = crossCheck([...rules.slice(0, 4), ...lower], mesh);
    expect(shadowed.get('RouteRule/default/reviews-test-v2')?.map((p) => p.message)).toEqual([
      'no request to reviews.default.svc.cluster.local reaches this rule: RouteRule default/reviews-default (precedence 1) comes first and matches every request (RouteRules apply by precedence, highest first, then namespace and name)',
    ]);
  });
});
