import { daemonConfigSchema } from '@sextant/core';
import { distribution, simulateV3, type SimOutcome, type SimRequest } from '@sextant/testkit/routing';
import {
  cluster,
  DETAILS,
  destinationRule,
  http,
  meshWith,
  PRODUCTPAGE,
  PRODUCTPAGE_SIDECAR,
  RATINGS,
  REVIEWS,
  REVIEWS_V2_SIDECAR,
  REVIEWS_V3_SIDECAR,
  Rendered,
  rules,
  to,
  versions,
  virtualService,
  type Json,
  type RulesMesh,
} from './rules-mesh';
import { Renderer } from '../src';

/**
 * Rules rendered for an Envoy sidecar (v3 RDS, CDS, EDS, LDS), stated as routing outcomes and
 * checked with the route simulator: what a request reaches, not what the protos hold.
 */

const V1 = cluster(REVIEWS, 'v1');
const V2 = cluster(REVIEWS, 'v2');
const V3 = cluster(REVIEWS, 'v3');
const REVIEWS_SUBSETS = versions(REVIEWS, ['v1', 'v2', 'v3']);

/** Where a request goes through the sidecar's routes for port 9080. */
function through(table: Json, request: SimRequest): SimOutcome {
  return simulateV3(table, request);
}

function reviewsRoutes(...routes: object[]): string {
  return rules(virtualService('reviews', { hosts: ['reviews'], http: routes }), REVIEWS_SUBSETS);
}

describe('weighted splits', () => {
  it('reviews 80/20: four requests in five reach v1, one reaches v2', () => {
    const mesh = meshWith(reviewsRoutes({ route: [to('reviews', 'v1', 80), to('reviews', 'v2', 20)] }));
    expect(distribution(through(mesh.render().routes(9080), http(REVIEWS)))).toEqual({
      [V1]: 0.8,
      [V2]: 0.2,
    });
  });

  it('1/1/1 is split 34/33/33 (largest remainder, the first destination takes the extra point)', () => {
    const mesh = meshWith(
      reviewsRoutes({ route: [to('reviews', 'v1', 1), to('reviews', 'v2', 1), to('reviews', 'v3', 1)] }),
    );
    const outcome = through(mesh.render().routes(9080), http(REVIEWS));
    expect(outcome.kind === 'route' && outcome.clusters.map((c) => [c.name, c.weight])).toEqual([
      [V1, 34],
      [V2, 33],
      [V3, 33],
    ]);
    expect(distribution(outcome)).toEqual({ [V1]: 0.34, [V2]: 0.33, [V3]: 0.33 });
  });

  it('a non-zero weight that rounds to 0 gets no traffic, and the route names only the others', () => {
    const mesh = meshWith(reviewsRoutes({ route: [to('reviews', 'v1', 1000), to('reviews', 'v2', 1)] }));
    expect(distribution(through(mesh.render().routes(9080), http(REVIEWS)))).toEqual({ [V1]: 1 });
  });

  it('a destination without subset reaches every instance of the service', () => {
    const mesh = meshWith(
      reviewsRoutes({ route: [to('reviews', undefined, 3), to('ratings', undefined, 1)] }),
    );
    expect(distribution(through(mesh.render().routes(9080), http(REVIEWS)))).toEqual({
      [cluster(REVIEWS)]: 0.75,
      [cluster(RATINGS)]: 0.25,
    });
  });
});

