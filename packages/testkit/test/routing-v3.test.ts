import {
  distribution,
  simulateV3,
  SimulationError,
  type RouteOutcome,
  type SimOutcome,
} from '../src/routing';

const REVIEWS = 'reviews.default.svc.cluster.local';
const V1 = `outbound|9080|v1|${REVIEWS}`;
const V2 = `outbound|9080|v2|${REVIEWS}`;
const V3 = `outbound|9080|v3|${REVIEWS}`;
const FAULT = 'type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault';
const ROUTER = 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router';

/** A RouteConfiguration in proto3 JSON, shaped as istiod renders bookinfo's reviews rules. */
function reviewsTable(routes: object[], host: object = {}): object {
  return {
    name: '9080',
    virtual_hosts: [
      {
        name: `${REVIEWS}:9080`,
        domains: [REVIEWS, `${REVIEWS}:9080`, 'reviews', 'reviews:9080', '10.0.0.31', '10.0.0.31:9080'],
        routes,
        ...host,
      },
    ],
    validate_clusters: false,
  };
}

const jasonRoute = {
  name: 'jason',
  match: {
    prefix: '/',
    case_sensitive: true,
    headers: [{ name: 'end-user', string_match: { exact: 'jason' } }],
  },
  route: { cluster: V2, timeout: '0s' },
};
const canaryRoute = {
  name: 'default',
  match: { prefix: '/' },
  route: {
    weighted_clusters: {
      clusters: [
        { name: V1, weight: 80 },
        { name: V3, weight: 20 },
      ],
    },
    timeout: '0s',
  },
};

function routed(outcome: SimOutcome): RouteOutcome {
  if (outcome.kind !== 'route') throw new Error(`expected a route, got ${JSON.stringify(outcome)}`);
  return outcome;
}

describe('simulateV3: routing outcomes', () => {
  const table = reviewsTable([jasonRoute, canaryRoute]);

  it('a request for reviews with header end-user: jason reaches subset v2', () => {
    const outcome = routed(
      simulateV3(table, { authority: 'reviews:9080', path: '/reviews/0', headers: { 'end-user': 'jason' } }),
    );
    expect(outcome.route).toEqual({ index: 0, name: 'jason' });
    expect(distribution(outcome)).toEqual({ [V2]: 1 });
  });

  it('anyone else is split 80/20 between v1 and v3, exactly', () => {
    const outcome = routed(
      simulateV3(table, { authority: 'reviews', path: '/reviews/0', headers: { 'end-user': 'mike' } }),
    );
    expect(outcome.route).toEqual({ index: 1, name: 'default' });
    expect(distribution(outcome)).toEqual({ [V1]: 0.8, [V3]: 0.2 });
    expect(outcome.clusters.map((c) => [c.name, c.weight])).toEqual([
      [V1, 80],
      [V3, 20],
    ]);
  });

  it('the first matching route wins, even when a later one is more specific', () => {
    const shadowed = { match: { path: '/reviews/0' }, route: { cluster: V3 } };
    const outcome = routed(
      simulateV3(reviewsTable([canaryRoute, shadowed]), { authority: 'reviews', path: '/reviews/0' }),
    );
    expect(outcome.route.index).toBe(0);
  });

  it('a request no route matches is a no-route (Envoy answers 404)', () => {
    expect(simulateV3(reviewsTable([jasonRoute]), { authority: 'reviews', path: '/' })).toEqual({
      kind: 'no-route',
      virtualHost: `${REVIEWS}:9080`,
    });
  });

  it('an authority no virtual host lists is a no-virtual-host', () => {
    expect(simulateV3(table, { authority: 'reviews:9081', path: '/' })).toEqual({ kind: 'no-virtual-host' });
  });

  it('weights are shares of their sum when total_weight is unset', () => {
    const route = {
      match: { prefix: '/' },
      route: {
        weighted_clusters: {
          clusters: [
            { name: V1, weight: 1 },
            { name: V3, weight: 3 },
          ],
        },
      },
    };
    expect(distribution(simulateV3(reviewsTable([route]), { authority: 'reviews', path: '/' }))).toEqual({
      [V1]: 0.25,
      [V3]: 0.75,
    });
  });

  it('reads the protobufjs object form and lowerCamelCase names as well as proto3 JSON', () => {
    // As proto-loader decodes with { defaults: true, oneofs: true }: unset messages null, unset
    // strings '', empty lists, and the oneof's name beside its member.
    const decodedDefaults = {
      path_specifier: 'prefix',
      query_parameters: [],
      dynamic_metadata: [],
      grpc: null,
      runtime_fraction: null,
      tls_context: null,
    };
    const objectForm = reviewsTable([
      {
        match: {
          ...decodedDefaults,
          prefix: '/',
          caseSensitive: { value: false },
          headers: [
            {
              name: 'end-user',
              exact_match: 'jason',
              invert_match: false,
              treat_missing_header_as_empty: false,
              header_match_specifier: 'exact_match',
            },
          ],
        },
        route: {
          cluster_specifier: 'weighted_clusters',
          prefix_rewrite: '',
          regex_rewrite: null,
          hash_policy: [],
          request_mirror_policies: [],
          weightedClusters: {
            clusters: [
              { name: V1, weight: { value: 60 } },
              { name: V3, weight: { value: 40 } },
            ],
            total_weight: null,
          },
          timeout: { seconds: '2', nanos: 500_000_000 },
          retry_policy: null,
        },
      },
    ]);
    const outcome = routed(
      simulateV3(objectForm, { authority: 'REVIEWS', path: '/X', headers: { 'End-User': 'jason' } }),
    );
    expect(distribution(outcome)).toEqual({ [V1]: 0.6, [V3]: 0.4 });
    expect(outcome.timeoutMs).toBe(2500);
    expect(outcome.rewrite).toBeUndefined();
  });
});

