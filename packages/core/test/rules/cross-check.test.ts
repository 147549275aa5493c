import {
  crossCheck,
  formatRuleProblem,
  meshFactsOf,
  parseRule,
  readRuleDocuments,
  ruleKey,
  type ParsedRule,
  type RuleLocation,
  type Service,
  type ServiceInstance,
} from '../../src';
import { yaml } from './helpers';

// Cross-resource checks: what Istio's analyzers only warn about and fails at run time.

function service(name: string, ports: [string, number][] = [['http', 9080]]): Service {
  return {
    hostname: `${name}.default.svc.cluster.local`,
    ports: ports.map(([portName, port]) => ({ name: portName, port, protocol: 'http' })),
    labels: {},
    addresses: [],
    origin: 'test',
  };
}

function instance(name: string, version: string): ServiceInstance {
  return {
    hostname: `${name}.default.svc.cluster.local`,
    address: '10.0.0.1',
    port: 9080,
    portName: 'http',
    labels: { app: name, version },
    locality: {},
    weight: 1,
    health: 'healthy',
    origin: 'test',
  };
}

const MESH = meshFactsOf([
  service('reviews'),
  service('ratings'),
  service('details', [
    ['http', 9080],
    ['admin', 9901],
  ]),
  service('backend', [
    ['grpc', 7070],
    ['admin', 9901],
  ]),
]);

/** The rules in `text` and where each came from (for located problems). */
function rulesOf(text: string): { rules: ParsedRule[]; locations: Map<string, RuleLocation> } {
  const { inputs, problems } = readRuleDocuments(text, 'rules.yaml');
  expect(problems).toEqual([]);
  const rules: ParsedRule[] = [];
  const locations = new Map<string, RuleLocation>();
  for (const input of inputs) {
    const { rule } = parseRule(input);
    if (!rule) throw new Error(`${input.kind} ${input.metadata.name} did not parse`);
    rules.push(rule);
    locations.set(ruleKey(rule.identity), input.location);
  }
  return { rules, locations };
}

function check(text: string, mesh = MESH): string[] {
  const { rules, locations } = rulesOf(text);
  return [...crossCheck(rules, mesh, locations).values()].flat().map(formatRuleProblem);
}

const REVIEWS_SUBSETS = yaml(
  'apiVersion: networking.istio.io/v1',
  'kind: DestinationRule',
  'metadata: { name: reviews }',
  'spec:',
  '  host: reviews',
  '  subsets:',
  '  - { name: v1, labels: { version: v1 } }',
  '  - { name: v2, labels: { version: v2 } }',
);

function virtualService(name: string, ...specLines: string[]): string {
  return yaml(
    'apiVersion: networking.istio.io/v1',
    'kind: VirtualService',
    `metadata: { name: ${name} }`,
    'spec:',
    ...specLines.map((line) => `  ${line}`),
  );
}