describe('request matching', () => {
  const toDetails = (match: object[]) => ({ match, route: [to('details')] });
  const mesh = meshWith(
    reviewsRoutes(
      toDetails([{ uri: { exact: '/reviews/exact' } }]),
      toDetails([{ uri: { regex: '/reviews/[0-9]+/stars' } }]),
      { match: [{ uri: { prefix: '/admin' }, ignoreUriCase: true }], route: [to('ratings')] },
      { match: [{ headers: { 'end-user': { exact: 'jason' } } }], route: [to('reviews', 'v2')] },
      { match: [{ headers: { 'x-team': { prefix: 'qa-' } } }], route: [to('reviews', 'v3')] },
      { match: [{ headers: { 'x-canary': { regex: 'yes|true' } } }], route: [to('reviews', 'v3')] },
      { match: [{ headers: { 'x-debug': {} } }], route: [to('ratings')] },
      { match: [{ method: { exact: 'POST' }, uri: { prefix: '/write' } }], route: [to('details')] },
      { match: [{ authority: { prefix: 'reviews.default' } }], route: [to('reviews', 'v1')] },
      { match: [{ scheme: { exact: 'https' } }], route: [to('reviews', 'v1')] },
      { match: [{ queryParams: { preview: { exact: 'on' } } }], route: [to('reviews', 'v3')] },
      {
        match: [{ uri: { prefix: '/guest' }, withoutHeaders: { cookie: { regex: '.*session=.*' } } }],
        route: [to('reviews', 'v1')],
      },
      {
        match: [{ uri: { prefix: '/team' } }, { headers: { 'x-team': { exact: 'blue' } } }],
        route: [to('reviews', 'v2')],
      },
      // Shadowed by the header route above for jason: the first match wins.
      {
        match: [{ uri: { prefix: '/' }, headers: { 'end-user': { regex: 'jas.*' } } }],
        route: [to('details')],
      },
    ),
  );
  const table = () => mesh.render().routes(9080);
  const reaches = (request: Partial<SimRequest>) => distribution(through(table(), http(REVIEWS, request)));
  const only = (name: string) => ({ [name]: 1 });

  it('uri: exact, regex (the whole path), and prefix without case', () => {
    expect(reaches({ path: '/reviews/exact' })).toEqual(only(cluster(DETAILS)));
    expect(through(table(), http(REVIEWS, { path: '/reviews/exact/more' })).kind).toBe('no-route');
    expect(reaches({ path: '/reviews/42/stars' })).toEqual(only(cluster(DETAILS)));
    expect(through(table(), http(REVIEWS, { path: '/reviews/42/stars/x' })).kind).toBe('no-route');
    expect(reaches({ path: '/ADMIN/users' })).toEqual(only(cluster(RATINGS)));
  });

  it('headers: exact, prefix, regex (the whole value) and presence', () => {
    expect(reaches({ headers: { 'end-user': 'jason' } })).toEqual(only(V2));
    expect(reaches({ headers: { 'x-team': 'qa-red' } })).toEqual(only(V3));
    expect(reaches({ headers: { 'x-canary': 'true' } })).toEqual(only(V3));
    expect(through(table(), http(REVIEWS, { headers: { 'x-canary': 'truely' } })).kind).toBe('no-route');
    expect(reaches({ headers: { 'x-debug': '' } })).toEqual(only(cluster(RATINGS)));
  });

  it('method, authority and scheme', () => {
    expect(reaches({ method: 'POST', path: '/write/1' })).toEqual(only(cluster(DETAILS)));
    expect(through(table(), http(REVIEWS, { path: '/write/1' })).kind).toBe('no-route');
    expect(
      distribution(through(table(), { authority: 'reviews.default.svc.cluster.local:9080', path: '/' })),
    ).toEqual(only(V1));
    expect(reaches({ scheme: 'https' })).toEqual(only(V1));
  });

  it('query parameters', () => {
    expect(reaches({ path: '/?preview=on' })).toEqual(only(V3));
    expect(through(table(), http(REVIEWS, { path: '/?preview=off' })).kind).toBe('no-route');
  });

  it('withoutHeaders: requests that lack the header, or carry another value, match', () => {
    expect(reaches({ path: '/guest' })).toEqual(only(V1));
    expect(reaches({ path: '/guest', headers: { cookie: 'theme=dark' } })).toEqual(only(V1));
    expect(through(table(), http(REVIEWS, { path: '/guest', headers: { cookie: 'session=1' } })).kind).toBe(
      'no-route',
    );
  });

  it('match blocks are alternatives: either one routes the request', () => {
    expect(reaches({ path: '/team/1' })).toEqual(only(V2));
    expect(reaches({ path: '/other', headers: { 'x-team': 'blue' } })).toEqual(only(V2));
  });

  it('the first route that matches wins, in the order written', () => {
    const outcome = through(table(), http(REVIEWS, { headers: { 'end-user': 'jason' } }));
    expect(outcome.kind === 'route' && outcome.route.index).toBe(3);
    expect(reaches({ headers: { 'end-user': 'jasmine' } })).toEqual(only(cluster(DETAILS)));
  });

  it('no default route follows a VirtualService: what no route matches gets 404 (no route)', () => {
    expect(through(table(), http(REVIEWS, { path: '/nothing' }))).toEqual({
      kind: 'no-route',
      virtualHost: `${REVIEWS}:9080`,
    });
  });
});

