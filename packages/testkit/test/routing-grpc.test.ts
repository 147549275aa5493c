import { distribution, simulateGrpc, type RouteOutcome, type SimOutcome } from '../src/routing';
import {
  apiListener,
  FAULT_TYPE,
  faultFilter,
  HCM_TYPE,
  oneRoute,
  routerFilter,
  routeTable,
} from './support/route-tables';

const TARGET = 'reviews.default.svc.cluster.local:9080';
const V1 = 'outbound|9080|v1|reviews.default.svc.cluster.local';
const V2 = 'outbound|9080|v2|reviews.default.svc.cluster.local';
const call = { authority: TARGET, path: '/bookinfo.Reviews/GetReviews' };

function routed(outcome: SimOutcome): RouteOutcome {
  if (outcome.kind !== 'route') throw new Error(`expected a route, got ${JSON.stringify(outcome)}`);
  return outcome;
}
const reasons = (outcome: SimOutcome): string =>
  outcome.kind === 'invalid' ? outcome.reasons.join('\n') : `not invalid: ${outcome.kind}`;

/** Routes as Sextant's proxyless rendering lays them out: a virtual host named and reached by the dial target. */
function targetTable(routes: readonly object[], host: object = {}): object {
  return routeTable(routes, { name: TARGET, domains: [TARGET], ...host });
}
const jason = {
  match: { prefix: '', headers: [{ name: 'end-user', exact_match: 'jason' }] },
  route: { cluster: V2 },
};
const split = (weights: [number, number], extra: object = {}): object => ({
  match: { prefix: '' },
  route: {
    weighted_clusters: {
      clusters: [
        { name: V1, weight: weights[0] },
        { name: V2, weight: weights[1] },
      ],
      ...extra,
    },
  },
});

describe('simulateGrpc: routing', () => {
  it('an RPC with metadata end-user: jason reaches subset v2; others split 80/20', () => {
    const listener = apiListener(targetTable([jason, split([80, 20], { total_weight: 100 })]));
    expect(distribution(simulateGrpc(listener, { ...call, headers: { 'end-user': 'jason' } }))).toEqual({
      [V2]: 1,
    });
    expect(distribution(simulateGrpc(listener, call))).toEqual({ [V1]: 0.8, [V2]: 0.2 });
    expect(distribution(simulateGrpc(listener, call, { client: 'grpc-core' }))).toEqual({
      [V1]: 0.8,
      [V2]: 0.2,
    });
  });

  it('an authority no domain lists, or an RPC no route takes, fails (no-virtual-host, no-route)', () => {
    const listener = apiListener(targetTable([jason]));
    expect(simulateGrpc(listener, { ...call, authority: 'reviews:9080' })).toEqual({
      kind: 'no-virtual-host',
    });
    expect(simulateGrpc(listener, call)).toEqual({ kind: 'no-route', virtualHost: TARGET });
  });

  it('grpc-js 1.14.1 splits by the sum of the weights; C-core wants the sum to equal total_weight (100 when unset)', () => {
    const listener = apiListener(targetTable([split([1, 3])]));
    expect(distribution(simulateGrpc(listener, call))).toEqual({ [V1]: 0.25, [V2]: 0.75 });
    expect(reasons(simulateGrpc(listener, call, { client: 'grpc-core' }))).toContain(
      'the weights sum to 4, not total_weight 100',
    );
    const declared = apiListener(targetTable([split([1, 3], { total_weight: 4 })]));
    expect(distribution(simulateGrpc(declared, call, { client: 'grpc-core' }))).toEqual({
      [V1]: 0.25,
      [V2]: 0.75,
    });
  });

  it('weights summing to 0 are refused by both clients; C-core also a missing weight', () => {
    const zero = apiListener(targetTable([split([0, 0])]));
    expect(reasons(simulateGrpc(zero, call))).toContain('the weights sum to 0');
    expect(simulateGrpc(zero, call, { client: 'grpc-core' }).kind).toBe('invalid');
    const missing = apiListener(
      targetTable([
        {
          match: { prefix: '' },
          route: { weighted_clusters: { clusters: [{ name: V1 }, { name: V2, weight: 100 }] } },
        },
      ]),
    );
    expect(distribution(simulateGrpc(missing, call))).toEqual({ [V1]: 0, [V2]: 1 });
    expect(reasons(simulateGrpc(missing, call, { client: 'grpc-core' }))).toContain('missing weight');
  });

  it('both clients skip cluster_header routes', () => {
    const listener = apiListener(
      targetTable([{ match: { prefix: '' }, route: { cluster_header: 'x-cluster' } }, split([50, 50])]),
    );
    const outcome = routed(simulateGrpc(listener, { ...call, headers: { 'x-cluster': 'other' } }));
    expect(outcome.route.index).toBe(1);
  });

  it('routes given through RDS are read from options.routeConfiguration', () => {
    const listener = apiListener(
      {},
      { route_config: undefined, rds: { route_config_name: TARGET, config_source: { ads: {} } } },
    );
    expect(
      distribution(simulateGrpc(listener, call, { routeConfiguration: targetTable([split([50, 50])]) })),
    ).toEqual({ [V1]: 0.5, [V2]: 0.5 });
    expect(() => simulateGrpc(listener, call)).toThrow(
      'pass the RouteConfiguration as options.routeConfiguration',
    );
    const notAds = apiListener(
      {},
      { route_config: undefined, rds: { route_config_name: TARGET, config_source: { path: '/etc/x' } } },
    );
    expect(
      reasons(simulateGrpc(notAds, call, { routeConfiguration: targetTable([split([50, 50])]) })),
    ).toContain('neither ads nor self');
  });

  it('a redirect is refused by grpc-js and fails the RPC in C-core', () => {
    const listener = apiListener(targetTable([{ match: { prefix: '' }, redirect: { host_redirect: 'x' } }]));
    expect(reasons(simulateGrpc(listener, call))).toContain(
      'grpc-js does not support the route action redirect',
    );
    expect(simulateGrpc(listener, call, { client: 'grpc-core' })).toEqual({
      kind: 'failed',
      virtualHost: TARGET,
      route: { index: 0 },
      grpcStatus: 14,
      reason: 'route action redirect',
    });
  });
});

