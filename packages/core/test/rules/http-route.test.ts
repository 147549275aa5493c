import {
  formatRuleProblem,
  meshFactsOf,
  MeshRules,
  parseRule,
  readRuleDocuments,
  type HttpRoute,
  type VirtualServiceRule,
} from '../../src';
import { parseAll, parseOne, untargeted, yaml } from './helpers';

// Gateway API HTTPRoutes attached to Services (GAMMA): read into the VirtualService model, with
// problems at the HTTPRoute's own field paths, and merged per Service in the spec's precedence.

const REVIEWS = 'reviews.shop.svc.cluster.local';

/** An HTTPRoute `name` in `namespace` whose spec is `specLines` (indented by two). */
function httpRoute(name: string, namespace: string, specLines: string[], extra: string[] = []): string {
  return yaml(
    'apiVersion: gateway.networking.k8s.io/v1',
    'kind: HTTPRoute',
    'metadata:',
    `  name: ${name}`,
    `  namespace: ${namespace}`,
    ...extra,
    'spec:',
    ...specLines.map((line) => `  ${line}`),
  );
}

const TO_REVIEWS = ['parentRefs: [{ group: "", kind: Service, name: reviews, port: 9080 }]'];

function problems(text: string): { usable: boolean; lines: string[] } {
  const parsed = parseAll(text);
  return { usable: parsed.rules.length === 1, lines: untargeted(parsed.lines) };
}

/** What a route matches and does, in short: `exact /a | prefix /a/ -> reviews-v2:9080 x1`. */
function show(route: HttpRoute): string {
  const uris = route.matches.map((m) => {
    const uri = m.uri ?? { prefix: '' };
    const [kind, value] = Object.entries(uri)[0] ?? ['', ''];
    const headers = m.headers.map((h) => ` ${h.name}=${JSON.stringify(h.match)}`).join('');
    const query = m.queryParams.map((q) => ` ?${q.name}`).join('');
    const source = m.source
      ? ` from:${m.source.namespace ?? ''}${m.source.excludedNamespaces ? `!${m.source.excludedNamespaces.join(',')}` : ''}`
      : '';
    return `${kind} ${value}${headers}${query}${m.port === undefined ? '' : ` :${m.port}`}${source}`;
  });
  const action =
    route.action.kind === 'route'
      ? route.action.destinations.map((d) => `${d.host.split('.')[0]}:${d.port} x${d.weight}`).join(', ')
      : route.action.kind === 'direct'
        ? `status ${route.action.status}`
        : `redirect ${JSON.stringify(route.action.redirect)}`;
  return `${uris.join(' | ')} -> ${action}${route.rewrite ? ` rewrite ${JSON.stringify(route.rewrite)}` : ''}`;
}

