import { simulateGrpc, simulateV1, simulateV3, type SimOutcome, type SimRequest } from '../src/routing';
import { apiListener, oneRoute, v1Table } from './support/route-tables';

type Headers = SimRequest['headers'];
const taken = (outcome: SimOutcome): boolean | string =>
  outcome.kind === 'invalid' ? outcome.reasons.join('; ') : outcome.kind === 'route';

/** Whether a request with `headers` takes a route with these header matchers, for each client. */
function envoy(
  matchers: object[],
  headers: Headers = {},
  request: Partial<SimRequest> = {},
): boolean | string {
  return taken(
    simulateV3(oneRoute({ prefix: '/', headers: matchers }), {
      authority: 'a',
      path: '/s/m',
      headers,
      ...request,
    }),
  );
}
function grpc(client: 'grpc-js' | 'grpc-core', matchers: object[], headers: Headers = {}): boolean | string {
  return taken(
    simulateGrpc(
      apiListener(oneRoute({ prefix: '/', headers: matchers })),
      { authority: 'a', path: '/s/m', headers },
      { client },
    ),
  );
}
const grpcJs = (matchers: object[], headers?: Headers): boolean | string =>
  grpc('grpc-js', matchers, headers);
const grpcCore = (matchers: object[], headers?: Headers): boolean | string =>
  grpc('grpc-core', matchers, headers);

describe('header matching: Envoy v3', () => {
  it('string_match kinds, with ignore_case', () => {
    const user = (stringMatch: object): object[] => [{ name: 'end-user', string_match: stringMatch }];
    expect(envoy(user({ exact: 'jason' }), { 'end-user': 'jason' })).toBe(true);
    expect(envoy(user({ exact: 'jason' }), { 'end-user': 'Jason' })).toBe(false);
    expect(envoy(user({ exact: 'jason', ignore_case: true }), { 'end-user': 'JASON' })).toBe(true);
    expect(envoy(user({ prefix: 'ja' }), { 'end-user': 'jason' })).toBe(true);
    expect(envoy(user({ suffix: 'son' }), { 'end-user': 'jason' })).toBe(true);
    expect(envoy(user({ contains: 'aso' }), { 'end-user': 'jason' })).toBe(true);
    expect(envoy(user({ safe_regex: { regex: 'j.*n' } }), { 'end-user': 'jason' })).toBe(true);
    expect(envoy(user({ safe_regex: { regex: 'j.*n' } }), { 'end-user': 'jasons' })).toBe(false);
    // ignore_case does not reach a regex.
    expect(envoy(user({ safe_regex: { regex: 'jason' }, ignore_case: true }), { 'end-user': 'JASON' })).toBe(
      false,
    );
  });

  it('the deprecated oneof members', () => {
    expect(envoy([{ name: 'x', exact_match: 'a' }], { x: 'a' })).toBe(true);
    expect(envoy([{ name: 'x', prefix_match: 'a' }], { x: 'ab' })).toBe(true);
    expect(envoy([{ name: 'x', suffix_match: 'b' }], { x: 'ab' })).toBe(true);
    expect(envoy([{ name: 'x', contains_match: 'b' }], { x: 'abc' })).toBe(true);
    expect(envoy([{ name: 'x', safe_regex_match: { regex: '\\d+' } }], { x: '123' })).toBe(true);
    // An empty exact_match matches any value (HeaderMatchType::Value).
    expect(envoy([{ name: 'x', exact_match: '' }], { x: 'anything' })).toBe(true);
  });

  it('presence: no specifier or present_match: true needs the header; present_match: false its absence', () => {
    expect(envoy([{ name: 'x' }], { x: '' })).toBe(true);
    expect(envoy([{ name: 'x' }])).toBe(false);
    expect(envoy([{ name: 'x', present_match: true }], { x: '1' })).toBe(true);
    expect(envoy([{ name: 'x', present_match: false }])).toBe(true);
    expect(envoy([{ name: 'x', present_match: false }], { x: '1' })).toBe(false);
  });

  it('range_match: a base-10 integer in [start, end)', () => {
    const range = [{ name: 'x-version', range_match: { start: '-10', end: '0' } }];
    expect(envoy(range, { 'x-version': '-1' })).toBe(true);
    expect(envoy(range, { 'x-version': '0' })).toBe(false);
    expect(envoy(range, { 'x-version': '-1.5' })).toBe(false);
    expect(envoy(range, { 'x-version': 'x' })).toBe(false);
  });

  it('invert_match does not take a missing header, unless treat_missing_header_as_empty', () => {
    const notJason = { name: 'end-user', string_match: { exact: 'jason' }, invert_match: true };
    expect(envoy([notJason], { 'end-user': 'mike' })).toBe(true);
    expect(envoy([notJason], { 'end-user': 'jason' })).toBe(false);
    expect(envoy([notJason])).toBe(false);
    expect(envoy([{ ...notJason, treat_missing_header_as_empty: true }])).toBe(true);
    // An inverted presence test does take a missing header.
    expect(envoy([{ name: 'x', present_match: true, invert_match: true }])).toBe(true);
  });

  it('a repeated header is matched as its values joined with a comma', () => {
    expect(envoy([{ name: 'x', string_match: { exact: 'a,b' } }], { x: ['a', 'b'] })).toBe(true);
  });

  it(':method, :authority, :scheme and :path are headers to Envoy', () => {
    expect(envoy([{ name: ':method', string_match: { exact: 'POST' } }], {}, { method: 'POST' })).toBe(true);
    expect(envoy([{ name: ':method', string_match: { exact: 'POST' } }])).toBe(false);
    expect(envoy([{ name: ':authority', string_match: { exact: 'a' } }])).toBe(true);
    expect(envoy([{ name: ':scheme', string_match: { exact: 'https' } }], {}, { scheme: 'https' })).toBe(
      true,
    );
    expect(envoy([{ name: ':path', string_match: { prefix: '/s/' } }])).toBe(true);
  });

  it('header names are case-insensitive on both sides', () => {
    expect(envoy([{ name: 'End-User', string_match: { exact: 'jason' } }], { 'END-USER': 'jason' })).toBe(
      true,
    );
  });
});

