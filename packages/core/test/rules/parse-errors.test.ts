import {
  formatRuleProblem,
  MAX_PROBLEMS_REPORTED,
  parseRule,
  readRuleDocuments,
  type RuleInput,
} from '../../src';
import { parseAll, untargeted, yaml } from './helpers';

// Every class of problem parsing reports: its message, its place (file:line:col), the rule
// (`kind ns/name`), the field path in Istio's style, and whether the rule is still usable.

/** A VirtualService `reviews` in namespace `shop` whose spec is `specLines` (indented by two). */
function virtualService(...specLines: string[]): string {
  return yaml(
    'apiVersion: networking.istio.io/v1',
    'kind: VirtualService',
    'metadata:',
    '  name: reviews',
    '  namespace: shop',
    'spec:',
    ...specLines.map((line) => `  ${line}`),
  );
}

function resource(kind: string, ...specLines: string[]): string {
  const group = ['RouteRule', 'DestinationPolicy', 'EgressRule'].includes(kind)
    ? 'config.istio.io/v1alpha2'
    : 'networking.istio.io/v1';
  return yaml(
    `apiVersion: ${group}`,
    `kind: ${kind}`,
    'metadata: { name: r }',
    'spec:',
    ...specLines.map((line) => `  ${line}`),
  );
}

/** Problems (for every target) of the resource, and whether it is usable. */
function check(text: string): { usable: boolean; lines: string[] } {
  const parsed = parseAll(text, 'rules.yaml');
  return { usable: parsed.rules.length === 1, lines: untargeted(parsed.lines) };
}

const ROUTE = ['http:', '- route: [{ destination: { host: reviews } }]'];

