import { distribution, type SimOutcome } from '@sextant/testkit/routing';
import { DEFAULT_RETRY_ON } from '@sextant/core';
import { get, RulesMesh, v1Cluster, v3Cluster, yaml } from './rules-v1-mesh';

/**
 * Traffic rules rendered for Envoy v1 (RDS routes, LDS fault and CORS filters), each outcome
 * stated in words and checked by routing requests through what a sidecar gets, as Envoy v1
 * routes them (@sextant/testkit/routing). Every answer rendered here passes Envoy v1's schema
 * checks and names only clusters in the same proxy's CDS (rules-v1-mesh.ts).
 */

let mesh: RulesMesh;
beforeEach(() => {
  mesh = new RulesMesh();
});
afterEach(() => mesh.close());

const REVIEWS_SUBSETS = yaml(
  'apiVersion: networking.istio.io/v1beta1',
  'kind: DestinationRule',
  'metadata: { name: reviews }',
  'spec:',
  '  host: reviews',
  '  subsets:',
  '  - { name: v1, labels: { version: v1 } }',
  '  - { name: v2, labels: { version: v2 } }',
  '  - { name: v3, labels: { version: v3 } }',
);

/** A VirtualService for reviews with these `http` routes (YAML lines, indented under `http:`), and its subsets. */
function reviewsRoutes(...http: string[]): string {
  return [
    yaml(
      'apiVersion: networking.istio.io/v1beta1',
      'kind: VirtualService',
      'metadata: { name: reviews }',
      'spec:',
      '  hosts: [reviews]',
      '  http:',
      ...http.map((line) => `  ${line}`),
    ),
    REVIEWS_SUBSETS,
  ].join('---\n');
}

/** Applies rules that v1 and v3 Envoys get whole (warnings allowed; gRPC clients may not). */
function applyValid(text: string): void {
  const errors = mesh.apply(text).filter((p) => p.severity === 'error' && (p.target ?? 'v1') === 'v1');
  expect(errors).toEqual([]);
}

const V1 = v1Cluster('reviews', 'version=v1');
const V2 = v1Cluster('reviews', 'version=v2');
const V3 = v1Cluster('reviews', 'version=v3');

function clusterOf(outcome: SimOutcome): string {
  const shares = Object.keys(distribution(outcome));
  if (shares.length !== 1) throw new Error(`expected one cluster, got ${shares.join(', ')}`);
  return shares[0] ?? '';
}

describe('v1 routes without rules', () => {
  it('send everything for a service to the whole service, with no timeout (0 written, not Envoy v1’s 15 s)', () => {
    const v1 = mesh.v1();
    const outcome = v1.send(get('reviews:9080', '/reviews/1'));
    expect(distribution(outcome)).toEqual({ [v1Cluster('reviews')]: 1 });
    expect(outcome).not.toHaveProperty('timeoutMs');
    expect(outcome).not.toHaveProperty('retry');
    expect(v1.rds().virtual_hosts.every((h) => h.routes.every((r) => r.timeout_ms === 0))).toBe(true);
    expect(v1.endpoints(v1Cluster('reviews'))).toEqual(['10.0.1.1:9080', '10.0.1.2:9080', '10.0.1.3:9080']);
  });
});

describe('v1 weighted routes', () => {
  it('a 1/1/1 split is sent as 34/33/33 (largest remainder), summing to exactly 100', () => {
    applyValid(
      reviewsRoutes(
        '- route:',
        '  - { destination: { host: reviews, subset: v1 }, weight: 1 }',
        '  - { destination: { host: reviews, subset: v2 }, weight: 1 }',
        '  - { destination: { host: reviews, subset: v3 }, weight: 1 }',
      ),
    );
    const v1 = mesh.v1();
    expect(distribution(v1.send(get('reviews:9080')))).toEqual({ [V1]: 0.34, [V2]: 0.33, [V3]: 0.33 });
    const route = v1.rds().virtual_hosts.find((h) => h.name.startsWith('reviews.'))?.routes[0];
    expect(route?.weighted_clusters?.clusters.reduce((sum, c) => sum + c.weight, 0)).toBe(100);
  });

  it('relative weights (1:2) and percents (80/20) keep their proportions; a weight of 0 is left out', () => {
    applyValid(
      reviewsRoutes(
        '- match: [{ uri: { prefix: /thirds } }]',
        '  route:',
        '  - { destination: { host: reviews, subset: v1 }, weight: 1 }',
        '  - { destination: { host: reviews, subset: v2 }, weight: 2 }',
        '- route:',
        '  - { destination: { host: reviews, subset: v1 }, weight: 80 }',
        '  - { destination: { host: reviews, subset: v2 }, weight: 20 }',
        '  - { destination: { host: reviews, subset: v3 }, weight: 0 }',
      ),
    );
    const v1 = mesh.v1();
    expect(distribution(v1.send(get('reviews:9080', '/thirds')))).toEqual({ [V1]: 0.33, [V2]: 0.67 });
    expect(distribution(v1.send(get('reviews:9080', '/')))).toEqual({ [V1]: 0.8, [V2]: 0.2 });
  });

  it('a single destination is a plain cluster, whatever its weight', () => {
    applyValid(reviewsRoutes('- route: [{ destination: { host: reviews, subset: v3 }, weight: 100 }]'));
    const route = mesh
      .v1()
      .rds()
      .virtual_hosts.find((h) => h.name.startsWith('reviews.'))?.routes[0];
    expect(route?.cluster).toBe(V3);
    expect(route?.weighted_clusters).toBeUndefined();
  });
});