describe('simulateV3: what Envoy rejects', () => {
  const weighted = (clusters: object[], extra: object = {}): object =>
    reviewsTable([{ match: { prefix: '/' }, route: { weighted_clusters: { clusters, ...extra } } }]);
  const request = { authority: 'reviews', path: '/' };

  it.each([
    ['weights that sum to 0', weighted([{ name: V1, weight: 0 }]), 'sum to 0'],
    [
      'a total_weight the weights do not sum to',
      weighted([{ name: V1, weight: 80 }], { total_weight: 100 }),
      'not total_weight 100',
    ],
    ['a weighted cluster without a weight', weighted([{ name: V1 }]), 'weight: is required'],
    [
      'an empty cluster name',
      reviewsTable([{ match: { prefix: '/' }, route: { cluster: '' } }]),
      'must not be empty',
    ],
    [
      'a route without a path specifier',
      reviewsTable([{ match: {}, route: { cluster: V1 } }]),
      'path specifier',
    ],
    ['a route without an action', reviewsTable([{ match: { prefix: '/' } }]), 'needs an action'],
    [
      'an RE2-invalid regex',
      reviewsTable([{ match: { safe_regex: { regex: '(?=a)b' } }, route: { cluster: V1 } }]),
      'invalid RE2 regex',
    ],
    [
      'an empty prefix header matcher',
      reviewsTable([
        { match: { prefix: '/', headers: [{ name: 'a', prefix_match: '' }] }, route: { cluster: V1 } },
      ]),
      'must not be empty',
    ],
    [
      'prefix_rewrite with regex_rewrite',
      reviewsTable([
        {
          match: { prefix: '/' },
          route: {
            cluster: V1,
            prefix_rewrite: '/a',
            regex_rewrite: { pattern: { regex: 'a' }, substitution: 'b' },
          },
        },
      ]),
      'only one of',
    ],
    [
      'a retry back-off max below its base',
      reviewsTable([
        {
          match: { prefix: '/' },
          route: {
            cluster: V1,
            retry_policy: { retry_on: '5xx', retry_back_off: { base_interval: '1s', max_interval: '0.5s' } },
          },
        },
      ]),
      'at least base_interval',
    ],
    [
      'a domain twice in the table',
      {
        virtual_hosts: [
          { name: 'a', domains: ['x'], routes: [] },
          { name: 'b', domains: ['X'], routes: [] },
        ],
      },
      'already a domain of a',
    ],
    [
      'a virtual host without domains',
      { virtual_hosts: [{ name: 'a', domains: [], routes: [] }] },
      'has no domains',
    ],
  ])('%s', (_, config, reason) => {
    const outcome = simulateV3(config, request);
    expect(outcome.kind).toBe('invalid');
    expect(outcome.kind === 'invalid' && outcome.reasons.join('\n')).toContain(reason);
  });

  it('a problem anywhere invalidates the whole table, whatever route the request takes', () => {
    const broken = {
      virtual_hosts: [
        {
          name: 'other',
          domains: ['other'],
          routes: [{ match: { prefix: '/' }, route: { weighted_clusters: { clusters: [] } } }],
        },
      ],
    };
    const config = {
      virtual_hosts: [
        ...(reviewsTable([canaryRoute]) as { virtual_hosts: object[] }).virtual_hosts,
        ...broken.virtual_hosts,
      ],
    };
    expect(simulateV3(config, request).kind).toBe('invalid');
  });

  it('the router must be the last HTTP filter', () => {
    const httpFilters = [
      { name: 'envoy.filters.http.router', typed_config: { '@type': ROUTER } },
      { name: 'envoy.filters.http.fault', typed_config: { '@type': FAULT } },
    ];
    const outcome = simulateV3(reviewsTable([canaryRoute]), request, { httpFilters });
    expect(outcome).toEqual({
      kind: 'invalid',
      reasons: ['http_filters[0]: the router filter must be the last HTTP filter'],
    });
  });

  it('refuses to guess at what it does not simulate', () => {
    const chance = reviewsTable([
      {
        match: { prefix: '/', runtime_fraction: { default_value: { numerator: 50 } } },
        route: { cluster: V1 },
      },
    ]);
    expect(() => simulateV3(chance, request)).toThrow(SimulationError);
    expect(() => simulateV3(chance, request)).toThrow(
      'virtual_hosts[0].routes[0].match.runtime_fraction: a route matched by chance (50 %) is not simulated',
    );
    const plugin = reviewsTable([{ match: { prefix: '/' }, route: { cluster_specifier_plugin: 'rls' } }]);
    expect(() => simulateV3(plugin, request)).toThrow('cluster_specifier_plugin: not simulated');
    expect(() => simulateV3([], request)).toThrow('route_configuration: expected an object');
    expect(() =>
      simulateV3(table(), { authority: 'reviews', path: '/', headers: { ':method': 'GET' } }),
    ).toThrow('pseudo-headers');
  });

  it('a runtime_fraction of 0 % or 100 % is certain, and simulated', () => {
    const never = {
      match: { prefix: '/', runtime_fraction: { default_value: { numerator: 0 } } },
      route: { cluster: V1 },
    };
    const always = {
      match: { prefix: '/', runtime_fraction: { default_value: { numerator: 100, denominator: 'HUNDRED' } } },
      route: { cluster: V3 },
    };
    expect(distribution(simulateV3(reviewsTable([never, always]), request))).toEqual({ [V3]: 1 });
  });
});