describe('header matching: gRPC clients', () => {
  it('see metadata, never pseudo-headers', () => {
    const post = [{ name: ':method', exact_match: 'POST' }];
    expect(grpcJs(post)).toBe(false);
    expect(grpcCore(post)).toBe(false);
  });

  it('read content-type as application/grpc and never match a -bin header', () => {
    const grpcContent = [{ name: 'content-type', exact_match: 'application/grpc' }];
    expect(grpcJs(grpcContent, { 'content-type': 'text/plain' })).toBe(true);
    expect(grpcCore(grpcContent)).toBe(true);
    expect(grpcJs([{ name: 'trace-bin', present_match: true }], { 'trace-bin': 'AAA=' })).toBe(false);
    expect(grpcCore([{ name: 'trace-bin', present_match: true }], { 'trace-bin': 'AAA=' })).toBe(false);
  });

  it('an inverted matcher takes a missing header (unlike Envoy)', () => {
    const notJason = [{ name: 'end-user', exact_match: 'jason', invert_match: true }];
    expect(grpcJs(notJason)).toBe(true);
    expect(grpcCore(notJason)).toBe(true);
    expect(envoy(notJason)).toBe(false);
  });

  it('present_match: false means presence to grpc-js, absence to C-core', () => {
    const absent = [{ name: 'x', present_match: false }];
    expect(grpcJs(absent, { x: '1' })).toBe(true);
    expect(grpcJs(absent)).toBe(false);
    expect(grpcCore(absent)).toBe(true);
    expect(grpcCore(absent, { x: '1' })).toBe(false);
  });

  it('grpc-js anchors header regexes as ^…$; C-core matches the whole value', () => {
    const alternation = [{ name: 'x', safe_regex_match: { regex: 'a|b' } }];
    expect(grpcJs(alternation, { x: 'ax' })).toBe(true);
    expect(grpcCore(alternation, { x: 'ax' })).toBe(false);
  });

  it('range_match: grpc-js wants -?digits, C-core allows a + sign', () => {
    const range = [{ name: 'x', range_match: { start: '0', end: '10' } }];
    expect(grpcJs(range, { x: '+5' })).toBe(false);
    expect(grpcCore(range, { x: '+5' })).toBe(true);
    expect(grpcCore([{ name: 'x', range_match: { start: '10', end: '0' } }])).toContain(
      'end is smaller than start',
    );
  });

  it('a matcher without a specifier: never matches in grpc-js, refused by C-core', () => {
    expect(grpcJs([{ name: 'x' }], { x: '1' })).toBe(false);
    expect(grpcCore([{ name: 'x' }], { x: '1' })).toContain('requires a header match specifier');
  });

  it('string_match: grpc-js takes it, C-core before 1.56 refuses the routes; contains_match the other way round', () => {
    const stringMatch = [{ name: 'end-user', string_match: { exact: 'JASON', ignore_case: true } }];
    expect(grpcJs(stringMatch, { 'end-user': 'jason' })).toBe(true);
    expect(grpcCore(stringMatch, { 'end-user': 'jason' })).toContain(
      'grpc-core does not support this header matcher',
    );
    const contains = [{ name: 'x', contains_match: 'b' }];
    expect(grpcCore(contains, { x: 'abc' })).toBe(true);
    expect(grpcJs(contains, { x: 'abc' })).toContain('grpc-js does not support this header matcher');
  });
});