describe('v1 request matching', () => {
  it('exact and regex header matches pick a subset; other requests fall through to the next route', () => {
    applyValid(
      reviewsRoutes(
        '- match: [{ headers: { end-user: { exact: jason } } }]',
        '  route: [{ destination: { host: reviews, subset: v2 } }]',
        '- match: [{ headers: { cookie: { regex: "^(.*?;)?(user=tester)(;.*)?$" } } }]',
        '  route: [{ destination: { host: reviews, subset: v3 } }]',
        '- route: [{ destination: { host: reviews, subset: v1 } }]',
      ),
    );
    const v1 = mesh.v1();
    expect(clusterOf(v1.send(get('reviews:9080', '/', { 'end-user': 'jason' })))).toBe(V2);
    expect(clusterOf(v1.send(get('reviews:9080', '/', { 'end-user': 'jasonx' })))).toBe(V1);
    expect(clusterOf(v1.send(get('reviews:9080', '/', { cookie: 'a=1;user=tester;b=2' })))).toBe(V3);
    expect(clusterOf(v1.send(get('reviews:9080', '/', { cookie: 'user=testers' })))).toBe(V1);
    expect(clusterOf(v1.send(get('reviews:9080', '/')))).toBe(V1);
  });

  it('a header prefix is sent as an anchored regex of the escaped prefix', () => {
    applyValid(
      reviewsRoutes(
        '- match: [{ headers: { x-build: { prefix: "1.2." } } }]',
        '  route: [{ destination: { host: reviews, subset: v2 } }]',
        '- route: [{ destination: { host: reviews, subset: v1 } }]',
      ),
    );
    const v1 = mesh.v1();
    expect(clusterOf(v1.send(get('reviews:9080', '/', { 'x-build': '1.2.7' })))).toBe(V2);
    // The dots are literal: "1x2y" does not start with "1.2.".
    expect(clusterOf(v1.send(get('reviews:9080', '/', { 'x-build': '1x2y7' })))).toBe(V1);
    expect(clusterOf(v1.send(get('reviews:9080', '/', { 'x-build': '0.1.2.7' })))).toBe(V1);
  });

  it('uri exact, prefix and regex matches, and ignoreUriCase', () => {
    applyValid(
      reviewsRoutes(
        '- match: [{ uri: { exact: /health } }]',
        '  route: [{ destination: { host: reviews, subset: v3 } }]',
        '- match: [{ uri: { prefix: /api/v2/ } }]',
        '  route: [{ destination: { host: reviews, subset: v2 } }]',
        '- match: [{ uri: { regex: "/books/[0-9]+" }, ignoreUriCase: false }]',
        '  route: [{ destination: { host: reviews, subset: v3 } }]',
        '- match: [{ uri: { prefix: /Admin }, ignoreUriCase: true }]',
        '  route: [{ destination: { host: reviews, subset: v2 } }]',
        '- route: [{ destination: { host: reviews, subset: v1 } }]',
      ),
    );
    const v1 = mesh.v1();
    const to = (path: string): string => clusterOf(v1.send(get('reviews:9080', path)));
    expect(to('/health')).toBe(V3);
    expect(to('/health?verbose=1')).toBe(V3);
    expect(to('/healthz')).toBe(V1);
    expect(to('/api/v2/reviews')).toBe(V2);
    expect(to('/api/v1/reviews')).toBe(V1);
    expect(to('/books/42')).toBe(V3);
    expect(to('/books/42/ratings')).toBe(V1); // a regex matches the whole path
    expect(to('/ADMIN/users')).toBe(V2);
    expect(to('/admin')).toBe(V2);
  });

  it('the first matching route wins, in the order written', () => {
    applyValid(
      reviewsRoutes(
        '- match: [{ uri: { prefix: /api } }]',
        '  route: [{ destination: { host: reviews, subset: v2 } }]',
        '- match: [{ uri: { prefix: /api/v3 } }, { headers: { end-user: { exact: jason } } }]',
        '  route: [{ destination: { host: reviews, subset: v3 } }]',
        '- route: [{ destination: { host: reviews, subset: v1 } }]',
        '- route: [{ destination: { host: reviews, subset: v3 } }]',
      ),
    );
    const v1 = mesh.v1();
    // /api/v3 also matches the earlier /api prefix.
    expect(clusterOf(v1.send(get('reviews:9080', '/api/v3/x')))).toBe(V2);
    // Match blocks of one route are alternatives (OR).
    expect(clusterOf(v1.send(get('reviews:9080', '/', { 'end-user': 'jason' })))).toBe(V3);
    expect(clusterOf(v1.send(get('reviews:9080', '/other')))).toBe(V1);
    // What follows a catch-all can never match and is not sent.
    expect(v1.rds().virtual_hosts.find((h) => h.name.startsWith('reviews.'))?.routes).toHaveLength(4);
  });

  it('a VirtualService answers 404 for what none of its routes matches (no default route)', () => {
    applyValid(
      reviewsRoutes(
        '- match: [{ headers: { end-user: { exact: jason } } }]',
        '  route: [{ destination: { host: reviews, subset: v2 } }]',
      ),
    );
    const outcome = mesh.v1().send(get('reviews:9080', '/'));
    expect(outcome.kind).toBe('no-route');
  });

  it('withoutHeaders and queryParams are errors for v1 and never sent: v1 clients skip those routes, v3 clients match them', () => {
    mesh.apply(
      reviewsRoutes(
        '- match: [{ withoutHeaders: { end-user: { exact: jason } }, uri: { prefix: /not-jason } }]',
        '  route: [{ destination: { host: reviews, subset: v2 } }]',
        '- match: [{ queryParams: { preview: { exact: "true" } } }]',
        '  route: [{ destination: { host: reviews, subset: v3 } }]',
        '- route: [{ destination: { host: reviews, subset: v1 } }]',
      ),
    );
    expect(
      mesh
        .problemsFor('v1')
        .filter((p) => p.severity === 'error')
        .map((p) => p.message),
    ).toEqual([
      'Envoy v1 cannot match the absence of a header (withoutHeaders)',
      'Envoy v1 cannot match query parameters',
    ]);
    expect(mesh.problemsFor('v3').filter((p) => p.severity === 'error')).toEqual([]);

    const v1 = mesh.v1();
    const routes = v1.rds().virtual_hosts.find((h) => h.name.startsWith('reviews.'))?.routes ?? [];
    expect(routes.map((r) => r.cluster)).toEqual([V1]);
    // (Envoy's inverted match needs the header present, with another value.)
    expect(clusterOf(v1.send(get('reviews:9080', '/not-jason', { 'end-user': 'bob' })))).toBe(V1);
    expect(clusterOf(v1.send({ authority: 'reviews:9080', path: '/', query: { preview: 'true' } }))).toBe(V1);

    expect(clusterOf(mesh.sendV3(get('reviews:9080', '/not-jason', { 'end-user': 'bob' })))).toBe(
      v3Cluster('reviews', 'v2'),
    );
    expect(clusterOf(mesh.sendV3({ authority: 'reviews:9080', path: '/', query: { preview: 'true' } }))).toBe(
      v3Cluster('reviews', 'v3'),
    );
  });
});