describe('legacy RouteRules (Pilot 0.7)', () => {
  const routeRule = (name: string, spec: object) => ({
    apiVersion: 'config.istio.io/v1alpha2',
    kind: 'RouteRule',
    metadata: { name },
    spec: { destination: { name: 'reviews' }, ...spec },
  });
  const JASON = { request: { headers: { cookie: { regex: '^(.*?;)?(user=jason)(;.*)?$' } } } };
  const LEGACY_V1 = cluster(REVIEWS, 'version-v1');
  const LEGACY_V2 = cluster(REVIEWS, 'version-v2');

  it('a higher precedence wins wherever it is written; label routes reach the instances with those labels', () => {
    const mesh = meshWith(
      rules(
        routeRule('reviews-default', { precedence: 1, route: [{ labels: { version: 'v1' } }] }),
        routeRule('reviews-test-v2', { precedence: 2, match: JASON, route: [{ labels: { version: 'v2' } }] }),
      ),
    );
    const rendered = mesh.render();
    const table = rendered.routes(9080);
    expect(distribution(through(table, http(REVIEWS, { headers: { cookie: 'user=jason' } })))).toEqual({
      [LEGACY_V2]: 1,
    });
    expect(distribution(through(table, http(REVIEWS)))).toEqual({ [LEGACY_V1]: 1 });
    expect(rendered.endpointsOf(rendered.cluster(LEGACY_V2))).toEqual(['10.0.1.12:9080']);
  });

  it('route as their VirtualService equivalents do: the same requests reach the same endpoints in the same shares', () => {
    const legacy = meshWith(
      rules(
        routeRule('reviews-default', {
          precedence: 1,
          route: [
            { labels: { version: 'v1' }, weight: 75 },
            { labels: { version: 'v3' }, weight: 25 },
          ],
        }),
        routeRule('reviews-test-v2', { precedence: 2, match: JASON, route: [{ labels: { version: 'v2' } }] }),
      ),
    ).render();
    const istio = meshWith(
      reviewsRoutes(
        {
          match: [{ headers: { cookie: { regex: '^(.*?;)?(user=jason)(;.*)?$' } } }],
          route: [to('reviews', 'v2')],
        },
        { route: [to('reviews', 'v1', 75), to('reviews', 'v3', 25)] },
      ),
    ).render();
    // Subset clusters are named differently (istioctl named legacy label sets); what they reach is the same.
    const reached = (rendered: ReturnType<RulesMesh['render']>, request: SimRequest) =>
      Object.entries(distribution(through(rendered.routes(9080), request)))
        .map(([name, share]) => `${rendered.endpointsOf(rendered.cluster(name)).join(',')} ${share}`)
        .sort();
    for (const request of [
      http(REVIEWS, { headers: { cookie: 'user=jason' } }),
      http(REVIEWS, { headers: { cookie: 'a=b;user=jason;c=d' } }),
      http(REVIEWS, { headers: { cookie: 'user=jasonx' } }),
      http(REVIEWS, { path: '/reviews/1' }),
    ]) {
      expect(reached(legacy, request)).toEqual(reached(istio, request));
    }
    expect(reached(istio, http(REVIEWS))).toEqual(['10.0.1.11:9080 0.75', '10.0.1.13:9080 0.25']);
  });

  it('without a catch-all rule, the default route follows the rules (no 404 for the rest)', () => {
    const mesh = meshWith(
      rules(
        routeRule('reviews-test-v2', { precedence: 2, match: JASON, route: [{ labels: { version: 'v2' } }] }),
      ),
    );
    const table = mesh.render().routes(9080);
    expect(distribution(through(table, http(REVIEWS, { headers: { cookie: 'a=b;user=jason' } })))).toEqual({
      [LEGACY_V2]: 1,
    });
    const rest = through(table, http(REVIEWS, { path: '/anything' }));
    expect(rest.kind === 'route' && rest.route.name).toBe('default');
    expect(distribution(rest)).toEqual({ [cluster(REVIEWS)]: 1 });
  });
});

