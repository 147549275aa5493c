import { parseRule, type RuleResource } from '@sextant/core';
import { ConfigEntryBook } from '../src/rules/config-entry-book';
import { formatEntryProblem } from '../src/rules/translate/entry-problems';
import { readFilterExpression } from '../src/rules/translate/filter-expression';

const host = (service: string) => `${service}.service.dc1.consul`;

/** What a set of entries translates to, every rule checked by core's parser (no errors allowed). */
function translate(entries: Record<string, unknown[]>) {
  const book = new ConfigEntryBook();
  for (const kind of [
    'service-router',
    'service-splitter',
    'service-resolver',
    'service-defaults',
  ] as const) {
    book.setKind(kind, entries[kind] ?? []);
  }
  const { rules, problems } = book.translate({ hostname: host });
  for (const rule of rules) {
    const parsed = parseRule({ ...rule, location: { source: rule.source ?? '', at: [] } });
    // Errors for one kind of client (what v1 or gRPC cannot express) leave the rule applied.
    const errors = parsed.problems.filter((p) => p.severity === 'error' && !p.target);
    if (errors.length > 0) throw new Error(`${rule.kind} ${rule.metadata.name}: ${JSON.stringify(errors)}`);
  }
  return { rules, problems: problems.map(formatEntryProblem) };
}

function spec(rules: readonly RuleResource[], kind: string, name: string): Record<string, unknown> {
  const rule = rules.find((r) => r.kind === kind && r.metadata.name === name);
  if (!rule) throw new Error(`no ${kind} ${name}`);
  return rule.spec as Record<string, unknown>;
}

describe('resolver subset filters as label selectors', () => {
  it.each([
    ['Service.Meta.version == "v1"', { version: 'v1' }],
    ['Service.Meta["version"] == `v1`', { version: 'v1' }],
    ['Service.Meta.version == v1', { version: 'v1' }],
    ['"canary" in Service.Tags', { 'tag.canary': 'true' }],
    ['Service.Tags contains "version=v2"', { version: 'v2' }],
    ['Service.Meta.zone == "a" and ("canary" in Service.Tags)', { zone: 'a', 'tag.canary': 'true' }],
    ['', {}],
  ])('%s', (expression, labels) => {
    expect(readFilterExpression(expression)).toEqual({ labels });
  });

  it.each([
    ['Service.Meta.version != "v1"', 'unsupported at "Service.Meta.version'],
    ['Service.Meta.version == "v1" or Service.Meta.version == "v2"', 'unsupported at "or'],
    ['Node.Meta.rack == "r1"', 'unsupported at "Node.Meta.rack'],
    ['not "canary" in Service.Tags', 'unsupported at "not'],
    ['Service.Meta.v == "a" and Service.Meta.v == "b"', 'both "a" and "b"'],
    ['Service.Meta.v == "a', 'not closed'],
  ])('refuses %s', (expression, problem) => {
    const reading = readFilterExpression(expression);
    expect('problem' in reading && reading.problem).toContain(problem);
  });
});