describe('v1 route policies', () => {
  it('timeout_ms is always written: the rule’s timeout, else 0 (none)', () => {
    applyValid(
      reviewsRoutes(
        '- match: [{ uri: { prefix: /slow } }]',
        '  timeout: 2.5s',
        '  route: [{ destination: { host: reviews, subset: v2 } }]',
        '- route: [{ destination: { host: reviews, subset: v1 } }]',
      ),
    );
    const v1 = mesh.v1();
    expect(v1.send(get('reviews:9080', '/slow'))).toMatchObject({ kind: 'route', timeoutMs: 2500 });
    const other = v1.send(get('reviews:9080', '/'));
    expect(other.kind).toBe('route');
    expect(other).not.toHaveProperty('timeoutMs');
  });

  it('retries keep only the retry_on conditions Envoy v1 knows, with attempts and per-try timeout', () => {
    mesh.apply(
      reviewsRoutes(
        '- match: [{ uri: { prefix: /mixed } }]',
        '  retries: { attempts: 3, perTryTimeout: 2s, retryOn: "5xx,retriable-status-codes,connect-failure,503" }',
        '  route: [{ destination: { host: reviews, subset: v2 } }]',
        '- match: [{ uri: { prefix: /off } }]',
        '  retries: { attempts: 0 }',
        '  route: [{ destination: { host: reviews, subset: v2 } }]',
        '- match: [{ uri: { prefix: /unknown } }]',
        '  retries: { attempts: 2, retryOn: "retriable-status-codes,503" }',
        '  route: [{ destination: { host: reviews, subset: v2 } }]',
        '- route: [{ destination: { host: reviews, subset: v1 } }]',
      ),
    );
    const v1 = mesh.v1();
    expect(v1.send(get('reviews:9080', '/mixed'))).toMatchObject({
      retry: { retryOn: ['5xx', 'connect-failure'], numRetries: 3, perTryTimeoutMs: 2000 },
    });
    expect(v1.send(get('reviews:9080', '/off'))).not.toHaveProperty('retry');
    // None of its conditions is known to v1: no retries (an error for v1 says so).
    expect(v1.send(get('reviews:9080', '/unknown'))).not.toHaveProperty('retry');
    expect(mesh.problemsFor('v1').map((p) => [p.severity, p.path])).toEqual([
      ['warning', 'spec.http[0].retries.retryOn'],
      ['error', 'spec.http[2].retries.retryOn'],
    ]);
  });

  it('defaults.retries applies to routes that do not say, default routes included; attempts 0 opts out', () => {
    mesh.close();
    mesh = new RulesMesh({
      defaults: { retry: { attempts: 2, retryOn: [...DEFAULT_RETRY_ON], perTryTimeoutMs: 1000 } },
    });
    applyValid(
      reviewsRoutes(
        '- match: [{ uri: { prefix: /no-retry } }]',
        '  retries: { attempts: 0 }',
        '  route: [{ destination: { host: reviews, subset: v2 } }]',
        '- route: [{ destination: { host: reviews, subset: v1 } }]',
      ),
    );
    const v1 = mesh.v1();
    // Of Istio's default conditions, Envoy v1 knows these three.
    const defaultRetry = { retryOn: ['connect-failure', 'refused-stream', 'cancelled'], numRetries: 2 };
    expect(v1.send(get('reviews:9080', '/'))).toMatchObject({ retry: defaultRetry });
    expect(v1.send(get('ratings:9080', '/'))).toMatchObject({ retry: defaultRetry });
    expect(v1.send(get('reviews:9080', '/no-retry'))).not.toHaveProperty('retry');
  });

  it('rewrites replace the matched prefix and the authority', () => {
    applyValid(
      reviewsRoutes(
        '- match: [{ uri: { prefix: /old/ } }]',
        '  rewrite: { uri: /new/, authority: reviews-v2.internal }',
        '  route: [{ destination: { host: reviews, subset: v2 } }]',
        '- route: [{ destination: { host: reviews, subset: v1 } }]',
      ),
    );
    expect(mesh.v1().send(get('reviews:9080', '/old/books/1'))).toMatchObject({
      kind: 'route',
      rewrite: { path: '/new/books/1', authority: 'reviews-v2.internal' },
    });
  });

  it('redirects answer 301 to the new authority and path', () => {
    applyValid(
      reviewsRoutes(
        '- match: [{ uri: { exact: /legacy } }]',
        '  redirect: { uri: /reviews, authority: reviews.example.com }',
        '- route: [{ destination: { host: reviews, subset: v1 } }]',
      ),
    );
    expect(mesh.v1().send(get('reviews:9080', '/legacy'))).toMatchObject({
      kind: 'redirect',
      status: 301,
      location: 'http://reviews.example.com/reviews',
    });
  });

  it('a mirror of every request is a shadow to the subset’s cluster', () => {
    applyValid(
      reviewsRoutes(
        '- route: [{ destination: { host: reviews, subset: v1 } }]',
        '  mirror: { host: reviews, subset: v3 }',
      ),
    );
    expect(mesh.v1().send(get('reviews:9080', '/'))).toMatchObject({
      mirrors: [{ cluster: V3, fraction: 1 }],
    });
  });

  it('CORS policies are route cors objects, enforced by a cors filter before the router', () => {
    applyValid(
      reviewsRoutes(
        '- route: [{ destination: { host: reviews, subset: v1 } }]',
        '  corsPolicy:',
        '    allowOrigins: [{ exact: "https://books.example.com" }]',
        '    allowMethods: [GET, POST]',
        '    allowHeaders: [x-requested-with]',
        '    exposeHeaders: [x-trace]',
        '    maxAge: 24h',
        '    allowCredentials: true',
      ),
    );
    const v1 = mesh.v1();
    const route = v1.rds().virtual_hosts.find((h) => h.name.startsWith('reviews.'))?.routes[0];
    expect(route?.cors).toEqual({
      allow_origin: ['https://books.example.com'],
      allow_methods: 'GET,POST',
      allow_headers: 'x-requested-with',
      expose_headers: 'x-trace',
      max_age: '86400',
      allow_credentials: true,
    });
    // Envoy v1 applies a route's cors only with the cors filter in the chain (Pilot put it first).
    const manager = v1.listener().filters[0];
    const names =
      manager?.name === 'http_connection_manager' ? manager.config.filters.map((f) => f.name) : [];
    expect(names).toEqual(['cors', 'router']);
  });
});