describe('routes for some clients only (sourceLabels, legacy match.source)', () => {
  const mesh = meshWith(
    rules(
      virtualService('ratings', {
        hosts: ['ratings'],
        http: [
          { match: [{ sourceLabels: { app: 'reviews', version: 'v2' } }], route: [to('ratings', 'v2')] },
          { route: [to('ratings', 'v1')] },
        ],
      }),
      versions(RATINGS, ['v1', 'v2']),
      virtualService('details', {
        hosts: ['details'],
        http: [{ match: [{ sourceLabels: { app: 'reviews' } }], route: [to('details')], timeout: '3s' }],
      }),
    ),
  );

  it('a route whose sourceLabels select the client exists in its table only', () => {
    const rendered = mesh.render();
    expect(distribution(through(rendered.routes(9080, REVIEWS_V2_SIDECAR), http(RATINGS)))).toEqual({
      [cluster(RATINGS, 'v2')]: 1,
    });
    expect(distribution(through(rendered.routes(9080, REVIEWS_V3_SIDECAR), http(RATINGS)))).toEqual({
      [cluster(RATINGS, 'v1')]: 1,
    });
    expect(distribution(through(rendered.routes(9080, PRODUCTPAGE_SIDECAR), http(RATINGS)))).toEqual({
      [cluster(RATINGS, 'v1')]: 1,
    });
  });

  it('a client no route of a VirtualService selects gets the default route, not a 404', () => {
    const rendered = mesh.render();
    const fromReviews = through(rendered.routes(9080, REVIEWS_V2_SIDECAR), http(DETAILS));
    expect(fromReviews.kind === 'route' && fromReviews.timeoutMs).toBe(3000);
    const fromProductpage = through(rendered.routes(9080, PRODUCTPAGE_SIDECAR), http(DETAILS));
    expect(fromProductpage.kind === 'route' && fromProductpage.route.name).toBe('default');
    expect(distribution(fromProductpage)).toEqual({ [cluster(DETAILS)]: 1 });
  });

  it('legacy match.source: the client must be an instance of the source service, with its labels', () => {
    const legacy = meshWith(
      rules({
        apiVersion: 'config.istio.io/v1alpha2',
        kind: 'RouteRule',
        metadata: { name: 'ratings-from-reviews-v2' },
        spec: {
          destination: { name: 'ratings' },
          precedence: 2,
          match: { source: { name: 'reviews', labels: { version: 'v2' } } },
          route: [{ labels: { version: 'v2' } }],
        },
      }),
    ).render();
    expect(distribution(through(legacy.routes(9080, REVIEWS_V2_SIDECAR), http(RATINGS)))).toEqual({
      [cluster(RATINGS, 'version-v2')]: 1,
    });
    expect(distribution(through(legacy.routes(9080, REVIEWS_V3_SIDECAR), http(RATINGS)))).toEqual({
      [cluster(RATINGS)]: 1,
    });
  });
});

describe('answers without forwarding, and rewrites', () => {
  const mesh = meshWith(
    reviewsRoutes(
      { match: [{ uri: { prefix: '/old' } }], redirect: { uri: '/new', authority: 'details:9080' } },
      {
        match: [{ uri: { exact: '/login' } }],
        redirect: { scheme: 'https', authority: 'auth.example.com', port: 8443, redirectCode: 308 },
      },
      {
        match: [{ uri: { prefix: '/teapot' } }],
        directResponse: { status: 418, body: { string: 'short and stout' } },
      },
      {
        match: [{ uri: { prefix: '/api/reviews' } }],
        rewrite: { uri: '/reviews', authority: 'reviews.internal' },
        route: [to('reviews', 'v1')],
      },
      {
        match: [{ uri: { regex: '/books/[0-9]+/reviews' } }],
        rewrite: { uriRegexRewrite: { match: '^/books/([0-9]+)/reviews$', rewrite: '/reviews/\\1' } },
        route: [to('reviews', 'v2')],
      },
    ),
  );
  const table = () => mesh.render().routes(9080);

  it('a redirect answers 301 with the new location, keeping what it does not replace', () => {
    expect(through(table(), http(REVIEWS, { path: '/old/page?x=1' }))).toMatchObject({
      kind: 'redirect',
      status: 301,
      location: 'http://details:9080/new?x=1',
    });
    expect(through(table(), http(REVIEWS, { path: '/login' }))).toMatchObject({
      kind: 'redirect',
      status: 308,
      location: 'https://auth.example.com:8443/login',
    });
  });

  it('a direct response answers with its status and body', () => {
    expect(through(table(), http(REVIEWS, { path: '/teapot/1' }))).toMatchObject({
      kind: 'direct',
      status: 418,
      body: 'short and stout',
    });
  });

  it('rewrites replace the matched prefix, or by regex, and the authority', () => {
    const prefixed = through(table(), http(REVIEWS, { path: '/api/reviews/7' }));
    expect(prefixed).toMatchObject({
      kind: 'route',
      rewrite: { path: '/reviews/7', authority: 'reviews.internal' },
    });
    expect(distribution(prefixed)).toEqual({ [V1]: 1 });
    expect(through(table(), http(REVIEWS, { path: '/books/12/reviews' }))).toMatchObject({
      kind: 'route',
      rewrite: { path: '/reviews/12' },
    });
  });
});

