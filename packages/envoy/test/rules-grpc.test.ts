import { daemonConfigSchema } from '@sextant/core';
import {
  distribution,
  simulateGrpc,
  type GrpcClient,
  type SimOutcome,
  type SimRequest,
} from '@sextant/testkit/routing';
import { RULE_SETS } from './rule-sets';
import {
  cluster,
  destinationRule,
  GREETER,
  GREETER_PORT,
  GRPC_CLIENT,
  meshWith,
  REVIEWS,
  rpc,
  rules,
  to,
  versions,
  virtualService,
  type Json,
  type Rendered,
} from './rules-mesh';

/**
 * Rules rendered for proxyless gRPC clients (an api_listener with inline routes, and the clusters
 * its routes name), stated as what an RPC reaches and checked with the route simulator as both
 * grpc-js-xds 1.14 and gRPC C-core before 1.56 read it: neither may refuse what it is sent.
 */

const CLIENTS: readonly GrpcClient[] = ['grpc-js', 'grpc-core'];
const GREETER_LISTENER = `${GREETER}:${GREETER_PORT}`;
const G1 = cluster(GREETER, 'v1');
const G2 = cluster(GREETER, 'v2');

/** Where an RPC goes, as one client reads the listener. */
function call(
  rendered: Rendered,
  request: SimRequest,
  client: GrpcClient,
  listener = GREETER_LISTENER,
): SimOutcome {
  return simulateGrpc(rendered.grpcListener(listener), request, { client });
}

/** The same outcome from both clients (they must agree on what Sextant sends them), and not `invalid`. */
function agreed(rendered: Rendered, request: SimRequest, listener = GREETER_LISTENER): SimOutcome {
  const [jsOutcome, coreOutcome] = CLIENTS.map((client) => call(rendered, request, client, listener));
  if (jsOutcome?.kind === 'invalid' || coreOutcome?.kind === 'invalid')
    throw new Error(`refused: ${JSON.stringify([jsOutcome, coreOutcome])}`);
  expect(coreOutcome).toEqual(jsOutcome);
  if (!jsOutcome) throw new Error('no outcome');
  return jsOutcome;
}

function greeterRoutes(...routes: object[]): string {
  return rules(
    virtualService('greeter', { hosts: [GREETER], http: routes }),
    versions(GREETER, ['v1', 'v2']),
  );
}

/** The routes of the greeter's api listener, as sent. */
function sentRoutes(rendered: Rendered): Json[] {
  const listener = rendered.grpcListener(GREETER_LISTENER);
  const manager = (listener.api_listener as { api_listener: Json }).api_listener;
  const config = manager.route_config as { virtual_hosts: { routes: Json[] }[] };
  return config.virtual_hosts.flatMap((host) => host.routes);
}

describe('weighted splits', () => {
  it('weights are integers summing to 100, sent with total_weight 100: C-core and grpc-js split alike', () => {
    for (const [weights, expected] of [
      [[80, 20], { [G1]: 0.8, [G2]: 0.2 }],
      [[1, 2], { [G1]: 0.33, [G2]: 0.67 }],
      [[3, 3], { [G1]: 0.5, [G2]: 0.5 }],
      [[1000, 1], { [G1]: 1 }],
    ] as const) {
      const rendered = meshWith(
        greeterRoutes({ route: [to(GREETER, 'v1', weights[0]), to(GREETER, 'v2', weights[1])] }),
      ).render();
      const outcome = agreed(rendered, rpc(GREETER));
      expect(distribution(outcome)).toEqual(expected);
      if (outcome.kind === 'route' && outcome.clusters.length > 1) expect(outcome.totalWeight).toBe(100);
    }
  });

  it('total_weight is said: a client that reads a missing total as 100 and one that sums both take it', () => {
    const rendered = meshWith(
      greeterRoutes({ route: [to(GREETER, 'v1', 1), to(GREETER, 'v2', 1)] }),
    ).render();
    const [route] = sentRoutes(rendered);
    expect((route?.route as Json).weighted_clusters).toMatchObject({ total_weight: 100 });
  });
});