function table(): object {
  return reviewsTable([canaryRoute]);
}

describe('simulateV3: timeouts and retries', () => {
  const request = { authority: 'reviews', path: '/' };
  const one = (route: object, host: object = {}): RouteOutcome =>
    routed(
      simulateV3(reviewsTable([{ match: { prefix: '/' }, route: { cluster: V1, ...route } }], host), request),
    );

  it("Envoy's default route timeout is 15 s; 0 disables it", () => {
    expect(one({}).timeoutMs).toBe(15_000);
    expect(one({ timeout: '0s' }).timeoutMs).toBeUndefined();
    expect(one({ timeout: '3.5s' }).timeoutMs).toBe(3500);
    expect(one({ max_stream_duration: { max_stream_duration: '60s' } }).maxStreamDurationMs).toBe(60_000);
  });

  it('a route retry policy with its defaults: one retry, 25 ms back-off up to 250 ms', () => {
    expect(one({ retry_policy: { retry_on: 'connect-failure, refused-stream,unavailable' } }).retry).toEqual({
      retryOn: ['connect-failure', 'refused-stream', 'unavailable'],
      numRetries: 1,
      backoff: { baseMs: 25, maxMs: 250 },
    });
    expect(
      one({
        retry_policy: {
          retry_on: '5xx,retriable-status-codes',
          num_retries: 3,
          per_try_timeout: '2s',
          retriable_status_codes: [503],
          retry_back_off: { base_interval: '0.1s' },
        },
      }).retry,
    ).toEqual({
      retryOn: ['5xx', 'retriable-status-codes'],
      numRetries: 3,
      perTryTimeoutMs: 2000,
      retriableStatusCodes: [503],
      backoff: { baseMs: 100, maxMs: 1000 },
    });
  });

  it("a route without a retry policy takes its virtual host's; its own replaces it entirely", () => {
    const host = { retry_policy: { retry_on: 'gateway-error', num_retries: 4 } };
    expect(one({}, host).retry?.retryOn).toEqual(['gateway-error']);
    expect(one({ retry_policy: { retry_on: '5xx' } }, host).retry).toMatchObject({
      retryOn: ['5xx'],
      numRetries: 1,
    });
  });
});