describe('simulateGrpc: the listener', () => {
  const table = targetTable([split([50, 50])]);

  it('the api_listener must be an HttpConnectionManager', () => {
    const tcp = {
      name: TARGET,
      api_listener: {
        api_listener: {
          '@type': 'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy',
        },
      },
    };
    expect(reasons(simulateGrpc(tcp, call))).toContain('the api_listener is not an HttpConnectionManager');
    expect(() => simulateGrpc({ name: TARGET, address: {} }, call)).toThrow('expected an api_listener');
  });

  it('the router must be the last HTTP filter, and filter names unique', () => {
    expect(
      reasons(simulateGrpc(apiListener(table, { http_filters: [routerFilter, faultFilter] }), call)),
    ).toContain('not the router');
    expect(
      reasons(
        simulateGrpc(apiListener(table, { http_filters: [faultFilter, faultFilter, routerFilter] }), call),
      ),
    ).toContain('duplicate HTTP filter name envoy.filters.http.fault');
  });

  it('an empty filter chain: accepted by grpc-js, refused by C-core', () => {
    expect(simulateGrpc(apiListener(table, { http_filters: [] }), call).kind).toBe('route');
    expect(
      reasons(simulateGrpc(apiListener(table, { http_filters: [] }), call, { client: 'grpc-core' })),
    ).toContain('needs at least one HTTP filter');
  });

  it('a filter the client does not run on its side is refused unless optional', () => {
    const rbac = {
      name: 'envoy.filters.http.rbac',
      typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBAC' },
    };
    expect(reasons(simulateGrpc(apiListener(table, { http_filters: [rbac, routerFilter] }), call))).toContain(
      'grpc-js has no client filter for envoy.extensions.filters.http.rbac.v3.RBAC',
    );
    expect(
      simulateGrpc(apiListener(table, { http_filters: [{ ...rbac, is_optional: true }, routerFilter] }), call)
        .kind,
    ).toBe('route');
  });
});

