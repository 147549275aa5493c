import type { DestinationRuleRule, HttpRoute, VirtualServiceRule } from '../../src';
import { parseAll, parseOne, untargeted, yaml } from './helpers';

// Istio's own samples (samples/bookinfo/networking, istio.io tasks), as an operator would apply them.

const rule = (namespace: string, name: string, kind = 'VirtualService') => ({ kind, namespace, name });

describe('Istio samples parse to the model', () => {
  it('bookinfo virtual-service-all-v1: four VirtualServices, short hosts resolved in the namespace', () => {
    const text = yaml(
      ...['productpage', 'reviews', 'ratings', 'details'].flatMap((name) => [
        'apiVersion: networking.istio.io/v1',
        'kind: VirtualService',
        'metadata:',
        `  name: ${name}`,
        'spec:',
        '  hosts:',
        `  - ${name}`,
        '  http:',
        '  - route:',
        '    - destination:',
        `        host: ${name}`,
        '        subset: v1',
        '---',
      ]),
    );
    const { rules, lines } = parseAll(text, 'virtual-service-all-v1.yaml');
    expect(lines).toEqual([]);
    expect(rules).toHaveLength(4);
    expect(rules[0]).toEqual<VirtualServiceRule>({
      kind: 'VirtualService',
      identity: rule('default', 'productpage'),
      hosts: ['productpage.default.svc.cluster.local'],
      gateways: [],
      http: [
        {
          matches: [],
          action: {
            kind: 'route',
            destinations: [
              {
                host: 'productpage.default.svc.cluster.local',
                subset: 'v1',
                weight: 100,
                origin: { rule: rule('default', 'productpage'), path: 'spec.http[0].route[0]' },
              },
            ],
          },
          mirrors: [],
          origin: { rule: rule('default', 'productpage'), path: 'spec.http[0]' },
        },
      ],
      tcp: [],
      appendDefaultRoute: false,
      language: 'istio',
    });
    expect(rules.map((r) => (r as VirtualServiceRule).hosts[0])).toEqual([
      'productpage.default.svc.cluster.local',
      'reviews.default.svc.cluster.local',
      'ratings.default.svc.cluster.local',
      'details.default.svc.cluster.local',
    ]);
  });

  it('reviews-test-v2: a header match (end-user: jason) before the catch-all', () => {
    const { rule: parsed, lines } = parseOne(
      yaml(
        'apiVersion: networking.istio.io/v1alpha3',
        'kind: VirtualService',
        'metadata:',
        '  name: reviews',
        'spec:',
        '  hosts:',
        '    - reviews',
        '  http:',
        '  - match:',
        '    - headers:',
        '        end-user:',
        '          exact: jason',
        '    route:',
        '    - destination:',
        '        host: reviews',
        '        subset: v2',
        '  - route:',
        '    - destination:',
        '        host: reviews',
        '        subset: v1',
      ),
    );
    expect(lines).toEqual([]);
    const http = (parsed as VirtualServiceRule).http;
    expect(http[0]?.matches).toEqual([
      {
        ignoreUriCase: false,
        headers: [{ name: 'end-user', match: { exact: 'jason' }, invert: false }],
        queryParams: [],
        origin: { rule: rule('default', 'reviews'), path: 'spec.http[0].match[0]' },
      },
    ]);
    expect(destinations(http[0])).toEqual([['reviews.default.svc.cluster.local', 'v2', 100]]);
    expect(http[1]?.matches).toEqual([]);
    expect(destinations(http[1])).toEqual([['reviews.default.svc.cluster.local', 'v1', 100]]);
  });

  it('reviews 50/50 (v1, v3) and 80/20 (v1, v2) splits keep their relative weights', () => {
    const split = (a: string, b: string, wa: number, wb: number): string =>
      yaml(
        'apiVersion: networking.istio.io/v1',
        'kind: VirtualService',
        'metadata:',
        '  name: reviews',
        'spec:',
        '  hosts:',
        '    - reviews',
        '  http:',
        '  - route:',
        '    - destination:',
        '        host: reviews',
        `        subset: ${a}`,
        `      weight: ${wa}`,
        '    - destination:',
        '        host: reviews',
        `        subset: ${b}`,
        `      weight: ${wb}`,
      );
    const fifty = parseOne(split('v1', 'v3', 50, 50));
    expect(fifty.lines).toEqual([]);
    expect(destinations((fifty.rule as VirtualServiceRule).http[0])).toEqual([
      ['reviews.default.svc.cluster.local', 'v1', 50],
      ['reviews.default.svc.cluster.local', 'v3', 50],
    ]);
    const eighty = parseOne(split('v1', 'v2', 80, 20));
    expect(eighty.lines).toEqual([]);
    expect(destinations((eighty.rule as VirtualServiceRule).http[0])).toEqual([
      ['reviews.default.svc.cluster.local', 'v1', 80],
      ['reviews.default.svc.cluster.local', 'v2', 20],
    ]);
  });

  it('ratings-test-delay: a 7 s delay for jason, today (percentage) and as Istio 1.0 wrote it (percent, with a warning)', () => {
    const delay = (percentLines: string[]): string =>
      yaml(
        'apiVersion: networking.istio.io/v1',
        'kind: VirtualService',
        'metadata:',
        '  name: ratings',
        'spec:',
        '  hosts:',
        '  - ratings',
        '  http:',
        '  - match:',
        '    - headers:',
        '        end-user:',
        '          exact: jason',
        '    fault:',
        '      delay:',
        ...percentLines,
        '        fixedDelay: 7s',
        '    route:',
        '    - destination:',
        '        host: ratings',
        '        subset: v1',
        '  - route:',
        '    - destination:',
        '        host: ratings',
        '        subset: v1',
      );
    const today = parseOne(delay(['        percentage:', '          value: 100.0']));
    expect(untargeted(today.lines)).toEqual([]);
    const fault = (today.rule as VirtualServiceRule).http[0]?.fault;
    expect(fault).toEqual({
      delay: { fixedDelayMs: 7000, percent: 100 },
      origin: { rule: rule('default', 'ratings'), path: 'spec.http[0].fault' },
    });
    const old = parseOne(delay(['        percent: 100']));
    expect(old.lines).toEqual([
      "rules.yaml:15:9: warning: VirtualService default/ratings: spec.http[0].fault.delay.percent: percent is a deprecated spelling (removed from Istio's API in 2020): read as percentage: { value: 100 } [deprecated-field]",
    ]);
    expect((old.rule as VirtualServiceRule).http[0]?.fault).toEqual(fault);
  });

  it('ratings-test-abort: HTTP 500 for jason', () => {
    const { rule: parsed, lines } = parseOne(
      yaml(
        'apiVersion: networking.istio.io/v1',
        'kind: VirtualService',
        'metadata:',
        '  name: ratings',
        'spec:',
        '  hosts:',
        '  - ratings',
        '  http:',
        '  - match:',
        '    - headers:',
        '        end-user:',
        '          exact: jason',
        '    fault:',
        '      abort:',
        '        percentage:',
        '          value: 100.0',
        '        httpStatus: 500',
        '    route:',
        '    - destination:',
        '        host: ratings',
        '        subset: v1',
        '  - route:',
        '    - destination:',
        '        host: ratings',
        '        subset: v1',
      ),
    );
    expect(untargeted(lines)).toEqual([]);
    expect((parsed as VirtualServiceRule).http[0]?.fault?.abort).toEqual({ httpStatus: 500, percent: 100 });
  });

  it('request timeouts and retries (istio.io tasks): timeout 0.5s; retries 3 × 2s', () => {
    const { rule: parsed, lines } = parseOne(
      yaml(
        'apiVersion: networking.istio.io/v1',
        'kind: VirtualService',
        'metadata:',
        '  name: reviews',
        'spec:',
        '  hosts:',
        '  - reviews',
        '  http:',
        '  - route:',
        '    - destination:',
        '        host: reviews',
        '        subset: v2',
        '    timeout: 0.5s',
        '  - route:',
        '    - destination:',
        '        host: ratings',
        '        subset: v1',
        '    retries:',
        '      attempts: 3',
        '      perTryTimeout: 2s',
      ),
    );
    expect(untargeted(lines)).toEqual([]);
    const [timed, retried] = (parsed as VirtualServiceRule).http;
    expect(timed?.timeoutMs).toBe(500);
    expect(retried?.retries).toEqual({
      attempts: 3,
      perTryTimeoutMs: 2000,
      retryOn: ['connect-failure', 'refused-stream', 'unavailable', 'cancelled'],
      origin: { rule: rule('default', 'reviews'), path: 'spec.http[1].retries' },
    });
  });

  it('httpbin circuit breaker DestinationRule (istio.io circuit-breaking task)', () => {
    const { rule: parsed, lines } = parseOne(
      yaml(
        'apiVersion: networking.istio.io/v1',
        'kind: DestinationRule',
        'metadata:',
        '  name: httpbin',
        'spec:',
        '  host: httpbin',
        '  trafficPolicy:',
        '    connectionPool:',
        '      tcp:',
        '        maxConnections: 1',
        '      http:',
        '        http1MaxPendingRequests: 1',
        '        maxRequestsPerConnection: 1',
        '    outlierDetection:',
        '      consecutive5xxErrors: 1',
        '      interval: 1s',
        '      baseEjectionTime: 3m',
        '      maxEjectionPercent: 100',
      ),
    );
    expect(untargeted(lines)).toEqual([]);
    expect(parsed).toEqual<DestinationRuleRule>({
      kind: 'DestinationRule',
      identity: rule('default', 'httpbin', 'DestinationRule'),
      host: 'httpbin.default.svc.cluster.local',
      subsets: [],
      trafficPolicy: {
        connectionPool: { maxConnections: 1, http1MaxPendingRequests: 1, maxRequestsPerConnection: 1 },
        outlierDetection: {
          consecutive5xxErrors: 1,
          intervalMs: 1000,
          baseEjectionTimeMs: 180_000,
          maxEjectionPercent: 100,
        },
        portLevel: [],
        origin: { rule: rule('default', 'httpbin', 'DestinationRule'), path: 'spec.trafficPolicy' },
      },
      language: 'istio',
    });
  });

  it('bookinfo destination-rule-all: subsets by version label', () => {
    const { rule: parsed, lines } = parseOne(
      yaml(
        'apiVersion: networking.istio.io/v1',
        'kind: DestinationRule',
        'metadata:',
        '  name: reviews',
        'spec:',
        '  host: reviews',
        '  subsets:',
        '  - name: v1',
        '    labels:',
        '      version: v1',
        '  - name: v2',
        '    labels:',
        '      version: v2',
      ),
    );
    expect(lines).toEqual([]);
    expect((parsed as DestinationRuleRule).subsets.map((s) => [s.name, s.labels, s.origin.path])).toEqual([
      ['v1', { version: 'v1' }, 'spec.subsets[0]'],
      ['v2', { version: 'v2' }, 'spec.subsets[1]'],
    ]);
  });

  it('reads proto (snake_case) field names as jsonpb does, and JSON documents', () => {
    const json = JSON.stringify({
      apiVersion: 'networking.istio.io/v1beta1',
      kind: 'VirtualService',
      metadata: { name: 'ratings', namespace: 'shop' },
      spec: {
        hosts: ['ratings'],
        http: [
          {
            fault: { delay: { fixed_delay: '1m30s', percentage: { value: 12.5 } } },
            route: [{ destination: { host: 'ratings', port: { number: 9080 } } }],
          },
        ],
      },
    });
    const { rule: parsed, lines } = parseOne(json, 'ratings.json');
    expect(untargeted(lines)).toEqual([]);
    const route = (parsed as VirtualServiceRule).http[0];
    expect(route?.fault?.delay).toEqual({ fixedDelayMs: 90_000, percent: 12.5 });
    expect(destinations(route)).toEqual([['ratings.shop.svc.cluster.local', undefined, 100]]);
  });

  it('takes a host with a dot as written: web.service.consul names the Consul service', () => {
    const { rule: parsed } = parseOne(
      yaml(
        'apiVersion: networking.istio.io/v1',
        'kind: VirtualService',
        'metadata: { name: web, namespace: shop }',
        'spec:',
        '  hosts: [web.service.consul, "*.internal.example.com"]',
        '  http:',
        '  - route:',
        '    - destination: { host: web.service.consul }',
      ),
    );
    expect((parsed as VirtualServiceRule).hosts).toEqual(['web.service.consul', '*.internal.example.com']);
    expect(destinations((parsed as VirtualServiceRule).http[0])).toEqual([
      ['web.service.consul', undefined, 100],
    ]);
  });

  it('ServiceEntry: an external API by DNS, and endpoints given statically', () => {
    const { rules, lines } = parseAll(
      yaml(
        'apiVersion: networking.istio.io/v1',
        'kind: ServiceEntry',
        'metadata: { name: httpbin-ext }',
        'spec:',
        '  hosts: [httpbin.org]',
        '  ports:',
        '  - { number: 80, name: http, protocol: HTTP }',
        '  - { number: 443, name: https, protocol: HTTPS }',
        '  resolution: DNS',
        '  location: MESH_EXTERNAL',
        '---',
        'apiVersion: networking.istio.io/v1',
        'kind: ServiceEntry',
        'metadata: { name: legacy-db, namespace: data }',
        'spec:',
        '  hosts: [db]',
        '  addresses: [10.1.0.0/24]',
        '  ports:',
        '  - { number: 5432, name: tcp-pg, protocol: TCP, targetPort: 15432 }',
        '  location: MESH_INTERNAL',
        '  resolution: STATIC',
        '  endpoints:',
        '  - address: 10.1.0.5',
        '    labels: { version: v1 }',
        '    locality: eu-west/a',
        '    weight: 3',
        '  - address: 10.1.0.6',
        '    ports: { tcp-pg: 25432 }',
      ),
    );
    expect(untargeted(lines)).toEqual([]);
    expect(rules[0]).toMatchObject({
      kind: 'ServiceEntry',
      hosts: ['httpbin.org'],
      ports: [
        { name: 'http', number: 80, protocol: 'http' },
        { name: 'https', number: 443, protocol: 'tcp' },
      ],
      resolution: 'DNS',
      location: 'MESH_EXTERNAL',
      endpoints: [],
    });
    expect(rules[1]).toMatchObject({
      hosts: ['db.data.svc.cluster.local'],
      addresses: ['10.1.0.0/24'],
      ports: [{ name: 'tcp-pg', number: 5432, protocol: 'tcp', targetPort: 15432 }],
      location: 'MESH_INTERNAL',
      resolution: 'STATIC',
      endpoints: [
        {
          address: '10.1.0.5',
          ports: {},
          labels: { version: 'v1' },
          locality: { region: 'eu-west', zone: 'a' },
          weight: 3,
        },
        { address: '10.1.0.6', ports: { 'tcp-pg': 25432 }, labels: {}, weight: 1 },
      ],
    });
  });
});

function destinations(route: HttpRoute | undefined): [string, string | undefined, number][] {
  if (!route || route.action.kind !== 'route') return [];
  return route.action.destinations.map((d) => [d.host, d.subset, d.weight]);
}