describe('simulateV3: fault injection', () => {
  const request = { authority: 'reviews', path: '/' };
  const faultFilter = { name: 'envoy.filters.http.fault', typed_config: { '@type': FAULT } };
  const router = { name: 'envoy.filters.http.router', typed_config: { '@type': ROUTER } };
  const faulted = (fault: object, where: 'route' | 'host' = 'route'): object => {
    const perFilter = {
      typed_per_filter_config: { 'envoy.filters.http.fault': { '@type': FAULT, ...fault } },
    };
    return reviewsTable(
      [{ match: { prefix: '/' }, route: { cluster: V1 }, ...(where === 'route' ? perFilter : {}) }],
      where === 'host' ? perFilter : {},
    );
  };
  const istioAbort = {
    abort: { http_status: 503, percentage: { numerator: 100_000, denominator: 'MILLION' } },
  };

  it('a per-route HTTPFault (Istio: 10 % as 100000/MILLION) aborts a share of requests', () => {
    const outcome = routed(simulateV3(faulted(istioAbort), request, { httpFilters: [faultFilter, router] }));
    expect(outcome.clusters[0]?.faults).toEqual([
      { filter: 'envoy.filters.http.fault', abort: { httpStatus: 503, fraction: 0.1 } },
    ]);
  });

  it('without http_filters the fault filter is assumed present; a chain without it injects nothing', () => {
    expect(routed(simulateV3(faulted(istioAbort), request)).clusters[0]?.faults).toHaveLength(1);
    expect(
      routed(simulateV3(faulted(istioAbort), request, { httpFilters: [router] })).clusters[0]?.faults,
    ).toEqual([]);
  });

  it('delay and abort are independent; a missing percentage is 0 % for Envoy', () => {
    const fault = {
      delay: { fixed_delay: '5s', percentage: { numerator: 100 } },
      abort: { grpc_status: 14 },
    };
    expect(routed(simulateV3(faulted(fault), request)).clusters[0]?.faults).toEqual([
      { filter: 'envoy.filters.http.fault', delay: { ms: 5000, fraction: 1 } },
    ]);
  });

  it('the virtual host config applies unless the route has its own, which replaces it entirely', () => {
    expect(
      routed(simulateV3(faulted(istioAbort, 'host'), request)).clusters[0]?.faults[0]?.abort?.fraction,
    ).toBe(0.1);
    const both = reviewsTable(
      [
        {
          match: { prefix: '/' },
          route: { cluster: V1 },
          typed_per_filter_config: {
            'envoy.filters.http.fault': {
              '@type': FAULT,
              delay: { fixed_delay: '1s', percentage: { numerator: 50 } },
            },
          },
        },
      ],
      { typed_per_filter_config: { 'envoy.filters.http.fault': { '@type': FAULT, ...istioAbort } } },
    );
    expect(routed(simulateV3(both, request)).clusters[0]?.faults).toEqual([
      { filter: 'envoy.filters.http.fault', delay: { ms: 1000, fraction: 0.5 } },
    ]);
  });

  it('a weighted cluster override applies to that cluster only', () => {
    const config = reviewsTable([
      {
        match: { prefix: '/' },
        route: {
          weighted_clusters: {
            clusters: [
              { name: V1, weight: 50 },
              {
                name: V3,
                weight: 50,
                typed_per_filter_config: { 'envoy.filters.http.fault': { '@type': FAULT, ...istioAbort } },
              },
            ],
          },
        },
      },
    ]);
    const [v1, v3] = routed(simulateV3(config, request, { httpFilters: [faultFilter, router] })).clusters;
    expect(v1?.faults).toEqual([]);
    expect(v3?.faults[0]?.abort).toEqual({ httpStatus: 503, fraction: 0.1 });
  });

  it('a FilterConfig with disabled: true switches the filter off for the route', () => {
    const config = reviewsTable(
      [
        {
          match: { prefix: '/' },
          route: { cluster: V1 },
          typed_per_filter_config: {
            'envoy.filters.http.fault': {
              '@type': 'type.googleapis.com/envoy.config.route.v3.FilterConfig',
              disabled: true,
            },
          },
        },
      ],
      { typed_per_filter_config: { 'envoy.filters.http.fault': { '@type': FAULT, ...istioAbort } } },
    );
    expect(routed(simulateV3(config, request)).clusters[0]?.faults).toEqual([]);
  });

  it("the filter's top-level config applies to routes without their own", () => {
    const filter = { name: 'envoy.filters.http.fault', typed_config: { '@type': FAULT, ...istioAbort } };
    expect(
      routed(simulateV3(table(), request, { httpFilters: [filter, router] })).clusters[0]?.faults,
    ).toHaveLength(1);
  });

  it('upstream_cluster, headers and downstream_nodes restrict the fault', () => {
    const restricted = {
      ...istioAbort,
      upstream_cluster: V1,
      headers: [{ name: 'x-chaos', present_match: true }],
      downstream_nodes: ['productpage'],
    };
    const config = faulted(restricted);
    const faults = (headers: Record<string, string>): unknown =>
      routed(simulateV3(config, { ...request, headers })).clusters[0]?.faults;
    expect(faults({ 'x-chaos': '1', 'x-envoy-downstream-service-node': 'productpage' })).toHaveLength(1);
    expect(faults({ 'x-envoy-downstream-service-node': 'productpage' })).toEqual([]);
    expect(faults({ 'x-chaos': '1', 'x-envoy-downstream-service-node': 'ratings' })).toEqual([]);
    const otherCluster = faulted({ ...istioAbort, upstream_cluster: V3 });
    expect(routed(simulateV3(otherCluster, request)).clusters[0]?.faults).toEqual([]);
  });

  it('header-controlled faults read x-envoy-fault-* headers, whose percentage only lowers the configured one', () => {
    const config = faulted({
      abort: { header_abort: {}, percentage: { numerator: 20 } },
      delay: { header_delay: {}, percentage: { numerator: 50 } },
    });
    const faults = (headers: Record<string, string>): unknown =>
      routed(simulateV3(config, { ...request, headers })).clusters[0]?.faults;
    expect(faults({})).toEqual([]);
    expect(
      faults({
        'x-envoy-fault-abort-request': '429',
        'x-envoy-fault-abort-request-percentage': '5',
        'x-envoy-fault-delay-request': '200',
      }),
    ).toEqual([
      {
        filter: 'envoy.filters.http.fault',
        delay: { ms: 200, fraction: 0.5 },
        abort: { httpStatus: 429, fraction: 0.05 },
      },
    ]);
    expect(
      faults({ 'x-envoy-fault-abort-request': '429', 'x-envoy-fault-abort-request-percentage': '90' }),
    ).toEqual([{ filter: 'envoy.filters.http.fault', abort: { httpStatus: 429, fraction: 0.2 } }]);
  });
});