describe('request matching', () => {
  const rendered = meshWith(
    greeterRoutes(
      { match: [{ headers: { 'x-user': { exact: 'jason' } } }], route: [to(GREETER, 'v2')] },
      { match: [{ headers: { 'x-team': { prefix: 'qa-' } } }], route: [to(GREETER, 'v2')] },
      { match: [{ headers: { 'x-canary': { regex: 'yes|true' } } }], route: [to(GREETER, 'v2')] },
      { match: [{ headers: { 'x-debug': {} } }], route: [to(GREETER, 'v2')] },
      {
        match: [{ uri: { prefix: '/helloworld.Greeter/' }, withoutHeaders: { 'x-tier': { exact: 'gold' } } }],
        route: [to(GREETER, 'v1')],
      },
      { match: [{ uri: { exact: '/helloworld.Greeter/SayHello' } }], route: [to(GREETER, 'v2')] },
    ),
  ).render();
  const reaches = (request: Partial<SimRequest>) => distribution(agreed(rendered, rpc(GREETER, request)));

  it('header matchers are the fields every client reads (no string_match, which C-core before 1.56 refuses)', () => {
    expect(reaches({ headers: { 'x-user': 'jason' } })).toEqual({ [G2]: 1 });
    expect(reaches({ headers: { 'x-team': 'qa-red' } })).toEqual({ [G2]: 1 });
    expect(reaches({ headers: { 'x-canary': 'true' } })).toEqual({ [G2]: 1 });
    expect(reaches({ headers: { 'x-debug': '' } })).toEqual({ [G2]: 1 });
    const matchers = sentRoutes(rendered).flatMap((r) => ((r.match as Json).headers ?? []) as Json[]);
    expect(matchers.length).toBeGreaterThan(0);
    for (const matcher of matchers) expect(matcher).not.toHaveProperty('string_match');
  });

  it('withoutHeaders: RPCs without the header, or with another value, match; the value itself does not', () => {
    expect(reaches({})).toEqual({ [G1]: 1 });
    expect(reaches({ headers: { 'x-tier': 'silver' } })).toEqual({ [G1]: 1 });
    expect(reaches({ headers: { 'x-tier': 'gold' } })).toEqual({ [G2]: 1 });
  });

  it('routes that match query parameters, redirect or answer directly are not sent; the others keep their order', () => {
    const mixed = meshWith(
      greeterRoutes(
        { match: [{ queryParams: { v: { exact: '2' } } }], route: [to(GREETER, 'v2')] },
        { match: [{ headers: { 'x-old': {} } }], redirect: { uri: '/new' } },
        { match: [{ headers: { 'x-teapot': {} } }], directResponse: { status: 418 } },
        { route: [to(GREETER, 'v1')] },
      ),
    ).render();
    expect(sentRoutes(mixed)).toHaveLength(1);
    for (const headers of [{}, { 'x-old': '1' }, { 'x-teapot': '1' }] as Record<string, string>[])
      expect(distribution(agreed(mixed, rpc(GREETER, { headers })))).toEqual({ [G1]: 1 });
  });
});

describe('timeouts and retries', () => {
  const DAEMON_DEFAULT = daemonConfigSchema.properties.defaults.properties.retries.default;
  const defaults = { retry: { attempts: DAEMON_DEFAULT.attempts, retryOn: [...DAEMON_DEFAULT.retryOn] } };
  const mesh = meshWith(
    greeterRoutes(
      {
        match: [{ headers: { 'x-case': { exact: 'timed' } } }],
        route: [to(GREETER, 'v1')],
        timeout: '2.5s',
        retries: { attempts: 3, perTryTimeout: '1s', retryOn: 'unavailable,5xx,connect-failure,409' },
      },
      {
        match: [{ headers: { 'x-case': { exact: 'http-only' } } }],
        route: [to(GREETER, 'v1')],
        retries: { attempts: 2, retryOn: '5xx,gateway-error' },
      },
      {
        match: [{ headers: { 'x-case': { exact: 'many' } } }],
        route: [to(GREETER, 'v1')],
        retries: { attempts: 10, retryOn: 'cancelled,resource-exhausted' },
      },
      { route: [to(GREETER, 'v2')] },
    ),
  );
  const outcome = (rendered: Rendered, value?: string) =>
    agreed(rendered, rpc(GREETER, value ? { headers: { 'x-case': value } } : {}));

  it('a timeout is the RPC`s max_stream_duration; without one, the application`s deadline applies', () => {
    const rendered = mesh.render();
    expect(outcome(rendered, 'timed')).toMatchObject({ kind: 'route', timeoutMs: 2500 });
    expect(outcome(rendered)).not.toHaveProperty('timeoutMs');
    const timed = sentRoutes(rendered)[0]?.route as Json;
    expect(timed).not.toHaveProperty('timeout');
  });

  it('retries on gRPC codes only; none when no code is left; at most 5 attempts', () => {
    const rendered = mesh.render();
    expect(outcome(rendered, 'timed')).toMatchObject({
      retry: { retryOn: ['unavailable'], numRetries: 3, maxAttempts: 4 },
    });
    expect(outcome(rendered, 'http-only')).not.toHaveProperty('retry');
    expect(outcome(rendered, 'many')).toMatchObject({
      retry: { retryOn: ['cancelled', 'resource-exhausted'], numRetries: 4, maxAttempts: 5 },
    });
  });

  it('defaults.retries: routes that do not say retry the gRPC codes among the defaults, if any', () => {
    // The daemon's own default retries failures before any answer: nothing a gRPC client retries.
    expect(outcome(mesh.render({ defaults }))).not.toHaveProperty('retry');
    const withCodes = { retry: { attempts: 2, retryOn: ['connect-failure', 'unavailable', 'cancelled'] } };
    expect(outcome(mesh.render({ defaults: withCodes }))).toMatchObject({
      retry: { retryOn: ['unavailable', 'cancelled'], numRetries: 2, maxAttempts: 3 },
    });
    expect(outcome(mesh.render())).not.toHaveProperty('retry');
  });
});