describe('HTTPRoute (gateway.networking.k8s.io) is read into the model', () => {
  it('v1 and v1beta1: parentRefs attach it to the Service; every match is a route, most specific first', () => {
    for (const version of ['v1', 'v1beta1']) {
      const text = httpRoute('reviews', 'shop', [
        ...TO_REVIEWS,
        'rules:',
        '- backendRefs: [{ name: reviews-v1, port: 9080 }]',
        '- matches:',
        '  - path: { type: PathPrefix, value: /api/ }',
        '  - path: { type: Exact, value: /health }',
        '  - headers: [{ name: X-User, value: jason }]',
        '    method: GET',
        '  backendRefs:',
        '  - { name: reviews-v2, port: 9080, weight: 3 }',
        '  - { name: reviews-v3, namespace: shop, port: 9080 }',
        '  - { name: reviews-v1, port: 9080, weight: 0 }',
      ]).replace('gateway.networking.k8s.io/v1', `gateway.networking.k8s.io/${version}`);
      const { rule, lines } = parseOne(text);
      expect(untargeted(lines)).toEqual([]);
      const vs = rule as VirtualServiceRule;
      expect(vs).toMatchObject({ kind: 'VirtualService', language: 'gateway-api', hosts: [REVIEWS] });
      expect(vs.identity).toEqual({ kind: 'HTTPRoute', namespace: 'shop', name: 'reviews' });
      expect(vs.attachment?.parents).toEqual([{ host: REVIEWS, namespace: 'shop', port: 9080 }]);
      const split = 'reviews-v2:9080 x3, reviews-v3:9080 x1, reviews-v1:9080 x0';
      expect(vs.http.map(show)).toEqual([
        `exact /health -> ${split}`,
        `exact /api | prefix /api/ -> ${split}`,
        `prefix / :method={"exact":"GET"} x-user={"exact":"jason"} -> ${split}`,
        'prefix / -> reviews-v1:9080 x1',
      ]);
      expect(vs.http.map((r) => r.matches[0]?.origin.path)).toEqual([
        'spec.rules[1].matches[1]',
        'spec.rules[1].matches[0]',
        'spec.rules[1].matches[2]',
        'spec.rules[0]',
      ]);
    }
  });

  it('filters: header edits, mirror share, prefix rewrite (split per path segment), redirect; timeouts and retry', () => {
    const { rule, lines } = parseOne(
      httpRoute('reviews', 'shop', [
        ...TO_REVIEWS,
        'rules:',
        '- matches: [{ path: { type: PathPrefix, value: /old } }]',
        '  filters:',
        '  - type: RequestHeaderModifier',
        '    requestHeaderModifier: { set: [{ name: X-A, value: "1" }], remove: [x-b] }',
        '  - type: URLRewrite',
        '    urlRewrite: { path: { type: ReplacePrefixMatch, replacePrefixMatch: /new } }',
        '  - type: RequestMirror',
        '    requestMirror: { backendRef: { name: shadow, port: 80 }, fraction: { numerator: 1, denominator: 8 } }',
        '  backendRefs: [{ name: reviews, port: 9080 }]',
        '  timeouts: { request: 0s }',
        '  retry: { codes: [503], attempts: 3, backoff: 100ms }',
        '- matches: [{ path: { type: Exact, value: /moved } }]',
        '  filters:',
        '  - { type: RequestRedirect, requestRedirect: { hostname: example.com, statusCode: 301 } }',
      ]),
    );
    expect(untargeted(lines)).toEqual([]);
    const [moved, exact, slashed] = (rule as VirtualServiceRule).http;
    expect(moved && show(moved)).toBe('exact /moved -> redirect {"authority":"example.com","code":301}');
    expect(exact && show(exact)).toBe('exact /old -> reviews:9080 x1 rewrite {"uri":"/new"}');
    expect(slashed && show(slashed)).toBe('prefix /old/ -> reviews:9080 x1 rewrite {"uri":"/new/"}');
    expect(exact).toMatchObject({
      timeoutMs: 0,
      retries: { attempts: 3, retryOn: ['503'], backoffMs: 100 },
      headers: { request: { set: { 'x-a': '1' }, add: {}, remove: ['x-b'] } },
      mirrors: [{ destination: { host: 'shadow.shop.svc.cluster.local', port: 80 }, percent: 12.5 }],
    });
  });

  it('a rule whose backends all weigh 0 answers 500', () => {
    const { rule } = parseOne(
      httpRoute('reviews', 'shop', [
        ...TO_REVIEWS,
        'rules: [{ backendRefs: [{ name: reviews, port: 9080, weight: 0 }] }]',
      ]),
    );
    expect((rule as VirtualServiceRule).http.map(show)).toEqual(['prefix / -> status 500']);
  });
});