describe('simulateV3: redirects, direct responses, rewrites, mirrors, hashing', () => {
  const at = (route: object, request: object = {}): SimOutcome =>
    simulateV3(reviewsTable([{ match: { prefix: '/api' }, ...route }]), {
      authority: 'reviews:9080',
      path: '/api/v1?x=1',
      ...request,
    });

  it('redirects build the Location as Envoy does', () => {
    expect(at({ redirect: { host_redirect: 'new.example.com', path_redirect: '/v2' } })).toEqual({
      kind: 'redirect',
      virtualHost: `${REVIEWS}:9080`,
      route: { index: 0 },
      status: 301,
      location: 'http://new.example.com/v2?x=1',
    });
    expect(
      at({ redirect: { https_redirect: true, response_code: 'PERMANENT_REDIRECT', strip_query: true } }),
    ).toMatchObject({
      status: 308,
      location: 'https://reviews:9080/api/v1',
    });
    expect(at({ redirect: { prefix_rewrite: '/new', port_redirect: 8443 } })).toMatchObject({
      location: 'http://reviews:8443/new/v1?x=1',
    });
    // Leaving http for https drops the Host's :80.
    const port80 = reviewsTable([{ match: { prefix: '/' }, redirect: { scheme_redirect: 'https' } }], {
      domains: ['reviews:80'],
    });
    expect(simulateV3(port80, { authority: 'reviews:80', path: '/a' })).toMatchObject({
      location: 'https://reviews/a',
    });
  });

  it('direct responses answer with their status and inline body', () => {
    expect(at({ direct_response: { status: 418, body: { inline_string: 'teapot' } } })).toMatchObject({
      kind: 'direct',
      status: 418,
      body: 'teapot',
    });
    expect(
      at({ direct_response: { status: 200, body: { inline_bytes: Buffer.from('ok').toString('base64') } } }),
    ).toMatchObject({ body: 'ok' });
    expect(at({ direct_response: { status: 700 } }).kind).toBe('invalid');
  });

  it('prefix_rewrite replaces the matched prefix; regex_rewrite substitutes in the path; the query is kept', () => {
    expect(
      routed(
        at({ route: { cluster: V1, prefix_rewrite: '/v2/api', host_rewrite_literal: 'reviews.internal' } }),
      ).rewrite,
    ).toEqual({
      path: '/v2/api/v1?x=1',
      authority: 'reviews.internal',
    });
    const regex = {
      route: {
        cluster: V1,
        regex_rewrite: { pattern: { regex: '^/api/(v\\d)$' }, substitution: '/\\1/api' },
      },
    };
    expect(routed(at(regex)).rewrite).toEqual({ path: '/v1/api?x=1' });
  });

  it("mirrors: the route's policies, else the virtual host's; 100 % without a runtime fraction", () => {
    const mirror = {
      request_mirror_policies: [{ cluster: V3, runtime_fraction: { default_value: { numerator: 25 } } }],
    };
    expect(routed(at({ route: { cluster: V1, ...mirror } })).mirrors).toEqual([
      { cluster: V3, fraction: 0.25 },
    ]);
    const config = reviewsTable([{ match: { prefix: '/' }, route: { cluster: V1 } }], {
      request_mirror_policies: [{ cluster: V2 }],
    });
    expect(routed(simulateV3(config, { authority: 'reviews', path: '/' })).mirrors).toEqual([
      { cluster: V2, fraction: 1 },
    ]);
  });

  it('hash policies and cluster_header routes', () => {
    const hashed = at({
      route: {
        cluster: V1,
        hash_policy: [
          { header: { header_name: 'x-user' } },
          { connection_properties: { source_ip: true }, terminal: true },
        ],
      },
    });
    expect(routed(hashed).hashPolicy).toEqual([
      { kind: 'header', name: 'x-user', terminal: false },
      { kind: 'source-ip', terminal: true },
    ]);
    const byHeader = { route: { cluster_header: 'X-Cluster' } };
    expect(distribution(at(byHeader, { headers: { 'x-cluster': V3 } }))).toEqual({ [V3]: 1 });
    expect(distribution(at(byHeader))).toEqual({ '': 1 });
  });
});