describe('query parameter matching', () => {
  const queryRoute = (matchers: object[]): object =>
    oneRoute({ prefix: '/', query_parameters: matchers }, { cluster: 'c' });
  const v3 = (matchers: object[], path: string): boolean | string =>
    taken(simulateV3(queryRoute(matchers), { authority: 'a', path }));

  it('Envoy: present, string_match on the first value, not decoded', () => {
    expect(v3([{ name: 'debug', present_match: true }], '/s/m?debug')).toBe(true);
    expect(v3([{ name: 'debug' }], '/s/m?x=1')).toBe(false);
    expect(v3([{ name: 'user', string_match: { exact: 'jason' } }], '/s/m?user=jason&user=mike')).toBe(true);
    expect(v3([{ name: 'user', string_match: { exact: 'j s' } }], '/s/m?user=j%20s')).toBe(false);
    expect(
      taken(
        simulateV3(queryRoute([{ name: 'user', string_match: { prefix: 'ja' } }]), {
          authority: 'a',
          path: '/',
          query: { user: 'jason' },
        }),
      ),
    ).toBe(true);
  });

  it('grpc-js ignores the condition; C-core ignores the route', () => {
    const config = {
      virtual_hosts: [
        {
          name: 'h',
          domains: ['*'],
          routes: [
            {
              match: { prefix: '/', query_parameters: [{ name: 'debug', present_match: true }] },
              route: { cluster: 'debug' },
            },
            { match: { prefix: '/' }, route: { cluster: 'normal' } },
          ],
        },
      ],
    };
    const cluster = (outcome: SimOutcome): string | undefined =>
      outcome.kind === 'route' ? outcome.clusters[0]?.name : undefined;
    const request = { authority: 'a', path: '/s/m' };
    expect(cluster(simulateGrpc(apiListener(config), request))).toBe('debug');
    expect(cluster(simulateGrpc(apiListener(config), request, { client: 'grpc-core' }))).toBe('normal');
    expect(cluster(simulateV3(config, request))).toBe('normal');
  });
});

describe('header and query matching: Envoy v1', () => {
  const v1 = (route: object, request: Partial<SimRequest> = {}): boolean | string =>
    taken(
      simulateV1(v1Table([{ prefix: '/', cluster: 'c', ...route }]), {
        authority: 'a',
        path: '/',
        ...request,
      }),
    );

  it('{ name, value } compares exactly; no value means presence', () => {
    expect(
      v1({ headers: [{ name: 'end-user', value: 'jason' }] }, { headers: { 'end-user': 'jason' } }),
    ).toBe(true);
    expect(
      v1({ headers: [{ name: 'end-user', value: 'jason' }] }, { headers: { 'end-user': 'jasonx' } }),
    ).toBe(false);
    expect(v1({ headers: [{ name: 'end-user' }] }, { headers: { 'end-user': 'x' } })).toBe(true);
    expect(v1({ headers: [{ name: 'end-user' }] })).toBe(false);
  });

  it('{ regex: true } is a whole-value ECMAScript match, as Pilot rendered cookie and prefix matches', () => {
    const cookie = { headers: [{ name: 'cookie', value: '.*user=jason.*', regex: true }] };
    expect(v1(cookie, { headers: { cookie: 'a=1; user=jason; b=2' } })).toBe(true);
    expect(v1(cookie, { headers: { cookie: 'user=mike' } })).toBe(false);
    const prefix = { headers: [{ name: 'animal', value: '^dog\\.cat.*', regex: true }] };
    expect(v1(prefix, { headers: { animal: 'dog.cat.bird' } })).toBe(true);
    expect(v1({ headers: [{ name: 'x', value: '(', regex: true }] })).toContain('invalid ECMAScript regex');
  });

  it('the first value of a repeated header counts, and :authority / :method are headers', () => {
    expect(v1({ headers: [{ name: 'x', value: 'a' }] }, { headers: { x: ['a', 'b'] } })).toBe(true);
    expect(v1({ headers: [{ name: ':method', value: 'PUT' }] }, { method: 'PUT' })).toBe(true);
    expect(v1({ headers: [{ name: ':authority', value: 'a' }] })).toBe(true);
  });

  it('query_parameters (Envoy 1.6+): value, regex, presence', () => {
    expect(v1({ query_parameters: [{ name: 'u', value: 'jason' }] }, { path: '/?u=jason' })).toBe(true);
    expect(v1({ query_parameters: [{ name: 'u', value: 'ja.*', regex: true }] }, { path: '/?u=jason' })).toBe(
      true,
    );
    expect(v1({ query_parameters: [{ name: 'u' }] }, { path: '/?v=1' })).toBe(false);
  });
});