describe('HTTPRoute problems name the HTTPRoute and its own field paths', () => {
  it('a Gateway parent: only mesh (GAMMA) attachment is supported', () => {
    expect(problems(httpRoute('r', 'shop', ['parentRefs: [{ name: my-gateway }]', 'rules: []']))).toEqual({
      usable: false,
      lines: [
        'rules.yaml:7:16: error: HTTPRoute shop/r: spec.parentRefs[0]: Sextant attaches HTTPRoutes to Services only (GAMMA mesh mode: group "" and kind Service), not to "gateway.networking.k8s.io/Gateway" my-gateway [unsupported-field]',
      ],
    });
  });

  it('a bad path, an extension filter, a weight out of range', () => {
    expect(
      problems(
        httpRoute('r', 'shop', [
          ...TO_REVIEWS,
          'rules:',
          '- matches:',
          '  - path: { value: /a }',
          '  - path: { type: Exact, value: "no-slash" }',
          '  filters: [{ type: ExtensionRef, extensionRef: { group: x, kind: y, name: z } }]',
          '  backendRefs: [{ name: reviews, port: 9080, weight: 1000001 }]',
        ]),
      ).lines,
    ).toEqual([
      'rules.yaml:11:35: error: HTTPRoute shop/r: spec.rules[0].matches[1].path.value: a path starts with "/" ("no-slash") [invalid-value]',
      'rules.yaml:12:23: error: HTTPRoute shop/r: spec.rules[0].filters[0].type: extension filters (ExtensionRef) are not supported [unsupported-field]',
      'rules.yaml:13:56: error: HTTPRoute shop/r: spec.rules[0].backendRefs[0].weight: must be between 0 and 1000000 (1000001) [invalid-value]',
    ]);
  });

  it('an unknown field and an unknown filter type', () => {
    expect(
      problems(
        httpRoute('r', 'shop', [
          ...TO_REVIEWS,
          'rules:',
          '- backendRef: []',
          '  filters: [{ type: Rewrite }]',
        ]),
      ).lines,
    ).toEqual([
      'rules.yaml:9:5: error: HTTPRoute shop/r: spec.rules[0].backendRef: unknown field (did you mean "backendRefs"?) [unknown-field]',
      'rules.yaml:10:23: error: HTTPRoute shop/r: spec.rules[0].filters[0].type: "Rewrite" is not a filter type Sextant supports (expected one of: RequestHeaderModifier, ResponseHeaderModifier, RequestRedirect, URLRewrite, RequestMirror, CORS, ExtensionRef) [invalid-value]',
    ]);
  });

  it('an apiVersion of another group', () => {
    const lines = problems(
      httpRoute('r', 'shop', [...TO_REVIEWS]).replace(
        'gateway.networking.k8s.io/v1',
        'networking.istio.io/v1',
      ),
    ).lines;
    expect(lines).toEqual([
      'rules.yaml:2:7: error: kind: HTTPRoute is gateway.networking.k8s.io/v1, v1beta1, not "networking.istio.io/v1" [unknown-kind]',
    ]);
  });
});