describe('crossCheck: references', () => {
  it('a destination whose subset no DestinationRule defines, or whose host nothing has, is an error', () => {
    const text = [
      REVIEWS_SUBSETS,
      virtualService(
        'reviews',
        'hosts: [reviews]',
        'http:',
        '- route:',
        '  - { destination: { host: reviews, subset: v1 }, weight: 50 }',
        '  - { destination: { host: reviews, subset: v3 }, weight: 50 }',
        '  mirror: { host: ratingz }',
      ),
    ].join('---\n');
    expect(check(text)).toEqual([
      'rules.yaml:18:47: error: VirtualService default/reviews: spec.http[0].route[1].destination.subset: no DestinationRule for reviews.default.svc.cluster.local defines subset v3 (it has v1, v2): requests routed here would fail (503) [unknown-subset]',
      'rules.yaml:19:21: error: VirtualService default/reviews: spec.http[0].mirror.host: no service or ServiceEntry has host ratingz.default.svc.cluster.local: requests routed here would fail (503) [unknown-host]',
    ]);
    // Without any DestinationRule for the host.
    expect(
      check(
        virtualService(
          'r',
          'hosts: [ratings]',
          'http:',
          '- route: [{ destination: { host: ratings, subset: v1 } }]',
        ),
      ),
    ).toEqual([
      'rules.yaml:7:53: error: VirtualService default/r: spec.http[0].route[0].destination.subset: no DestinationRule for ratings.default.svc.cluster.local defines subset v1 (no DestinationRule defines subsets for it): requests routed here would fail (503) [unknown-subset]',
    ]);
  });

  it('ports: a host with several needs one chosen unless the request port carries over; a port it lacks is an error', () => {
    const text = virtualService(
      'reviews',
      'hosts: [reviews]',
      'http:',
      '- match: [{ uri: { prefix: /backend } }]',
      '  route: [{ destination: { host: backend } }]',
      '- match: [{ uri: { prefix: /admin } }]',
      '  route: [{ destination: { host: details, port: { number: 9901 } } }]',
      '- route: [{ destination: { host: ratings, port: { number: 8080 } } }]',
    );
    expect(check(text)).toEqual([
      'rules.yaml:8:28: error: VirtualService default/reviews: spec.http[0].route[0].destination.port.number: backend.default.svc.cluster.local has several ports (7070 (grpc), 9901 (admin)): say which with destination.port.number [port-required]',
      'rules.yaml:11:61: error: VirtualService default/reviews: spec.http[2].route[0].destination.port.number: ratings.default.svc.cluster.local has no port 8080 (it has 9080 (http)) [unknown-port]',
    ]);
    // The port the request came to is used: routing a multi-port host to itself, or to a host with that port too.
    expect(
      check(
        virtualService(
          'details',
          'hosts: [details]',
          'http:',
          '- route: [{ destination: { host: details } }]',
        ),
      ),
    ).toEqual([]);
    expect(
      check(
        virtualService(
          'reviews',
          'hosts: [reviews]',
          'http:',
          '- route: [{ destination: { host: details } }]',
        ),
      ),
    ).toEqual([]);
  });

  it('ServiceEntry hosts (wildcards too) are destinations; a VirtualService for a host nothing has routes nothing', () => {
    const text = [
      yaml(
        'apiVersion: networking.istio.io/v1',
        'kind: ServiceEntry',
        'metadata: { name: google }',
        'spec:',
        '  hosts: ["*.googleapis.com"]',
        '  ports: [{ number: 443, name: https, protocol: HTTPS }]',
      ),
      virtualService(
        'storage',
        'hosts: [storage.googleapis.com]',
        'tcp:',
        '- route: [{ destination: { host: storage.googleapis.com } }]',
      ),
      virtualService('ghost', 'hosts: [ghost]', 'http:', '- route: [{ destination: { host: reviews } }]'),
    ].join('---\n');
    expect(check(text)).toEqual([
      'rules.yaml:20:11: warning: VirtualService default/ghost: spec.hosts[0]: no service or ServiceEntry has host ghost.default.svc.cluster.local: this rule routes nothing for it until one does [unknown-host]',
    ]);
  });

  it('a weighted subset that selects no instance is a warning, when instances are known', () => {
    const mesh = meshFactsOf([service('reviews')], [instance('reviews', 'v1')]);
    const text = [
      REVIEWS_SUBSETS,
      virtualService(
        'reviews',
        'hosts: [reviews]',
        'http:',
        '- route:',
        '  - { destination: { host: reviews, subset: v1 }, weight: 90 }',
        '  - { destination: { host: reviews, subset: v2 }, weight: 10 }',
      ),
    ].join('---\n');
    expect(check(text, mesh)).toEqual([
      'rules.yaml:8:25: warning: DestinationRule default/reviews: spec.subsets[1].labels: subset v2 (version=v2) selects no instance of reviews.default.svc.cluster.local now [empty-subset]',
      'rules.yaml:18:47: warning: VirtualService default/reviews: spec.http[0].route[1].destination.subset: subset v2 (version=v2) selects no instance of reviews.default.svc.cluster.local now: requests routed here fail (503) until one appears [empty-subset]',
    ]);
    // Without instances in the facts, nothing is said about them.
    expect(check(text)).toEqual([]);
  });
});

describe('crossCheck: unreachable routes and ineffective matches (Istio analyzeUnreachableHTTPRules)', () => {
  it('a route after a catch-all, a repeated match, a prefix an earlier prefix covers', () => {
    const text = virtualService(
      'reviews',
      'hosts: [reviews]',
      'http:',
      '- match: [{ uri: { prefix: /usrv } }]',
      '  route: [{ destination: { host: reviews } }]',
      '- match: [{ uri: { prefix: /usrv-xxx } }, { headers: { end-user: { exact: jason } } }]',
      '  route: [{ destination: { host: ratings } }]',
      '- match: [{ headers: { end-user: { exact: jason } } }]',
      '  route: [{ destination: { host: ratings } }]',
      '- route: [{ destination: { host: reviews } }]',
      '- match: [{ uri: { exact: /late } }]',
      '  route: [{ destination: { host: reviews } }]',
    );
    expect(check(text)).toEqual([
      'rules.yaml:9:13: warning: VirtualService default/reviews: spec.http[1].match[0]: spec.http[0].match[0] matches every URI starting with "/usrv" and nothing else, so it takes the requests of this match first [ineffective-match]',
      'rules.yaml:11:5: warning: VirtualService default/reviews: spec.http[2]: no request reaches this route: earlier routes take every request its matches select [unreachable-route]',
      'rules.yaml:11:13: warning: VirtualService default/reviews: spec.http[2].match[0]: this match repeats spec.http[1].match[1], which takes its requests first [ineffective-match]',
      'rules.yaml:14:5: warning: VirtualService default/reviews: spec.http[4]: no request reaches this route: spec.http[3] before it matches every request [unreachable-route]',
    ]);
  });

  it('a case-insensitive prefix covers case variants; a prefix with other conditions covers nothing', () => {
    const text = virtualService(
      'reviews',
      'hosts: [reviews]',
      'http:',
      '- match: [{ uri: { prefix: /API }, ignoreUriCase: true }, { uri: { prefix: /b }, port: 8080 }]',
      '  route: [{ destination: { host: reviews } }]',
      '- match: [{ uri: { exact: /api/v1 } }, { uri: { prefix: /b/c } }]',
      '  route: [{ destination: { host: reviews } }]',
    );
    expect(check(text)).toEqual([
      'rules.yaml:9:13: warning: VirtualService default/reviews: spec.http[1].match[0]: spec.http[0].match[0] matches every URI starting with "/API" and nothing else, so it takes the requests of this match first [ineffective-match]',
    ]);
  });
});