describe('config entries translated to Istio resources', () => {
  it('a router: matches in order (one block per method), rewrite, timeout, retries, headers, and the implicit catch-all', () => {
    const { rules, problems } = translate({
      'service-router': [
        {
          Kind: 'service-router',
          Name: 'web',
          Routes: [
            {
              Match: {
                HTTP: {
                  PathPrefix: '/admin',
                  Header: [
                    { Name: 'X-Debug', Present: true },
                    { Name: 'x-env', Suffix: '.test' },
                    { Name: 'x-skip', Exact: '1', Invert: true },
                  ],
                  QueryParam: [{ Name: 'beta', Exact: 'on' }],
                  Methods: ['GET', 'POST'],
                },
              },
              Destination: {
                Service: 'admin',
                PrefixRewrite: '/',
                RequestTimeout: '5s',
                NumRetries: 3,
                RetryOnConnectFailure: true,
                RetryOnStatusCodes: [503],
                RequestHeaders: { Set: { 'x-via': 'consul' }, Remove: ['x-internal'] },
              },
            },
          ],
        },
      ],
    });
    expect(problems).toEqual([]);
    const block = {
      uri: { prefix: '/admin' },
      headers: { 'x-debug': {}, 'x-env': { regex: '.*\\.test' } },
      withoutHeaders: { 'x-skip': { exact: '1' } },
      queryParams: { beta: { exact: 'on' } },
    };
    expect(spec(rules, 'VirtualService', 'web')).toEqual({
      hosts: [host('web')],
      http: [
        {
          match: [
            { ...block, method: { exact: 'GET' } },
            { ...block, method: { exact: 'POST' } },
          ],
          route: [{ destination: { host: host('admin') } }],
          rewrite: { uri: '/' },
          timeout: '5s',
          retries: { attempts: 3, retryOn: 'connect-failure,503' },
          headers: { request: { set: { 'x-via': 'consul' }, remove: ['x-internal'] } },
        },
        { route: [{ destination: { host: host('web') } }], retries: { attempts: 0 } },
      ],
    });
  });

  it('router → splitter → resolver: a destination with a splitter becomes its weighted subsets (0.01 % kept exactly)', () => {
    const { rules } = translate({
      'service-router': [
        {
          Kind: 'service-router',
          Name: 'web',
          Routes: [{ Match: { HTTP: { PathPrefix: '/api' } }, Destination: { Service: 'api' } }],
        },
      ],
      'service-splitter': [
        {
          Kind: 'service-splitter',
          Name: 'api',
          Splits: [
            { Weight: 33.33, ServiceSubset: 'v1' },
            { Weight: 66.67, ServiceSubset: 'v2', RequestHeaders: { Set: { 'x-canary': '1' } } },
          ],
        },
      ],
      'service-resolver': [
        {
          Kind: 'service-resolver',
          Name: 'api',
          ConnectTimeout: '3s',
          LoadBalancer: { Policy: 'least_request' },
          Subsets: {
            v1: { Filter: 'Service.Meta.version == v1' },
            v2: { Filter: 'Service.Meta.version == v2' },
          },
        },
      ],
    });
    const routes = (spec(rules, 'VirtualService', 'web').http as { route: unknown }[]).map((r) => r.route);
    expect(routes[0]).toEqual([
      { destination: { host: host('api'), subset: 'v1' }, weight: 3333 },
      {
        destination: { host: host('api'), subset: 'v2' },
        weight: 6667,
        headers: { request: { set: { 'x-canary': '1' } } },
      },
    ]);
    expect(spec(rules, 'DestinationRule', 'api')).toEqual({
      host: host('api'),
      trafficPolicy: {
        connectionPool: { tcp: { connectTimeout: '3s' } },
        loadBalancer: { simple: 'LEAST_REQUEST' },
      },
      subsets: [
        { name: 'v1', labels: { version: 'v1' } },
        { name: 'v2', labels: { version: 'v2' } },
      ],
    });
  });

  it('service-defaults upstream overrides become the upstream’s connection pool and outlier detection', () => {
    const { rules, problems } = translate({
      'service-defaults': [
        {
          Kind: 'service-defaults',
          Name: 'web',
          UpstreamConfig: {
            Defaults: { ConnectTimeoutMs: 100 },
            Overrides: [
              {
                Name: 'api',
                ConnectTimeoutMs: 2500,
                Limits: { MaxConnections: 10, MaxPendingRequests: 5, MaxConcurrentRequests: 20 },
                PassiveHealthCheck: {
                  Interval: '10s',
                  MaxFailures: 3,
                  MaxEjectionPercent: 50,
                  BaseEjectionTime: '30s',
                },
              },
            ],
          },
        },
      ],
    });
    expect(spec(rules, 'DestinationRule', 'api')).toEqual({
      host: host('api'),
      trafficPolicy: {
        connectionPool: {
          tcp: { connectTimeout: '2500ms', maxConnections: 10 },
          http: { http1MaxPendingRequests: 5, http2MaxRequests: 20 },
        },
        outlierDetection: {
          interval: '10s',
          consecutive5xxErrors: 3,
          maxEjectionPercent: 50,
          baseEjectionTime: '30s',
        },
      },
    });
    expect(problems).toEqual([
      expect.stringContaining(
        'consul-config:service-defaults/web UpstreamConfig.Defaults: defaults for every upstream',
      ),
    ]);
  });

  it('Redirect, a bad regex field and other tenancy refuse the entry, naming the field; Failover is left out with a warning', () => {
    const { rules, problems } = translate({
      'service-resolver': [
        { Kind: 'service-resolver', Name: 'a', Redirect: { Service: 'b' } },
        {
          Kind: 'service-resolver',
          Name: 'c',
          DefaultSubset: 'v1',
          Subsets: { v1: {} },
          Failover: { '*': { Datacenters: ['dc2'] } },
        },
      ],
      'service-router': [
        {
          Kind: 'service-router',
          Name: 'd',
          Routes: [
            {},
            { Match: { HTTP: { PathExact: '/x', PathRegex: '/y.*' } } },
            { Destination: { Namespace: 'team' } },
          ],
        },
      ],
    });
    expect(problems).toEqual([
      'consul-config:service-router/d Routes[1].Match.HTTP.PathRegex: only one of PathExact, PathRegex may be set (entry not applied)',
      'consul-config:service-router/d Routes[2].Destination.Namespace: "team": only the default namespace is supported (entry not applied)',
      'consul-config:service-resolver/a Redirect: redirecting to another service or datacenter is not supported (entry not applied)',
      'consul-config:service-resolver/c Failover: failover to other services or datacenters is not supported: requests stay on the primary targets (field ignored)',
    ]);
    expect(rules.map((r) => `${r.kind} ${r.metadata.name}`)).toEqual([
      'VirtualService c',
      'DestinationRule c',
    ]);
  });

  it('splitters naming each other (Consul refuses such a cycle on write) end at a bounded depth', () => {
    const { rules } = translate({
      'service-splitter': [
        {
          Kind: 'service-splitter',
          Name: 'a',
          Splits: [
            { Weight: 50, Service: 'b' },
            { Weight: 50, Service: 'a', ServiceSubset: 'x' },
          ],
        },
        {
          Kind: 'service-splitter',
          Name: 'b',
          Splits: [
            { Weight: 50, Service: 'a' },
            { Weight: 50, Service: 'b', ServiceSubset: 'y' },
          ],
        },
      ],
    });
    const route =
      (spec(rules, 'VirtualService', 'a').http as { route: { weight?: number }[] }[])[0]?.route ?? [];
    expect(route.length).toBeGreaterThan(1);
    expect(route.length).toBeLessThanOrEqual(256);
    expect(route.reduce((sum, r) => sum + (r.weight ?? 0), 0)).toBeGreaterThan(9_990);
  });
});