describe('timeouts and retries', () => {
  /** The daemon's `defaults.retries` when sextant.yaml says nothing. */
  const DAEMON_DEFAULT = daemonConfigSchema.properties.defaults.properties.retries.default;
  const defaults = { retry: { attempts: DAEMON_DEFAULT.attempts, retryOn: [...DAEMON_DEFAULT.retryOn] } };
  const mesh = meshWith(
    reviewsRoutes(
      {
        match: [{ uri: { prefix: '/slow' } }],
        route: [to('reviews', 'v1')],
        timeout: '2.5s',
        retries: { attempts: 3, perTryTimeout: '500ms', retryOn: 'gateway-error,connect-failure,409' },
      },
      { match: [{ uri: { prefix: '/once' } }], route: [to('reviews', 'v1')], retries: { attempts: 0 } },
      { match: [{ uri: { prefix: '/plain' } }], route: [to('reviews', 'v1')], retries: { attempts: 4 } },
      { route: [to('reviews', 'v2')] },
    ),
  );

  /** Whether Envoy would send a request again after the upstream answered 503. */
  const retriesA503 = (outcome: SimOutcome) =>
    outcome.kind === 'route' &&
    outcome.retry !== undefined &&
    outcome.retry.numRetries > 0 &&
    (outcome.retry.retryOn.includes('5xx') ||
      outcome.retry.retryOn.includes('gateway-error') ||
      (outcome.retry.retryOn.includes('retriable-status-codes') &&
        (outcome.retry.retriableStatusCodes ?? []).includes(503)));

  it('a route times out after its timeout; without one, never (not after Envoy`s 15 s)', () => {
    const table = mesh.render().routes(9080);
    expect(through(table, http(REVIEWS, { path: '/slow' }))).toMatchObject({
      kind: 'route',
      timeoutMs: 2500,
    });
    const untimed = through(table, http(REVIEWS));
    expect(untimed.kind).toBe('route');
    expect(untimed).not.toHaveProperty('timeoutMs');
    const otherHost = through(table, http(DETAILS));
    expect(otherHost).not.toHaveProperty('timeoutMs');
  });

  it('retries: attempts, per-try timeout, conditions and status codes as written', () => {
    const outcome = through(mesh.render().routes(9080), http(REVIEWS, { path: '/slow' }));
    expect(outcome.kind === 'route' && outcome.retry).toEqual({
      retryOn: ['gateway-error', 'connect-failure', 'retriable-status-codes'],
      numRetries: 3,
      perTryTimeoutMs: 500,
      retriableStatusCodes: [409],
      backoff: { baseMs: 25, maxMs: 250 },
    });
  });

  it('attempts: 0 turns retries off, even with a default policy', () => {
    const outcome = through(mesh.render({ defaults }).routes(9080), http(REVIEWS, { path: '/once' }));
    expect(outcome.kind).toBe('route');
    expect(outcome).not.toHaveProperty('retry');
  });

  it('retries without conditions retry what Istio retries by default, never a 503 answer', () => {
    const outcome = through(mesh.render().routes(9080), http(REVIEWS, { path: '/plain', method: 'POST' }));
    expect(outcome.kind === 'route' && outcome.retry?.retryOn).toEqual([
      'connect-failure',
      'refused-stream',
      'unavailable',
      'cancelled',
    ]);
    expect(retriesA503(outcome)).toBe(false);
  });

  it('defaults.retries: routes that do not say, default routes included, retry only failures before the upstream answered', () => {
    const table = mesh.render({ defaults }).routes(9080);
    for (const request of [
      http(REVIEWS, { method: 'POST' }),
      http(DETAILS, { method: 'POST' }),
      http(RATINGS, { method: 'PATCH' }),
    ]) {
      const outcome = through(table, request);
      expect(outcome.kind === 'route' && outcome.retry).toMatchObject({
        numRetries: DAEMON_DEFAULT.attempts,
        retryOn: DAEMON_DEFAULT.retryOn,
      });
      expect(retriesA503(outcome)).toBe(false);
    }
    // Without defaults, routes that do not say have no retries.
    expect(through(mesh.render().routes(9080), http(DETAILS))).not.toHaveProperty('retry');
  });
});

