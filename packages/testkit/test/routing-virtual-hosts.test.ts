import { simulateGrpc, simulateV1, simulateV3, type SimOutcome } from '../src/routing';
import { selectVirtualHost, type DomainRules } from '../src/routing/domain-match';
import { apiListener } from './support/route-tables';

const hosts = [
  { name: 'star', domains: ['*'] },
  { name: 'prefix', domains: ['api.*'] },
  { name: 'short-suffix', domains: ['*.com'] },
  { name: 'long-suffix', domains: ['*.example.com'] },
  { name: 'exact', domains: ['api.example.com', 'api.example.com:8080'] },
];
const select = (authority: string, rules: DomainRules = 'envoy'): string | undefined =>
  selectVirtualHost(hosts, authority, rules)?.name;

describe('virtual host selection', () => {
  it('Envoy: exact, then suffix wildcards longest first, then prefix wildcards, then *', () => {
    expect(select('api.example.com')).toBe('exact');
    expect(select('web.example.com')).toBe('long-suffix');
    expect(select('web.other.com')).toBe('short-suffix');
    expect(select('api.internal')).toBe('prefix');
    expect(select('reviews')).toBe('star');
  });

  it('Envoy compares the whole authority, port included, case-insensitively', () => {
    expect(select('API.Example.com:8080')).toBe('exact');
    // Not listed with :9090, so the exact domain does not take it; api.* does.
    expect(select('api.example.com:9090')).toBe('prefix');
  });

  it('an Envoy wildcard never matches the empty string', () => {
    expect(
      selectVirtualHost([{ name: 'w', domains: ['*.example.com'] }], '.example.com', 'envoy'),
    ).toBeUndefined();
    expect(selectVirtualHost([{ name: 'w', domains: ['api.*'] }], 'api.', 'envoy')).toBeUndefined();
    expect(
      selectVirtualHost([{ name: 'w', domains: ['*-bar.foo.com'] }], 'baz-bar.foo.com', 'envoy')?.name,
    ).toBe('w');
  });

  it('Envoy v1 knew no prefix wildcards: api.* is an ordinary domain there', () => {
    expect(select('api.internal', 'envoy-v1')).toBe('star');
    expect(select('api.*', 'envoy-v1')).toBe('prefix');
    expect(select('web.example.com', 'envoy-v1')).toBe('long-suffix');
  });

  it('grpc-js compares case-sensitively and lets a wildcard match the empty string', () => {
    expect(select('API.example.com', 'grpc-js')).toBe('long-suffix');
    expect(
      selectVirtualHost([{ name: 'w', domains: ['*.example.com'] }], '.example.com', 'grpc-js')?.name,
    ).toBe('w');
  });

  it('gRPC C-core compares case-insensitively and requires the wildcard to match a character', () => {
    expect(select('API.example.com', 'grpc-core')).toBe('exact');
    expect(
      selectVirtualHost([{ name: 'w', domains: ['*.example.com'] }], '.example.com', 'grpc-core'),
    ).toBeUndefined();
  });

  it('gRPC: the longest pattern of the best type wins, and the first virtual host on a tie', () => {
    const tied = [
      { name: 'first', domains: ['*.b.example.com'] },
      { name: 'second', domains: ['*.c.example.com', '*.b.example.com'] },
    ];
    expect(selectVirtualHost(tied, 'a.b.example.com', 'grpc-js')?.name).toBe('first');
    expect(selectVirtualHost(tied, 'a.b.example.com', 'grpc-core')?.name).toBe('first');
  });
});

describe('virtual host selection through the simulators', () => {
  const route = { match: { prefix: '/' }, route: { cluster: 'c' } };
  const table = {
    virtual_hosts: [
      { name: 'reviews', domains: ['reviews', 'reviews:9080'], routes: [route] },
      { name: 'any', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster: 'fallback' } }] },
    ],
  };
  const hostOf = (outcome: SimOutcome): string | undefined =>
    outcome.kind === 'route' ? outcome.virtualHost : outcome.kind;

  it('Sextant lists names with and without :port, so both forms of the authority reach the service', () => {
    expect(hostOf(simulateV3(table, { authority: 'reviews:9080', path: '/' }))).toBe('reviews');
    expect(hostOf(simulateV3(table, { authority: 'reviews', path: '/' }))).toBe('reviews');
    expect(hostOf(simulateV3(table, { authority: 'reviews:9081', path: '/' }))).toBe('any');
  });

  it('each simulator applies its client rules', () => {
    const upper = { authority: 'Reviews:9080', path: '/svc/Method' };
    expect(hostOf(simulateV3(table, upper))).toBe('reviews');
    expect(hostOf(simulateGrpc(apiListener(table), upper))).toBe('any');
    expect(hostOf(simulateGrpc(apiListener(table), upper, { client: 'grpc-core' }))).toBe('reviews');
    const v1 = {
      virtual_hosts: [
        { name: 'reviews', domains: ['reviews:9080'], routes: [{ prefix: '/', cluster: 'c' }] },
      ],
    };
    expect(hostOf(simulateV1(v1, upper))).toBe('reviews');
    expect(simulateV1(v1, { authority: 'ratings', path: '/' })).toEqual({ kind: 'no-virtual-host' });
  });

  it('gRPC clients refuse a * in the middle of a domain or two of them; Envoy takes such a domain literally', () => {
    const odd = { virtual_hosts: [{ name: 'odd', domains: ['api.*.com'], routes: [route] }] };
    expect(simulateGrpc(apiListener(odd), { authority: 'api.x.com', path: '/s/m' })).toEqual({
      kind: 'invalid',
      reasons: ['virtual_hosts: virtual host odd: invalid domain pattern "api.*.com"'],
    });
    expect(
      simulateGrpc(apiListener({ virtual_hosts: [{ name: 'two', domains: ['*.*'], routes: [route] }] }), {
        authority: 'a',
        path: '/s/m',
      }).kind,
    ).toBe('invalid');
    expect(hostOf(simulateV3(odd, { authority: 'api.*.com', path: '/' }))).toBe('odd');
  });

  it('Envoy v1 refuses a domain listed twice', () => {
    const twice = {
      virtual_hosts: [
        { name: 'a', domains: ['reviews'], routes: [{ prefix: '/', cluster: 'a' }] },
        { name: 'b', domains: ['reviews'], routes: [{ prefix: '/', cluster: 'b' }] },
      ],
    };
    expect(simulateV1(twice, { authority: 'reviews', path: '/' })).toEqual({
      kind: 'invalid',
      reasons: ['virtual_hosts: domain reviews of virtual host b is already a domain of a'],
    });
  });
});