describe('fault injection', () => {
  const FAULT = 'envoy.filters.http.fault';
  const rendered = meshWith(
    greeterRoutes(
      {
        match: [{ headers: { 'x-user': { exact: 'jason' } } }],
        fault: { delay: { percentage: { value: 100 }, fixedDelay: '7s' } },
        route: [to(GREETER, 'v1')],
      },
      {
        match: [{ headers: { 'x-user': { exact: 'tester' } } }],
        fault: { abort: { percentage: { value: 0.5 }, grpcStatus: 'UNAVAILABLE' } },
        route: [to(GREETER, 'v1', 50), to(GREETER, 'v2', 50)],
      },
      {
        match: [{ headers: { 'x-user': { exact: 'nobody' } } }],
        fault: { abort: { grpcStatus: 'INTERNAL' } },
        route: [to(GREETER, 'v1')],
      },
      { route: [to(GREETER, 'v1')] },
    ),
  ).render();
  const faults = (user?: string) => {
    const outcome = agreed(rendered, rpc(GREETER, user ? { headers: { 'x-user': user } } : {}));
    if (outcome.kind !== 'route') throw new Error(`not routed: ${JSON.stringify(outcome)}`);
    return outcome.clusters.map((c) => [c.name, c.faults]);
  };

  it('the fault filter is before the router in every api listener, with or without faults', () => {
    const plain = meshWith(rules()).render();
    for (const listener of [rendered.grpcListener(GREETER_LISTENER), plain.grpcListener(GREETER_LISTENER)]) {
      const manager = (listener.api_listener as { api_listener: Json }).api_listener;
      expect((manager.http_filters as Json[]).map((f) => f.name)).toEqual([
        FAULT,
        'envoy.filters.http.router',
      ]);
    }
  });

  it('delays and aborts with the percentages written; a fault without one affects no RPC and is not refused', () => {
    expect(faults('jason')).toEqual([[G1, [{ filter: FAULT, delay: { ms: 7000, fraction: 1 } }]]]);
    const abort = [{ filter: FAULT, abort: { grpcStatus: 14, fraction: 0.005 } }];
    expect(faults('tester')).toEqual([
      [G1, abort],
      [G2, abort],
    ]);
    // Sent with an explicit 0 % (grpc-js refuses a fault without a percentage; agreed() checks it).
    expect(faults('nobody')).toEqual([[G1, []]]);
    expect(faults()).toEqual([[G1, []]]);
  });
});