describe('simulateGrpc: timeouts and retries', () => {
  const withAction = (action: object, host: object = {}): object =>
    targetTable([{ match: { prefix: '' }, route: { cluster: V1, ...action } }], host);

  it('the timeout comes from max_stream_duration (grpc_timeout_header_max first), never from RouteAction.timeout', () => {
    const timeout = (action: object): number | undefined =>
      routed(simulateGrpc(apiListener(withAction(action)), call)).timeoutMs;
    expect(timeout({ timeout: '5s' })).toBeUndefined();
    expect(timeout({ max_stream_duration: { max_stream_duration: '3s' } })).toBe(3000);
    expect(
      timeout({ max_stream_duration: { max_stream_duration: '3s', grpc_timeout_header_max: '1s' } }),
    ).toBe(1000);
    expect(timeout({ max_stream_duration: { max_stream_duration: '0s' } })).toBeUndefined();
  });

  it("the connection manager's default: idle_timeout for grpc-js 1.14.1, max_stream_duration for C-core (gRFC A31)", () => {
    const listener = apiListener(withAction({}), {
      common_http_protocol_options: { idle_timeout: '7s', max_stream_duration: '9s' },
    });
    expect(routed(simulateGrpc(listener, call)).timeoutMs).toBe(7000);
    expect(routed(simulateGrpc(listener, call, { client: 'grpc-core' })).timeoutMs).toBe(9000);
  });

  it('retries keep only gRPC status codes, cap attempts at 5 and default the back-off', () => {
    const retry = (policy: object): unknown =>
      routed(simulateGrpc(apiListener(withAction({ retry_policy: policy })), call)).retry;
    expect(
      retry({
        retry_on: 'connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes',
        num_retries: 2,
      }),
    ).toEqual({
      retryOn: ['unavailable', 'cancelled'],
      numRetries: 2,
      maxAttempts: 3,
      backoff: { baseMs: 25, maxMs: 250 },
    });
    expect(
      retry({ retry_on: 'unavailable', num_retries: 9, retry_back_off: { base_interval: '0.1s' } }),
    ).toMatchObject({
      maxAttempts: 5,
      backoff: { baseMs: 100, maxMs: 1000 },
    });
    expect(retry({ retry_on: '5xx,gateway-error' })).toBeUndefined();
  });

  it('a virtual host retry policy applies to routes without one', () => {
    const listener = apiListener(withAction({}, { retry_policy: { retry_on: 'resource-exhausted' } }));
    expect(routed(simulateGrpc(listener, call)).retry?.retryOn).toEqual(['resource-exhausted']);
  });

  it('num_retries 0 and a back-off without base_interval are refused', () => {
    expect(
      reasons(
        simulateGrpc(
          apiListener(withAction({ retry_policy: { retry_on: 'unavailable', num_retries: 0 } })),
          call,
        ),
      ),
    ).toContain('must be at least 1');
    const noBase = withAction({
      retry_policy: { retry_on: 'unavailable', retry_back_off: { max_interval: '1s' } },
    });
    expect(reasons(simulateGrpc(apiListener(noBase), call, { client: 'grpc-core' }))).toContain(
      'base_interval: is required',
    );
  });
});