describe('fault injection', () => {
  const FAULT = 'envoy.filters.http.fault';
  const mesh = meshWith(
    rules(
      virtualService('ratings', {
        hosts: ['ratings'],
        http: [
          {
            match: [{ headers: { 'end-user': { exact: 'jason' } } }],
            fault: { delay: { percentage: { value: 100 }, fixedDelay: '7s' } },
            route: [to('ratings', 'v1')],
          },
          {
            match: [{ headers: { 'end-user': { exact: 'tester' } } }],
            fault: { abort: { percentage: { value: 0.5 }, httpStatus: 500 } },
            route: [to('ratings', 'v1', 50), to('ratings', 'v2', 50)],
          },
          {
            match: [{ headers: { 'end-user': { exact: 'grpc' } } }],
            fault: { abort: { percentage: { value: 10 }, grpcStatus: 'UNAVAILABLE' } },
            route: [to('ratings', 'v1')],
          },
          { route: [to('ratings', 'v1')] },
        ],
      }),
      versions(RATINGS, ['v1', 'v2']),
    ),
  );
  const faultsOf = (request: SimRequest) => {
    const rendered = mesh.render();
    const outcome = simulateV3(rendered.routes(9080), request, { httpFilters: rendered.httpFilters(9080) });
    if (outcome.kind !== 'route') throw new Error(`not routed: ${JSON.stringify(outcome)}`);
    return outcome.clusters.map((c) => [c.name, c.faults]);
  };

  it('every outbound HTTP listener has the fault filter before the router, with no rule or fault at all', () => {
    const plain = meshWith(rules()).render();
    for (const port of [9080, 8000]) {
      expect(plain.httpFilters(port).map((f) => f.name)).toEqual([
        FAULT,
        'envoy.filters.http.cors',
        'envoy.filters.http.router',
      ]);
    }
  });

  it('the fault filter runs before the router in the outbound listener', () => {
    const names = mesh
      .render()
      .httpFilters(9080)
      .map((f) => f.name);
    expect(names.indexOf(FAULT)).toBeGreaterThanOrEqual(0);
    expect(names.at(-1)).toBe('envoy.filters.http.router');
    expect(names.indexOf(FAULT)).toBeLessThan(names.length - 1);
  });

  it('jason is delayed 7 s on every request; others are not', () => {
    expect(faultsOf(http(RATINGS, { headers: { 'end-user': 'jason' } }))).toEqual([
      [cluster(RATINGS, 'v1'), [{ filter: FAULT, delay: { ms: 7000, fraction: 1 } }]],
    ]);
    expect(faultsOf(http(RATINGS))).toEqual([[cluster(RATINGS, 'v1'), []]]);
  });

  it('an abort of 0.5 % of requests, to each destination of a split; a gRPC status abort', () => {
    const abort = [{ filter: FAULT, abort: { httpStatus: 500, fraction: 0.005 } }];
    expect(faultsOf(http(RATINGS, { headers: { 'end-user': 'tester' } }))).toEqual([
      [cluster(RATINGS, 'v1'), abort],
      [cluster(RATINGS, 'v2'), abort],
    ]);
    expect(faultsOf(http(RATINGS, { headers: { 'end-user': 'grpc' } }))).toEqual([
      [cluster(RATINGS, 'v1'), [{ filter: FAULT, abort: { grpcStatus: 14, fraction: 0.1 } }]],
    ]);
  });
});

describe('CORS', () => {
  const CORS = 'envoy.filters.http.cors';
  const mesh = meshWith(
    reviewsRoutes(
      {
        match: [{ uri: { prefix: '/api' } }],
        route: [to('reviews', 'v1')],
        corsPolicy: {
          allowOrigins: [{ exact: 'https://books.example.com' }, { regex: 'https://.*\\.example\\.org' }],
          allowMethods: ['GET', 'POST'],
          allowHeaders: ['x-requested-with'],
          exposeHeaders: ['x-trace'],
          maxAge: '24h',
          allowCredentials: true,
        },
      },
      { route: [to('reviews', 'v2')] },
    ),
  );

  // The route simulator does not model the CORS filter: what Envoy is sent is stated here, and the
  // filter it needs is checked to run before the router.
  it('a route`s CORS policy is its per-route config of the CORS filter every outbound listener runs', () => {
    const rendered = mesh.render();
    const table = rendered.routes(9080);
    const api = through(table, http(REVIEWS, { path: '/api/1' }));
    expect(distribution(api)).toEqual({ [V1]: 1 });
    const host = (table.virtual_hosts as { name: string; routes: Json[] }[]).find(
      (h) => h.name === `${REVIEWS}:9080`,
    );
    expect(host?.routes[0]?.typed_per_filter_config).toEqual({
      [CORS]: {
        '@type': 'type.googleapis.com/envoy.extensions.filters.http.cors.v3.CorsPolicy',
        allow_origin_string_match: [
          { exact: 'https://books.example.com' },
          { safe_regex: { regex: 'https://.*\\.example\\.org' } },
        ],
        allow_methods: 'GET,POST',
        allow_headers: 'x-requested-with',
        expose_headers: 'x-trace',
        max_age: '86400',
        allow_credentials: true,
      },
    });
    expect(host?.routes[1]).not.toHaveProperty('typed_per_filter_config');
    const names = rendered.httpFilters(9080).map((f) => f.name);
    expect(names.indexOf(CORS)).toBeGreaterThanOrEqual(0);
    expect(names.indexOf(CORS)).toBeLessThan(names.indexOf('envoy.filters.http.router'));
  });
});

