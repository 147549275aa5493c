import { simulateGrpc, simulateV1, simulateV3, type SimOutcome } from '../src/routing';
import { apiListener, oneRoute, routeTable, v1Table } from './support/route-tables';

const taken = (outcome: SimOutcome): boolean | string =>
  outcome.kind === 'invalid' ? outcome.reasons.join('; ') : outcome.kind === 'route';
const v3 = (match: object, path: string): boolean | string =>
  taken(simulateV3(oneRoute(match), { authority: 'a', path }));
const grpcJs = (match: object, path: string): boolean | string =>
  taken(simulateGrpc(apiListener(oneRoute(match)), { authority: 'a', path }));
const grpcCore = (match: object, path: string): boolean | string =>
  taken(simulateGrpc(apiListener(oneRoute(match)), { authority: 'a', path }, { client: 'grpc-core' }));
const v1 = (route: object, path: string): boolean | string =>
  taken(simulateV1(v1Table([{ ...route, cluster: 'c' }]), { authority: 'a', path }));

describe('path matching: Envoy v3', () => {
  it('prefix, exact path and safe_regex compare the path without its query', () => {
    expect(v3({ prefix: '/api' }, '/api/v1?x=1')).toBe(true);
    expect(v3({ prefix: '/api' }, '/ap')).toBe(false);
    expect(v3({ prefix: '' }, '/anything')).toBe(true);
    expect(v3({ path: '/api' }, '/api?x=1')).toBe(true);
    expect(v3({ path: '/api' }, '/api/')).toBe(false);
    expect(v3({ safe_regex: { regex: '/api/v[0-9]+' } }, '/api/v12?debug=1')).toBe(true);
    expect(v3({ safe_regex: { regex: '/api/v[0-9]+' } }, '/api/v12/x')).toBe(false);
  });

  it('case_sensitive: false folds prefix and path but not a regex', () => {
    expect(v3({ prefix: '/API', case_sensitive: false }, '/api/x')).toBe(true);
    expect(v3({ prefix: '/API' }, '/api/x')).toBe(false);
    expect(v3({ path: '/Api', case_sensitive: false }, '/aPI')).toBe(true);
    expect(v3({ safe_regex: { regex: '/API' }, case_sensitive: false }, '/api')).toBe(false);
    expect(v3({ safe_regex: { regex: '(?i)/API' } }, '/api')).toBe(true);
  });

  it('a regex must match the whole path, alternations included (RE2 full match)', () => {
    expect(v3({ safe_regex: { regex: '/a|/b' } }, '/a')).toBe(true);
    expect(v3({ safe_regex: { regex: '/a|/b' } }, '/ax')).toBe(false);
  });

  it('path_separated_prefix ends at a / or the end of the path', () => {
    expect(v3({ path_separated_prefix: '/api' }, '/api')).toBe(true);
    expect(v3({ path_separated_prefix: '/api' }, '/api/v1')).toBe(true);
    expect(v3({ path_separated_prefix: '/api' }, '/apiv1')).toBe(false);
  });

  it('ECMAScript-only syntax is not RE2: Envoy v3 rejects the table', () => {
    expect(v3({ safe_regex: { regex: '/a(?=b)' } }, '/a')).toContain('invalid RE2 regex "/a(?=b)"');
    // A pattern that only compiles once wrapped in a group is still refused.
    expect(v3({ safe_regex: { regex: 'a)|(b' } }, '/a')).toContain('invalid RE2 regex');
  });
});

describe('path matching: Envoy v1', () => {
  it('prefix compares the whole :path, query included; path and regex stop at ?', () => {
    expect(v1({ prefix: '/api?debug' }, '/api?debug=1')).toBe(true);
    expect(v1({ path: '/api' }, '/api?debug=1')).toBe(true);
    expect(v1({ regex: '/api/v\\d+' }, '/api/v2?x')).toBe(true);
    expect(v1({ regex: '/api/v\\d+' }, '/api/v2/x')).toBe(false);
  });

  it('regexes are ECMAScript: lookahead works, RE2 flags do not', () => {
    expect(v1({ regex: '/a(?=b).*' }, '/ab')).toBe(true);
    expect(v1({ regex: '(?i)/a' }, '/a')).toContain('invalid ECMAScript regex');
  });

  it('case_sensitive: false applies to prefix and path', () => {
    expect(v1({ prefix: '/API', case_sensitive: false }, '/api')).toBe(true);
    expect(v1({ path: '/API' }, '/api')).toBe(false);
  });

  it('needs exactly one of prefix, path and regex', () => {
    expect(v1({ prefix: '/', path: '/a' }, '/a')).toContain('needs exactly one of prefix, path and regex');
  });
});

describe('path matching: gRPC clients', () => {
  const method = '/helloworld.Greeter/SayHello';

  it('prefix and exact method paths', () => {
    for (const match of [grpcJs, grpcCore]) {
      expect(match({ prefix: '/helloworld.Greeter/' }, method)).toBe(true);
      expect(match({ path: method }, method)).toBe(true);
      expect(match({ path: method }, '/helloworld.Greeter/SayBye')).toBe(false);
    }
  });

  it('case_sensitive: false in grpc-js-xds 1.14.1 is a case-insensitive exact match, not a prefix', () => {
    expect(grpcJs({ path: '/HELLOWORLD.greeter/sayhello', case_sensitive: false }, method)).toBe(true);
    expect(grpcJs({ path: '/helloworld.Greeter/Say', case_sensitive: false }, method)).toBe(false);
  });

  it('grpc-js anchors a regex as ^…$ without a group, so the anchors bind to the alternatives', () => {
    const alternation = { safe_regex: { regex: '/a/x|/b/y' } };
    expect(grpcJs(alternation, '/a/xyz')).toBe(true);
    expect(grpcCore(alternation, '/a/xyz')).toBe(false);
    expect(v3(alternation, '/a/xyz')).toBe(false);
  });

  it('C-core ignores routes that cannot match a method path; grpc-js keeps them', () => {
    const deep = routeTable([
      { match: { prefix: '/a/b/c' }, route: { cluster: 'deep' } },
      { match: { prefix: '/' }, route: { cluster: 'rest' } },
    ]);
    const request = { authority: 'a', path: '/a/b/c' };
    const cluster = (outcome: SimOutcome): string | undefined =>
      outcome.kind === 'route' ? outcome.clusters[0]?.name : outcome.kind;
    expect(cluster(simulateGrpc(apiListener(deep), request))).toBe('deep');
    expect(cluster(simulateGrpc(apiListener(deep), request, { client: 'grpc-core' }))).toBe('rest');
    // Its position is still reported among all the routes.
    const outcome = simulateGrpc(apiListener(deep), request, { client: 'grpc-core' });
    expect(outcome.kind === 'route' && outcome.route.index).toBe(1);
  });

  it('C-core refuses a virtual host whose routes it all ignores', () => {
    expect(grpcCore({ path: '/not-a-method' }, '/not-a-method')).toContain('no valid routes');
  });

  it('gRPC clients refuse a path specifier they do not know', () => {
    expect(grpcJs({ path_separated_prefix: '/a' }, '/a/b')).toContain(
      'grpc-js does not support this path specifier',
    );
    expect(grpcCore({ path_separated_prefix: '/a' }, '/a/b')).toContain(
      'grpc-core does not support this path specifier',
    );
  });
});