describe('crossCheck: rules competing for one host', () => {
  it('two VirtualServices for one host: a warning on each naming the other; the first by namespace then name wins', () => {
    const text = [
      virtualService(
        'reviews-b',
        'hosts: [reviews]',
        'http:',
        '- route: [{ destination: { host: reviews } }]',
      ),
      virtualService(
        'reviews-a',
        'hosts: [reviews]',
        'http:',
        '- route: [{ destination: { host: ratings } }]',
      ),
      virtualService(
        'ingress',
        'hosts: [reviews]',
        'gateways: [shop/ingress]',
        'http:',
        '- route: [{ destination: { host: reviews } }]',
      ),
    ].join('---\n');
    expect(check(text)).toEqual([
      'rules.yaml:5:11: warning: VirtualService default/reviews-b: spec.hosts[0]: VirtualService default/reviews-a also routes reviews.default.svc.cluster.local and applies to it (the first by namespace then name wins): this one does not [conflicting-virtual-services]',
      'rules.yaml:13:11: warning: VirtualService default/reviews-a: spec.hosts[0]: VirtualService default/reviews-b also routes reviews.default.svc.cluster.local; this one applies to it (the first by namespace then name) [conflicting-virtual-services]',
    ]);
  });

  it('a legacy RouteRule for a host a VirtualService routes does not apply', () => {
    const text = [
      virtualService('reviews', 'hosts: [reviews]', 'http:', '- route: [{ destination: { host: reviews } }]'),
      yaml(
        'apiVersion: config.istio.io/v1alpha2',
        'kind: RouteRule',
        'metadata: { name: reviews-default }',
        'spec:',
        '  destination: { name: reviews }',
      ),
    ].join('---\n');
    expect(check(text)).toEqual([
      'rules.yaml:13:16: warning: RouteRule default/reviews-default: spec.destination: VirtualService default/reviews routes reviews.default.svc.cluster.local: RouteRules for a host apply only when no VirtualService or HTTPRoute routes it [shadowed-route-rule]',
    ]);
  });

  it('DestinationRules for one host: a repeated subset and a second traffic policy are named, the first wins', () => {
    const text = [
      REVIEWS_SUBSETS.replace('name: reviews }', 'name: a-reviews }').replace(
        '  subsets:',
        '  trafficPolicy: { loadBalancer: { simple: RANDOM } }\n  subsets:',
      ),
      yaml(
        'apiVersion: networking.istio.io/v1',
        'kind: DestinationRule',
        'metadata: { name: b-reviews }',
        'spec:',
        '  host: reviews.default.svc.cluster.local',
        '  trafficPolicy: { loadBalancer: { simple: ROUND_ROBIN } }',
        '  subsets:',
        '  - { name: v2, labels: { version: v2-new } }',
        '  - { name: v3, labels: { version: v3 } }',
      ),
    ].join('---\n');
    expect(check(text)).toEqual([
      'rules.yaml:16:18: warning: DestinationRule default/b-reviews: spec.trafficPolicy: DestinationRule default/a-reviews also sets the traffic policy of reviews.default.svc.cluster.local and comes first (by namespace then name): its policy applies, this one does not (its subsets still merge) [ignored-traffic-policy]',
      'rules.yaml:18:13: warning: DestinationRule default/b-reviews: spec.subsets[0].name: DestinationRule default/a-reviews also defines subset v2 of reviews.default.svc.cluster.local and comes first (by namespace then name): its definition applies, this one does not [duplicate-subset]',
    ]);
  });

  it('problems are keyed by rule, and unlocated without locations', () => {
    const { rules } = rulesOf(
      virtualService('r', 'hosts: [reviews]', 'http:', '- route: [{ destination: { host: nowhere } }]'),
    );
    const problems = crossCheck(rules, MESH);
    expect([...problems.keys()]).toEqual(['VirtualService/default/r']);
    expect(problems.get('VirtualService/default/r')?.map(formatRuleProblem)).toEqual([
      'error: VirtualService default/r: spec.http[0].route[0].destination.host: no service or ServiceEntry has host nowhere.default.svc.cluster.local: requests routed here would fail (503) [unknown-host]',
    ]);
  });
});