describe('HTTPRoutes attached to one Service merge in the Gateway API precedence', () => {
  function policyOf(text: string, host = REVIEWS) {
    const rules = new MeshRules(parseRule);
    const read = readRuleDocuments(text, 'rules.yaml');
    expect(read.problems).toEqual([]);
    rules.replace('rules.yaml', read.inputs, [], () => []);
    const policy = rules.policyFor(host);
    const statuses = rules.statuses().rules;
    return { policy, statuses, http: policy?.http?.map(show) ?? [] };
  }

  it('across routes: exact > longest prefix > method > headers > query params > oldest > name', () => {
    const { http, policy } = policyOf(
      [
        httpRoute(
          'b-newer',
          'shop',
          [
            ...TO_REVIEWS,
            'rules:',
            '- matches: [{ path: { type: PathPrefix, value: /api } }]',
            '  backendRefs: [{ name: newer, port: 1 }]',
            '- matches: [{ path: { value: /api/v1 } }, { queryParams: [{ name: q, value: "1" }] }]',
            '  backendRefs: [{ name: newer-v1, port: 1 }]',
          ],
          ['  creationTimestamp: "2026-02-01T00:00:00Z"'],
        ),
        httpRoute(
          'z-older',
          'shop',
          [
            ...TO_REVIEWS,
            'rules:',
            '- matches: [{ path: { type: PathPrefix, value: /api } }, { path: { type: Exact, value: /api } }]',
            '  backendRefs: [{ name: older, port: 1 }]',
            '- matches: [{ headers: [{ name: x, value: "1" }] }, { method: POST }]',
            '  backendRefs: [{ name: older-h, port: 1 }]',
          ],
          ['  creationTimestamp: "2026-01-01T00:00:00Z"'],
        ),
        httpRoute('a-no-time', 'shop', [
          ...TO_REVIEWS,
          'rules: [{ matches: [{ path: { value: /api } }], backendRefs: [{ name: untimed, port: 1 }] }]',
        ]),
      ].join('---\n'),
    );
    expect(http).toEqual([
      'exact /api :9080 -> older:1 x1',
      'exact /api/v1 :9080 | prefix /api/v1/ :9080 -> newer-v1:1 x1',
      'exact /api :9080 | prefix /api/ :9080 -> older:1 x1',
      'exact /api :9080 | prefix /api/ :9080 -> newer:1 x1',
      'exact /api :9080 | prefix /api/ :9080 -> untimed:1 x1',
      'prefix / :method={"exact":"POST"} :9080 -> older-h:1 x1',
      'prefix / x={"exact":"1"} :9080 -> older-h:1 x1',
      'prefix / ?q :9080 -> newer-v1:1 x1',
    ]);
    // Nothing follows: requests no rule matches get 404.
    expect(policy?.appendDefaultRoute).toBe(false);
  });

  it('a consumer route (another namespace) applies to its namespace only, instead of the producer routes', () => {
    const consumer = [
      'parentRefs: [{ group: core, kind: Service, name: reviews, namespace: shop }]',
      'rules: [{ backendRefs: [{ name: reviews-v2, namespace: shop, port: 9080 }] }]',
    ];
    const { http, statuses } = policyOf(
      [
        httpRoute('producer', 'shop', [
          ...TO_REVIEWS,
          'rules: [{ backendRefs: [{ name: reviews-v1, port: 9080 }] }]',
        ]),
        httpRoute('consumer', 'web', consumer),
      ].join('---\n'),
    );
    expect(http).toEqual([
      'prefix / from:web -> reviews-v2:9080 x1',
      'prefix / :9080 from:!web -> reviews-v1:9080 x1',
    ]);
    const consumerStatus = statuses.find((s) => s.identity.name === 'consumer');
    expect(consumerStatus?.state).toBe('applied');
    expect(consumerStatus?.problems.map((p) => p.code)).toEqual(['unchecked-reference-grant']);
  });

  it('an HTTPRoute names its Service exactly: it beats a wildcard VirtualService', () => {
    const text = [
      httpRoute('hr', 'shop', [
        ...TO_REVIEWS,
        'rules: [{ backendRefs: [{ name: reviews-v1, port: 9080 }] }]',
      ]),
      yaml(
        'apiVersion: networking.istio.io/v1',
        'kind: VirtualService',
        'metadata: { name: all, namespace: shop }',
        'spec:',
        '  hosts: ["*.shop.svc.cluster.local"]',
        '  http: [{ route: [{ destination: { host: other } }] }]',
      ),
    ].join('---\n');
    expect(policyOf(text).http).toEqual(['prefix / :9080 -> reviews-v1:9080 x1']);
  });

  it('a VirtualService for the same Service wins; the HTTPRoute is reported as not applying', () => {
    const text = [
      httpRoute('hr', 'shop', [
        ...TO_REVIEWS,
        'rules: [{ backendRefs: [{ name: reviews-v1, port: 9080 }] }]',
      ]),
      yaml(
        'apiVersion: networking.istio.io/v1',
        'kind: VirtualService',
        'metadata: { name: vs, namespace: shop }',
        'spec:',
        '  hosts: [reviews]',
        '  http: [{ route: [{ destination: { host: reviews } }] }]',
      ),
    ].join('---\n');
    const { http } = policyOf(text);
    expect(http).toEqual([' -> reviews:undefined x100']);
    const rules = new MeshRules(parseRule);
    const read = readRuleDocuments(text, 'rules.yaml');
    rules.replace('rules.yaml', read.inputs, [], () => []);
    const ports = [{ name: 'http', port: 9080, protocol: 'http' as const }];
    const mesh = meshFactsOf(
      ['reviews', 'reviews-v1'].map((name) => ({ hostname: `${name}.shop.svc.cluster.local`, ports })),
    );
    const hr = rules.statuses(mesh).rules.find((s) => s.identity.kind === 'HTTPRoute');
    expect(hr?.problems.map(formatRuleProblem)).toEqual([
      'rules.yaml:7:16: warning: HTTPRoute shop/hr: spec.parentRefs[0]: VirtualService shop/vs routes reviews.shop.svc.cluster.local: HTTPRoutes attached to a Service apply only when no VirtualService routes it [shadowed-http-route]',
    ]);
  });
});

describe('HTTPRoute problems for render targets', () => {
  it('what a target cannot express is reported once per rule part, at the HTTPRoute field', () => {
    const { lines } = parseOne(
      httpRoute('r', 'shop', [
        ...TO_REVIEWS,
        'rules:',
        '- matches: [{ path: { value: /a } }, { path: { value: /b } }]',
        '  filters:',
        '  - type: ResponseHeaderModifier',
        '    responseHeaderModifier: { set: [{ name: x-a, value: "1" }] }',
        '  backendRefs: [{ name: reviews, port: 9080 }]',
      ]),
    );
    expect(lines.filter((line) => line.includes('for v3'))).toEqual([
      'rules.yaml:11:5: error for v3: HTTPRoute shop/r: spec.rules[0].filters: Sextant does not send response header edits to v3 Envoys [not-expressible]',
    ]);
  });
});