describe('problems name the place, the rule and the field path', () => {
  it('an unknown field, listing the known ones', () => {
    expect(
      check(
        virtualService(
          'hosts: [reviews]',
          'http:',
          '- route:',
          '  - destination: { host: reviews, subst: v1 }',
        ),
      ),
    ).toEqual({
      usable: false,
      lines: [
        'rules.yaml:10:37: error: VirtualService shop/reviews: spec.http[0].route[0].destination.subst: unknown field (did you mean "subset"?) [unknown-field]',
      ],
    });
  });

  it('a field of Istio Sextant does not implement is refused by name, with why', () => {
    expect(
      check(
        virtualService(
          'hosts: [reviews]',
          'tls: []',
          'http:',
          '- delegate: { name: other }',
          '  route: [{ destination: { host: reviews } }]',
        ),
      ),
    ).toEqual({
      usable: false,
      lines: [
        'rules.yaml:8:3: error: VirtualService shop/reviews: spec.tls: TLS (SNI) routes are not supported: route TLS traffic with tcp [unsupported-field]',
        'rules.yaml:10:5: error: VirtualService shop/reviews: spec.http[0].delegate: delegate VirtualServices are not supported: write the routes in this VirtualService [unsupported-field]',
      ],
    });
    expect(
      check(
        virtualService(
          'hosts: [reviews]',
          'http:',
          '- match: [{ gateways: [mesh] }]',
          '  route: [{ destination: { host: reviews } }]',
        ),
      ).lines,
    ).toEqual([
      'rules.yaml:9:15: error: VirtualService shop/reviews: spec.http[0].match[0].gateways: per-match gateways are not supported: bind the whole VirtualService with spec.gateways [unsupported-field]',
    ]);
  });

  it('a field given under its JSON and its proto name', () => {
    expect(
      check(
        virtualService(
          'hosts: [reviews]',
          ...ROUTE,
          '  fault: { delay: { fixedDelay: 1s, fixed_delay: 2s, percentage: { value: 1 } } }',
        ),
      ).lines,
    ).toEqual([
      'rules.yaml:10:39: error: VirtualService shop/reviews: spec.http[0].fault.delay.fixed_delay: given twice, as "fixedDelay" and as "fixed_delay" [duplicate-field]',
    ]);
  });

  it('a value of the wrong type', () => {
    expect(check(virtualService('hosts: reviews', ...ROUTE)).lines).toEqual([
      'rules.yaml:7:10: error: VirtualService shop/reviews: spec.hosts: expected a list, got string ("reviews") [wrong-type]',
    ]);
    expect(
      check(
        virtualService(
          'hosts: [reviews]',
          'http:',
          '- route: [{ destination: { host: reviews }, weight: "heavy" }]',
        ),
      ).lines,
    ).toEqual([
      'rules.yaml:9:55: error: VirtualService shop/reviews: spec.http[0].route[0].weight: expected a whole number, got string ("heavy") [wrong-type]',
    ]);
  });

  it('a missing required field, and a route without an action', () => {
    expect(
      check(
        virtualService(
          'hosts: [reviews]',
          'http:',
          '- route: [{ destination: { subset: v1 } }]',
          '- timeout: 1s',
        ),
      ).lines,
    ).toEqual([
      'rules.yaml:9:28: error: VirtualService shop/reviews: spec.http[0].route[0].destination.host: missing required field [missing-field]',
      'rules.yaml:10:5: error: VirtualService shop/reviews: spec.http[1]: HTTP route, redirect or direct_response is required [missing-field]',
    ]);
  });

  it('fields that exclude each other', () => {
    expect(
      check(
        virtualService(
          'hosts: [reviews]',
          'http:',
          '- route: [{ destination: { host: reviews } }]',
          '  redirect: { uri: /x }',
          '- match: [{ uri: { exact: /a, prefix: /b } }]',
          '  route: [{ destination: { host: reviews } }]',
          '- redirect: { uri: /x }',
          '  fault: { abort: { httpStatus: 503, percentage: { value: 1 } } }',
          '- route: [{ destination: { host: reviews } }]',
          '  retries: { attempts: 0, perTryTimeout: 1s }',
        ),
      ).lines,
    ).toEqual([
      'rules.yaml:10:5: error: VirtualService shop/reviews: spec.http[0].redirect: an HTTP route takes one of route, redirect or directResponse, not route and redirect [conflicting-fields]',
      'rules.yaml:11:20: error: VirtualService shop/reviews: spec.http[1].match[0].uri: a string match takes one of exact, prefix or regex, not exact and prefix [conflicting-fields]',
      'rules.yaml:14:5: error: VirtualService shop/reviews: spec.http[2].fault: fault has no effect on a redirect: remove it [conflicting-fields]',
      'rules.yaml:16:44: error: VirtualService shop/reviews: spec.http[3].retries.perTryTimeout: http retry policy configured when attempts are set to 0 (disabled): remove perTryTimeout or set attempts [conflicting-fields]',
    ]);
  });

  it('values out of range or not among those allowed', () => {
    expect(
      check(
        virtualService(
          'hosts: [reviews]',
          'http:',
          '- route: [{ destination: { host: reviews, port: { number: 70000 } }, weight: -1 }, { destination: { host: reviews } }]',
          '  fault: { abort: { httpStatus: 700, percentage: { value: 101 } } }',
          '  retries: { attempts: 2, retryOn: "5xx,sometimes" }',
          '- redirect: { uri: /x, redirectCode: 200, scheme: ftp }',
        ),
      ).lines,
    ).toEqual([
      'rules.yaml:9:61: error: VirtualService shop/reviews: spec.http[0].route[0].destination.port.number: must be between 1 and 65535 (70000) [invalid-value]',
      'rules.yaml:9:80: error: VirtualService shop/reviews: spec.http[0].route[0].weight: must be between 0 and 2147483647 (-1) [invalid-value]',
      'rules.yaml:10:35: error: VirtualService shop/reviews: spec.http[0].fault.abort.httpStatus: must be between 200 and 599 (700) [invalid-value]',
      'rules.yaml:10:61: error: VirtualService shop/reviews: spec.http[0].fault.abort.percentage.value: must be between 0 and 100 (101) [invalid-value]',
      'rules.yaml:11:38: error: VirtualService shop/reviews: spec.http[0].retries.retryOn: "sometimes" is not a retry condition: use HTTP status codes or 5xx, gateway-error, reset, reset-before-request, connect-failure, retriable-4xx, refused-stream, retriable-status-codes, retriable-headers, envoy-ratelimited, http3-post-connect-failure, cancelled, deadline-exceeded, internal, resource-exhausted, unavailable [invalid-value]',
      'rules.yaml:12:40: error: VirtualService shop/reviews: spec.http[1].redirect.redirectCode: must be between 300 and 399 (200) [invalid-value]',
      'rules.yaml:12:53: error: VirtualService shop/reviews: spec.http[1].redirect.scheme: "ftp" is not a scheme Sextant supports (expected one of: http, https) [invalid-value]',
    ]);
  });

  it('names: the resource, its namespace, subsets and ports', () => {
    const text = yaml(
      'apiVersion: networking.istio.io/v1',
      'kind: DestinationRule',
      'metadata: { name: Reviews_1, namespace: Shop }',
      'spec:',
      '  host: reviews',
      '  subsets:',
      '  - { name: V1, labels: { version: v1 } }',
    );
    expect(check(text).lines).toEqual([
      'rules.yaml:3:19: error: DestinationRule Shop/Reviews_1: metadata.name: "Reviews_1" is not a resource name (lower-case letters, digits, "-" and ".", at most 253) [invalid-name]',
      'rules.yaml:3:41: error: DestinationRule Shop/Reviews_1: metadata.namespace: "Shop" is not a namespace name (lower-case letters, digits and "-", at most 63) [invalid-name]',
      'rules.yaml:7:13: error: DestinationRule Shop/Reviews_1: spec.subsets[0].name: "V1" is not a subset name (lower-case letters, digits and "-", at most 63) [invalid-name]',
    ]);
  });

  it('hosts: Istio wildcard rules, the mesh forbids "*", overlapping hosts', () => {
    expect(
      check(
        virtualService(
          'hosts: ["*", "a*.example.com", "a..b", "x.123", reviews, "*.shop.svc.cluster.local"]',
          ...ROUTE,
        ),
      ).lines,
    ).toEqual([
      'rules.yaml:7:11: error: VirtualService shop/reviews: spec.hosts[0]: wildcard host * is not allowed for virtual services bound to the mesh gateway [invalid-host]',
      'rules.yaml:7:16: error: VirtualService shop/reviews: spec.hosts[1]: "a*" is not a valid first label: a wildcard may only be the whole label or its start ("*.example.com", "*-canary.example.com") [invalid-host]',
      'rules.yaml:7:34: error: VirtualService shop/reviews: spec.hosts[2]: a host name cannot have an empty label (two dots, or a dot at the end) [invalid-host]',
      'rules.yaml:7:42: error: VirtualService shop/reviews: spec.hosts[3]: the top-level domain "123" cannot be all digits [invalid-host]',
      'rules.yaml:7:60: error: VirtualService shop/reviews: spec.hosts[5]: duplicate hosts in virtual service: reviews.shop.svc.cluster.local & *.shop.svc.cluster.local [duplicate-host]',
    ]);
  });

  it('labels Kubernetes would refuse', () => {
    expect(
      check(
        virtualService(
          'hosts: [reviews]',
          'http:',
          '- match: [{ sourceLabels: { "bad key!": x, version: "-v1" } }]',
          '  route: [{ destination: { host: reviews } }]',
        ),
      ).lines,
    ).toEqual([
      'rules.yaml:9:31: error: VirtualService shop/reviews: spec.http[0].match[0].sourceLabels["bad key!"]: "bad key!" is not a label key (letters, digits, "-", "_" and ".", at most 63, starting and ending with a letter or digit, after an optional "prefix/") [invalid-label]',
      'rules.yaml:9:55: error: VirtualService shop/reviews: spec.http[0].match[0].sourceLabels.version: "-v1" is not a label value (letters, digits, "-", "_" and ".", at most 63, starting and ending with a letter or digit) [invalid-label]',
    ]);
  });

  it('durations: Go syntax, at least 1 ms, whole milliseconds', () => {
    expect(
      check(
        virtualService(
          'hosts: [reviews]',
          'http:',
          '- route: [{ destination: { host: reviews } }]',
          '  timeout: 500',
          '- route: [{ destination: { host: reviews } }]',
          '  retries: { attempts: 1, perTryTimeout: 500us }',
          '- route: [{ destination: { host: reviews } }]',
          '  retries: { attempts: 1, perTryTimeout: 1500us }',
          '- route: [{ destination: { host: reviews } }]',
          '  timeout: 1m30s',
          '  retries: { attempts: 1, perTryTimeout: 0s }',
        ),
      ).lines,
    ).toEqual([
      'rules.yaml:10:14: error: VirtualService shop/reviews: spec.http[0].timeout: expected a string, got number (500) [wrong-type]',
      'rules.yaml:12:44: error: VirtualService shop/reviews: spec.http[1].retries.perTryTimeout: duration must be at least 1ms ("500us") [invalid-duration]',
      'rules.yaml:14:44: error: VirtualService shop/reviews: spec.http[2].retries.perTryTimeout: only durations to ms precision are supported ("1500us") [invalid-duration]',
      'rules.yaml:17:44: error: VirtualService shop/reviews: spec.http[3].retries.perTryTimeout: duration must be at least 1ms ("0s") [invalid-duration]',
    ]);
    // A route timeout of 0 disables it.
    const disabled = parseAll(virtualService('hosts: [reviews]', ...ROUTE, '  timeout: 0s')).rules[0];
    expect(disabled).toMatchObject({ http: [{ timeoutMs: 0 }] });
  });

  it('regexes: RE2 syntax, at most 1024 characters', () => {
    expect(
      check(
        virtualService(
          'hosts: [reviews]',
          'http:',
          '- match:',
          '  - uri: { regex: "/(a" }',
          '  - headers: { x-id: { regex: "(?=lookahead)" } }',
          `  - withoutHeaders: { x-long: { regex: "${'a'.repeat(1025)}" } }`,
          '  route: [{ destination: { host: reviews } }]',
        ),
      ).lines,
    ).toEqual([
      'rules.yaml:10:21: error: VirtualService shop/reviews: spec.http[0].match[0].uri.regex: not a valid RE2 regex: error parsing regexp: missing closing ): `/(a` [invalid-regex]',
      'rules.yaml:11:33: error: VirtualService shop/reviews: spec.http[0].match[1].headers.x-id.regex: not a valid RE2 regex: error parsing regexp: invalid or unsupported Perl syntax: `(?=` [invalid-regex]',
      'rules.yaml:12:42: error: VirtualService shop/reviews: spec.http[0].match[2].withoutHeaders.x-long.regex: a regex has at most 1024 characters (this one has 1025) [invalid-regex]',
    ]);
  });

  it('headers: names, values Envoy would refuse, Host', () => {
    expect(
      check(
        virtualService(
          'hosts: [reviews]',
          'http:',
          '- match: [{ headers: { "x user": { exact: a }, uri: { exact: /a } } }]',
          '  route: [{ destination: { host: reviews } }]',
          '  headers:',
          '    request: { set: { x-cost: "100%" }, remove: [Host] }',
        ),
      ).lines,
    ).toEqual([
      'rules.yaml:9:26: error: VirtualService shop/reviews: spec.http[0].match[0].headers["x user"]: "x user" is not a header name (letters, digits and !#$%&\'*+-.^_`|~ only) [invalid-header]',
      'rules.yaml:9:50: error: VirtualService shop/reviews: spec.http[0].match[0].headers.uri: Istio ignores the header key "uri" in a match: use match.uri instead [invalid-header]',
      'rules.yaml:12:33: error: VirtualService shop/reviews: spec.http[0].headers.request.set.x-cost: a "%" starts an Envoy formatter (%START_TIME%); write %% for a literal % [invalid-header]',
      'rules.yaml:12:52: error: VirtualService shop/reviews: spec.http[0].headers.request.remove[0]: the Host header cannot be edited here: use rewrite.authority [invalid-header]',
    ]);
  });

  it('a TCP route edits no headers', () => {
    expect(
      check(
        virtualService(
          'hosts: [reviews]',
          'tcp:',
          '- route: [{ destination: { host: reviews }, headers: {} }]',
        ),
      ).lines,
    ).toEqual([
      'rules.yaml:9:47: error: VirtualService shop/reviews: spec.tcp[0].route[0].headers: unknown field (expected one of: destination, weight) [unknown-field]',
    ]);
  });

  it('weights: several destinations need a positive total', () => {
    expect(
      check(
        virtualService(
          'hosts: [reviews]',
          'http:',
          '- route:',
          '  - { destination: { host: reviews, subset: a } }',
          '  - { destination: { host: reviews, subset: b }, weight: 0 }',
        ),
      ),
    ).toEqual({
      usable: false,
      lines: [
        'rules.yaml:10:5: error: VirtualService shop/reviews: spec.http[0].route: the weights of several destinations add up to 0: give at least one a positive weight [zero-total-weight]',
      ],
    });
  });

  it('weights: a weight that does not read is the one problem (the total it leaves is not another)', () => {
    expect(
      check(
        virtualService(
          'hosts: [reviews]',
          'http:',
          '- route:',
          '  - { destination: { host: reviews, subset: a }, weight: -1 }',
          '  - { destination: { host: reviews, subset: b }, weight: 0 }',
        ),
      ),
    ).toEqual({
      usable: false,
      lines: [
        'rules.yaml:10:60: error: VirtualService shop/reviews: spec.http[0].route[0].weight: must be between 0 and 2147483647 (-1) [invalid-value]',
      ],
    });
  });

  it('DestinationRule: duplicate subsets, an empty policy, port settings twice; ServiceEntry: ports, addresses, endpoints', () => {
    expect(
      check(
        resource(
          'DestinationRule',
          'host: reviews',
          'trafficPolicy: {}',
          'subsets:',
          '- { name: v1 }',
          '- name: v1',
          '  trafficPolicy:',
          '    portLevelSettings: [{ port: { number: 80 }, tls: { mode: DISABLE } }, { port: { number: 80 }, tls: { mode: DISABLE } }]',
        ),
      ).lines,
    ).toEqual([
      'rules.yaml:6:18: error: DestinationRule default/r: spec.trafficPolicy: traffic policy must have at least one field [missing-field]',
      'rules.yaml:9:11: error: DestinationRule default/r: spec.subsets[1].name: duplicate subset names: v1 [duplicate-subset]',
      'rules.yaml:11:77: error: DestinationRule default/r: spec.subsets[1].trafficPolicy.portLevelSettings[1]: port 80 has two portLevelSettings [duplicate-port]',
    ]);
    expect(
      check(
        resource(
          'ServiceEntry',
          'hosts: [api.example.com]',
          'addresses: [10.0.0.300]',
          'ports: [{ number: 443, name: https, protocol: HTTPS }, { number: 443, name: tls, protocol: TLS }, { number: 53, name: dns, protocol: UDP }]',
          'resolution: STATIC',
          'endpoints: [{ address: api.example.com, ports: { http: 80 } }]',
        ),
      ).lines,
    ).toEqual([
      'rules.yaml:6:15: error: ServiceEntry default/r: spec.addresses[0]: "10.0.0.300" is not an IP address or CIDR block [invalid-address]',
      'rules.yaml:7:68: error: ServiceEntry default/r: spec.ports[1].number: port 443 is given twice [duplicate-port]',
      'rules.yaml:7:136: error: ServiceEntry default/r: spec.ports[2].protocol: "UDP" is not a protocol Sextant supports (HTTP, HTTP2, GRPC, GRPC-WEB, HTTPS, TLS, TCP, MONGO, REDIS, MYSQL) [invalid-value]',
      'rules.yaml:9:26: error: ServiceEntry default/r: spec.endpoints[0].address: resolution STATIC needs IP addresses ("api.example.com" is not one) [invalid-address]',
      'rules.yaml:9:52: error: ServiceEntry default/r: spec.endpoints[0].ports.http: no port is named "http" (ports: https) [invalid-value]',
    ]);
  });

  it('warnings keep the rule: a fault without a percentage never applies; legacy spellings are mapped and said so', () => {
    const result = check(
      resource(
        'DestinationRule',
        'host: reviews',
        'trafficPolicy:',
        '  loadBalancer: { simple: LEAST_CONN }',
        '  outlierDetection: { consecutiveErrors: 5 }',
        'subsets:',
        '- name: v1',
        '  trafficPolicy:',
        '    outlierDetection: { http: { consecutiveErrors: 7, interval: 5s } }',
        '    loadBalancer: { consistentHash: { httpHeaderName: x-user, minimumRingSize: 2048 } }',
      ),
    );
    expect(result).toEqual({
      usable: true,
      lines: [
        'rules.yaml:7:29: warning: DestinationRule default/r: spec.trafficPolicy.loadBalancer.simple: LEAST_CONN is deprecated: read as LEAST_REQUEST [deprecated-field]',
        'rules.yaml:8:25: warning: DestinationRule default/r: spec.trafficPolicy.outlierDetection.consecutiveErrors: consecutiveErrors is deprecated and Istio ignores it since 1.7; Sextant applies it as documented (502, 503 and 504 count): read as consecutiveGatewayErrors: 5. Write consecutiveGatewayErrors or consecutive5xxErrors [deprecated-field]',
        "rules.yaml:12:27: warning: DestinationRule default/r: spec.subsets[0].trafficPolicy.outlierDetection.http: outlierDetection.http is Istio 0.8's shape: read as outlierDetection.consecutive5xxErrors (from consecutiveErrors, which 0.8 sent to Envoy as consecutive 5xx), interval, baseEjectionTime and maxEjectionPercent [deprecated-field]",
        'rules.yaml:13:65: warning: DestinationRule default/r: spec.subsets[0].trafficPolicy.loadBalancer.consistentHash.minimumRingSize: minimumRingSize is deprecated: read as ringHash: { minimumRingSize: 2048 } [deprecated-field]',
      ],
    });
    const rule = parseAll(
      resource(
        'DestinationRule',
        'host: reviews',
        'trafficPolicy: { outlierDetection: { consecutiveErrors: 5 } }',
        'subsets: [{ name: v1, trafficPolicy: { outlierDetection: { http: { consecutiveErrors: 7, interval: 5s } } } }]',
      ),
    ).rules[0];
    expect(rule).toMatchObject({
      trafficPolicy: { outlierDetection: { consecutiveGatewayErrors: 5 } },
      subsets: [{ trafficPolicy: { outlierDetection: { consecutive5xxErrors: 7, intervalMs: 5000 } } }],
    });
    const vs = check(
      virtualService(
        'hosts: [reviews]',
        ...ROUTE,
        '  fault: { abort: { httpStatus: 503, percent: 10 } }',
        '  mirror: { host: reviews, subset: shadow }',
        '  mirrorPercent: 5',
        '- route: [{ destination: { host: reviews } }]',
        '  fault: { delay: { fixedDelay: 1s } }',
      ),
    );
    expect(vs).toEqual({
      usable: true,
      lines: [
        "rules.yaml:10:40: warning: VirtualService shop/reviews: spec.http[0].fault.abort.percent: percent is a deprecated spelling (removed from Istio's API in 2020): read as percentage: { value: 10 } [deprecated-field]",
        'rules.yaml:12:5: warning: VirtualService shop/reviews: spec.http[0].mirrorPercent: mirrorPercent is deprecated: read as mirrorPercentage: { value: 5 } [deprecated-field]',
        'rules.yaml:14:21: warning: VirtualService shop/reviews: spec.http[1].fault.delay: no percentage given: the delay applies to no request (write percentage: { value: 100 } for every request) [fault-never-applies]',
      ],
    });
  });

  it('a kind or apiVersion parseRule does not read, from a source that did not check it', () => {
    const input: RuleInput = {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'TLSRoute',
      metadata: { name: 'r' },
      spec: {},
      location: { source: 'kubernetes:TLSRoute default/r', at: [] },
    };
    expect(parseRule(input).problems.map(formatRuleProblem)).toEqual([
      'kubernetes:TLSRoute default/r: error: TLSRoute default/r: kind: unknown kind "TLSRoute": Sextant reads VirtualService, DestinationRule, ServiceEntry (networking.istio.io/v1, v1beta1, v1alpha3), PeerAuthentication (security.istio.io/v1, v1beta1), RouteRule, DestinationPolicy, EgressRule (config.istio.io, any version) and HTTPRoute (gateway.networking.k8s.io/v1, v1beta1) [unknown-kind]',
    ]);
    const noSpec = parseRule({
      ...input,
      apiVersion: 'networking.istio.io/v1',
      kind: 'VirtualService',
      spec: null,
    });
    expect(noSpec.rule).toBeUndefined();
    expect(noSpec.problems).toMatchObject([{ code: 'missing-field', path: 'spec' }]);
  });

  it('reports at most MAX_PROBLEMS_REPORTED problems for one rule, counting the rest, and the rule is refused', () => {
    const hosts = Array.from({ length: MAX_PROBLEMS_REPORTED + 10 }, (_, i) => `"bad host ${i}"`).join(', ');
    const { inputs } = readRuleDocuments(virtualService(`hosts: [${hosts}]`, ...ROUTE), 'many.yaml');
    const result = parseRule(inputs[0] as RuleInput);
    expect(result.rule).toBeUndefined();
    expect(result.problems).toHaveLength(MAX_PROBLEMS_REPORTED + 1);
    expect(result.problems.at(-1)).toMatchObject({
      severity: 'error',
      code: 'too-many-problems',
      message: '10 more problem(s) not shown (at most 100 are reported)',
    });
  });
});
