import { distribution, simulateV3, type SimOutcome, type SimRequest } from '@sextant/testkit/routing';
import {
  cluster,
  DETAILS,
  http,
  meshWith,
  RATINGS,
  REVIEWS,
  rules,
  to,
  versions,
  virtualService,
  type Json,
} from './rules-mesh';

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