describe('simulateGrpc: fault injection', () => {
  const faulted = (fault: object, where: 'route' | 'host' = 'route'): object => {
    const perFilter = {
      typed_per_filter_config: { 'envoy.filters.http.fault': { '@type': FAULT_TYPE, ...fault } },
    };
    const route = { match: { prefix: '' }, route: { cluster: V1 }, ...(where === 'route' ? perFilter : {}) };
    return apiListener(targetTable([route], where === 'host' ? perFilter : {}));
  };

  it('an HTTP status abort becomes a gRPC code: 503 is UNAVAILABLE', () => {
    const outcome = routed(
      simulateGrpc(
        faulted({ abort: { http_status: 503, percentage: { numerator: 100_000, denominator: 'MILLION' } } }),
        call,
      ),
    );
    expect(outcome.clusters[0]?.faults).toEqual([
      { filter: 'envoy.filters.http.fault', abort: { grpcStatus: 14, fraction: 0.1 } },
    ]);
  });

  it('a delay or abort without percentage makes the client NACK the resource', () => {
    expect(reasons(simulateGrpc(faulted({ abort: { grpc_status: 8 } }), call))).toContain(
      'gRPC clients require an explicit percentage',
    );
    expect(
      reasons(simulateGrpc(faulted({ delay: { fixed_delay: '1s' } }), call, { client: 'grpc-core' })),
    ).toContain('explicit percentage');
    // In the listener's top-level config too.
    const topLevel = apiListener(targetTable([split([50, 50])]), {
      http_filters: [
        { ...faultFilter, typed_config: { '@type': FAULT_TYPE, abort: { http_status: 500 } } },
        routerFilter,
      ],
    });
    expect(reasons(simulateGrpc(topLevel, call))).toContain('explicit percentage');
  });

  it('upstream_cluster, headers and downstream_nodes are ignored (gRFC A33)', () => {
    const fault = {
      abort: { grpc_status: 4, percentage: { numerator: 100 } },
      upstream_cluster: 'someone-else',
      headers: [{ name: 'x-never', present_match: true }],
    };
    expect(routed(simulateGrpc(faulted(fault), call)).clusters[0]?.faults).toEqual([
      { filter: 'envoy.filters.http.fault', abort: { grpcStatus: 4, fraction: 1 } },
    ]);
  });

  it('the virtual host override applies; without the fault filter in the chain there is none', () => {
    const fault = { delay: { fixed_delay: '2s', percentage: { numerator: 50 } } };
    expect(routed(simulateGrpc(faulted(fault, 'host'), call)).clusters[0]?.faults).toEqual([
      { filter: 'envoy.filters.http.fault', delay: { ms: 2000, fraction: 0.5 } },
    ]);
    const noFilter = faulted(fault) as { api_listener: { api_listener: object } };
    const listener = {
      ...noFilter,
      api_listener: { api_listener: { ...noFilter.api_listener.api_listener, http_filters: [routerFilter] } },
    };
    expect(routed(simulateGrpc(listener, call)).clusters[0]?.faults).toEqual([]);
  });

  it('header-controlled aborts read x-envoy-fault-abort-grpc-request', () => {
    const listener = faulted({ abort: { header_abort: {}, percentage: { numerator: 100 } } });
    expect(
      routed(simulateGrpc(listener, { ...call, headers: { 'x-envoy-fault-abort-grpc-request': '10' } }))
        .clusters[0]?.faults,
    ).toEqual([{ filter: 'envoy.filters.http.fault', abort: { grpcStatus: 10, fraction: 1 } }]);
  });

  it('an override of a filter type the client does not know is refused unless optional', () => {
    const unknown = { '@type': 'type.googleapis.com/envoy.extensions.filters.http.cors.v3.CorsPolicy' };
    const listener = (value: object): object =>
      apiListener(
        targetTable([
          {
            match: { prefix: '' },
            route: { cluster: V1 },
            typed_per_filter_config: { 'envoy.filters.http.cors': value },
          },
        ]),
      );
    expect(reasons(simulateGrpc(listener(unknown), call))).toContain(
      'no gRPC client filter for config type envoy.extensions.filters.http.cors.v3.CorsPolicy',
    );
    const optional = {
      '@type': 'type.googleapis.com/envoy.config.route.v3.FilterConfig',
      config: unknown,
      is_optional: true,
    };
    expect(simulateGrpc(listener(optional), call).kind).toBe('route');
  });
});

describe('simulateGrpc: input it cannot read', () => {
  it('names the field', () => {
    expect(() => simulateGrpc('listener', call)).toThrow('listener: expected an object, got "listener"');
    const binary = { name: TARGET, api_listener: { api_listener: { type_url: HCM_TYPE, value: 'AAA=' } } };
    expect(() => simulateGrpc(binary, call)).toThrow('a binary Any cannot be read');
    expect(() =>
      simulateGrpc(
        apiListener(
          oneRoute({ prefix: '' }, { cluster: V1, max_stream_duration: { max_stream_duration: 'soon' } }),
        ),
        call,
      ),
    ).toThrow('max_stream_duration.max_stream_duration: expected a duration such as "1.5s", got "soon"');
  });
});