describe('DestinationRule traffic policy on the clusters gRPC clients are sent', () => {
  const mesh = meshWith(
    rules(
      virtualService('greeter', {
        hosts: [GREETER],
        http: [
          { match: [{ headers: { 'x-pin': {} } }], route: [to(GREETER, 'sticky')] },
          { match: [{ headers: { 'x-maglev': {} } }], route: [to(GREETER, 'maglev')] },
          { match: [{ headers: { 'x-big': {} } }], route: [to(GREETER, 'big-ring')] },
          { route: [to(GREETER, 'v1', 50), to(GREETER, 'v2', 50)] },
        ],
      }),
      destinationRule('greeter', {
        host: GREETER,
        trafficPolicy: {
          loadBalancer: { simple: 'LEAST_REQUEST' },
          connectionPool: {
            tcp: { maxConnections: 100 },
            http: { http1MaxPendingRequests: 10, http2MaxRequests: 50, maxRetries: 3 },
          },
          outlierDetection: { consecutive5xxErrors: 1, interval: '1s', baseEjectionTime: '3m' },
        },
        subsets: [
          { name: 'v1', labels: { version: 'v1' } },
          { name: 'v2', labels: { version: 'v2' }, trafficPolicy: { loadBalancer: { simple: 'RANDOM' } } },
          {
            name: 'sticky',
            labels: { version: 'v1' },
            trafficPolicy: { loadBalancer: { consistentHash: { httpHeaderName: 'x-pin' } } },
          },
          {
            name: 'maglev',
            labels: { version: 'v1' },
            trafficPolicy: {
              loadBalancer: { consistentHash: { httpHeaderName: 'x-maglev', maglev: { tableSize: 65537 } } },
            },
          },
          {
            name: 'big-ring',
            labels: { version: 'v1' },
            trafficPolicy: {
              loadBalancer: {
                consistentHash: { httpHeaderName: 'x-big', ringHash: { minimumRingSize: 16777216 } },
              },
            },
          },
        ],
      }),
    ),
  );
  const rendered = mesh.render();
  const grpcCluster = (name: string) => rendered.cluster(name, GRPC_CLIENT, 'grpc');

  it('only ROUND_ROBIN or RING_HASH (XX_HASH): LEAST_REQUEST, RANDOM and Maglev are not sent', () => {
    const names = [
      cluster(GREETER),
      G1,
      G2,
      ...['sticky', 'maglev', 'big-ring'].map((s) => cluster(GREETER, s)),
    ];
    const policies = names.map((name) => grpcCluster(name).lb_policy ?? 'ROUND_ROBIN');
    expect(policies).toEqual([
      'ROUND_ROBIN',
      'ROUND_ROBIN',
      'ROUND_ROBIN',
      'RING_HASH',
      'RING_HASH',
      'RING_HASH',
    ]);
    // The same clusters for Envoy keep what the rule says.
    expect([G1, G2, cluster(GREETER, 'maglev')].map((name) => rendered.cluster(name).lb_policy)).toEqual([
      'LEAST_REQUEST',
      'RANDOM',
      'MAGLEV',
    ]);
  });

  it('a ring larger than clients accept is sent as the largest they accept', () => {
    for (const target of ['grpc', 'v3'] as const) {
      expect(rendered.cluster(cluster(GREETER, 'big-ring'), GRPC_CLIENT, target)).toMatchObject({
        lb_policy: 'RING_HASH',
        ring_hash_lb_config: { minimum_ring_size: '8388608' },
      });
    }
  });

  it('routes to a ring-hash cluster hash on the header', () => {
    for (const header of ['x-pin', 'x-maglev', 'x-big']) {
      const outcome = agreed(rendered, rpc(GREETER, { headers: { [header]: 'u1' } }));
      expect(outcome.kind === 'route' && outcome.hashPolicy).toEqual([
        { kind: 'header', name: header, terminal: false },
      ]);
    }
    expect(agreed(rendered, rpc(GREETER))).not.toHaveProperty('hashPolicy');
  });

  it('circuit breakers carry max_requests only; no outlier detection', () => {
    for (const name of [cluster(GREETER), G1, G2]) {
      const sent = grpcCluster(name);
      expect(sent.circuit_breakers).toEqual({ thresholds: [{ max_requests: 50 }] });
      expect(sent).not.toHaveProperty('outlier_detection');
    }
    expect(rendered.cluster(G1).circuit_breakers).toEqual({
      thresholds: [{ max_connections: 100, max_pending_requests: 10, max_requests: 50, max_retries: 3 }],
    });
  });
});

describe('nothing Sextant sends a gRPC client is refused', () => {
  /** RPCs on a listener (a client that dialled `xds:///<listener>` sends it as the authority). */
  const REQUESTS: readonly (readonly [string, Partial<SimRequest>])[] = [
    [GREETER_LISTENER, { path: '/helloworld.Greeter/SayHello' }],
    [GREETER_LISTENER, { path: '/helloworld.Greeter/SayHello', headers: { 'x-user': 'jason' } }],
    [GREETER, { path: '/helloworld.Greeter/SayHello', headers: { 'x-user': 'alice' } }],
    [`${REVIEWS}:9080`, { path: '/api/x' }],
    [`${REVIEWS}:9080`, { path: '/reviews/7', headers: { 'end-user': 'jason' } }],
    [REVIEWS, { path: '/?preview=on' }],
  ];

  it.each(Object.keys(RULE_SETS))('%s: by grpc-js and C-core, whatever the RPC', (name) => {
    const rendered = meshWith(RULE_SETS[name] ?? '').render();
    for (const [listener, request] of REQUESTS) {
      for (const client of CLIENTS) {
        const outcome = call(rendered, { authority: listener, path: '/', ...request }, client, listener);
        expect({ listener, client, outcome: outcome.kind }).not.toEqual(
          expect.objectContaining({ outcome: 'invalid' }),
        );
        // Every cluster a route names is one the client can be sent.
        if (outcome.kind === 'route')
          for (const share of outcome.clusters)
            expect(rendered.hasCluster(share.name, GRPC_CLIENT, 'grpc')).toBe(true);
      }
    }
  });
});