describe('mirrors', () => {
  it('a copy of a share of the requests goes to the mirror, the answer comes from the route', () => {
    const mesh = meshWith(
      reviewsRoutes(
        {
          match: [{ uri: { prefix: '/one' } }],
          route: [to('reviews', 'v1')],
          mirror: { host: 'reviews', subset: 'v2' },
          mirrorPercentage: { value: 25 },
        },
        {
          route: [to('reviews', 'v1')],
          mirrors: [
            { destination: { host: 'reviews', subset: 'v2' } },
            { destination: { host: 'ratings' }, percentage: { value: 0.5 } },
          ],
        },
      ),
    );
    const table = mesh.render().routes(9080);
    const one = through(table, http(REVIEWS, { path: '/one' }));
    expect(distribution(one)).toEqual({ [V1]: 1 });
    expect(one.kind === 'route' && one.mirrors).toEqual([{ cluster: V2, fraction: 0.25 }]);
    const two = through(table, http(REVIEWS));
    expect(two.kind === 'route' && two.mirrors).toEqual([
      { cluster: V2, fraction: 1 },
      { cluster: cluster(RATINGS), fraction: 0.005 },
    ]);
  });
});

describe('DestinationRule traffic policy on clusters', () => {
  const mesh = meshWith(
    rules(
      virtualService('reviews', {
        hosts: ['reviews'],
        http: [{ route: [to('reviews', 'v1', 50), to('reviews', 'v2', 50)] }],
      }),
      destinationRule('reviews', {
        host: 'reviews',
        trafficPolicy: {
          loadBalancer: { simple: 'RANDOM' },
          connectionPool: {
            tcp: { maxConnections: 100, connectTimeout: '250ms' },
            http: {
              http1MaxPendingRequests: 10,
              http2MaxRequests: 50,
              maxRequestsPerConnection: 1,
              maxRetries: 3,
            },
          },
          outlierDetection: {
            consecutive5xxErrors: 1,
            consecutiveGatewayErrors: 2,
            interval: '1s',
            baseEjectionTime: '3m',
            maxEjectionPercent: 100,
            minHealthPercent: 20,
          },
        },
        subsets: [
          { name: 'v1', labels: { version: 'v1' } },
          {
            name: 'v2',
            labels: { version: 'v2' },
            trafficPolicy: { loadBalancer: { simple: 'LEAST_REQUEST' } },
          },
          { name: 'v3', labels: { version: 'v3' } },
        ],
      }),
      virtualService('ratings', { hosts: ['ratings'], http: [{ route: [to('ratings', 'sticky')] }] }),
      destinationRule('ratings', {
        host: 'ratings',
        trafficPolicy: { loadBalancer: { consistentHash: { httpHeaderName: 'x-user' } } },
        subsets: [
          { name: 'sticky', labels: { app: 'ratings' } },
          {
            name: 'by-cookie',
            labels: { app: 'ratings' },
            trafficPolicy: {
              loadBalancer: {
                consistentHash: { httpCookie: { name: 'session', ttl: '60s' }, maglev: { tableSize: 65537 } },
              },
            },
          },
        ],
      }),
      destinationRule('productpage', {
        host: 'productpage',
        trafficPolicy: { loadBalancer: { consistentHash: { useSourceIp: true } } },
      }),
      virtualService('details', { hosts: ['details'], http: [{ route: [to('details', 'by-cookie')] }] }),
      destinationRule('details', {
        host: 'details',
        trafficPolicy: {
          loadBalancer: {
            consistentHash: { httpCookie: { name: 'session', ttl: '60s' }, maglev: { tableSize: 65537 } },
          },
        },
        subsets: [{ name: 'by-cookie', labels: { version: 'v1' } }],
      }),
    ),
  );
  const rendered = mesh.render();

  it('subset clusters `outbound|<port>|<subset>|<host>`, each with EDS of the instances its labels select', () => {
    const names = rendered.clusters().map((c) => c.name);
    expect(names).toEqual(expect.arrayContaining([cluster(REVIEWS), V1, V2, V3]));
    expect(rendered.endpointsOf(rendered.cluster(V1))).toEqual(['10.0.1.11:9080']);
    expect(rendered.endpointsOf(rendered.cluster(V2))).toEqual(['10.0.1.12:9080']);
    expect(rendered.endpointsOf(rendered.cluster(cluster(REVIEWS)))).toEqual([
      '10.0.1.11:9080',
      '10.0.1.12:9080',
      '10.0.1.13:9080',
    ]);
  });

  it('load balancing, circuit breakers, outlier detection; a subset`s own policy overrides the host`s', () => {
    expect(rendered.cluster(V1)).toMatchObject({
      lb_policy: 'RANDOM',
      connect_timeout: '0.250s',
      circuit_breakers: {
        thresholds: [{ max_connections: 100, max_pending_requests: 10, max_requests: 50, max_retries: 3 }],
      },
      outlier_detection: {
        consecutive_5xx: 1,
        enforcing_consecutive_5xx: 100,
        consecutive_gateway_failure: 2,
        enforcing_consecutive_gateway_failure: 100,
        enforcing_success_rate: 0,
        interval: '1s',
        base_ejection_time: '180s',
        max_ejection_percent: 100,
      },
      common_lb_config: { healthy_panic_threshold: { value: 20 } },
      typed_extension_protocol_options: {
        'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
          common_http_protocol_options: { max_requests_per_connection: 1 },
        },
      },
    });
    expect(rendered.cluster(V2)).toMatchObject({ lb_policy: 'LEAST_REQUEST', circuit_breakers: {} });
  });

  it('consistent hash: a ring-hash cluster, and routes to it hash on the header', () => {
    // XX_HASH is the enum's default: proto3 JSON leaves it out.
    expect(rendered.cluster(cluster(RATINGS, 'sticky'))).toMatchObject({
      lb_policy: 'RING_HASH',
      ring_hash_lb_config: {},
    });
    const outcome = through(rendered.routes(9080), http(RATINGS, { headers: { 'x-user': 'u1' } }));
    expect(outcome.kind === 'route' && outcome.hashPolicy).toEqual([
      { kind: 'header', name: 'x-user', terminal: false },
    ]);
  });

  it('consistent hash on a host without VirtualService: its default route hashes', () => {
    const outcome = through(rendered.routes(9080), http(PRODUCTPAGE));
    expect(outcome.kind === 'route' && outcome.route.name).toBe('default');
    expect(outcome.kind === 'route' && outcome.hashPolicy).toEqual([{ kind: 'source-ip', terminal: false }]);
  });

  it('a destination host that starts hashing changes the routes of hosts routing to it (not a cached table)', () => {
    const changing = meshWith(
      rules(virtualService('reviews', { hosts: ['reviews'], http: [{ route: [to('ratings')] }] })),
    );
    const renderer = new Renderer({ keepRendered: true });
    const before = through(new Rendered(changing.snapshot, renderer).routes(9080), http(REVIEWS));
    expect(before).not.toHaveProperty('hashPolicy');
    changing.setRules(
      rules(
        virtualService('reviews', { hosts: ['reviews'], http: [{ route: [to('ratings')] }] }),
        destinationRule('ratings', {
          host: 'ratings',
          trafficPolicy: { loadBalancer: { consistentHash: { httpHeaderName: 'x-user' } } },
        }),
      ),
    );
    const after = through(new Rendered(changing.snapshot, renderer).routes(9080), http(REVIEWS));
    expect(after.kind === 'route' && after.hashPolicy).toEqual([
      { kind: 'header', name: 'x-user', terminal: false },
    ]);
  });

  it('consistent hash by cookie on a Maglev cluster', () => {
    expect(rendered.cluster(cluster(DETAILS, 'by-cookie'))).toMatchObject({
      lb_policy: 'MAGLEV',
      maglev_lb_config: { table_size: '65537' },
    });
    const outcome = through(rendered.routes(9080), http(DETAILS));
    expect(outcome.kind === 'route' && outcome.hashPolicy).toEqual([
      { kind: 'cookie', name: 'session', terminal: false },
    ]);
  });
});
