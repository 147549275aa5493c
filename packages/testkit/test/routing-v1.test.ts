import { distribution, simulateV1, type RouteOutcome, type SimOutcome } from '../src/routing';
import { v1Table } from './support/route-tables';

const WORLD = 'world.default.svc.cluster.local';
const V0 = `out.${WORLD}|http|version=v0`;
const V1 = `out.${WORLD}|http|version=v1`;

/** An RDS answer shaped as Pilot's v1 goldens (rds-weighted, rds-fault). */
const rds = {
  virtual_hosts: [
    {
      name: `${WORLD}|http`,
      domains: ['world:80', 'world', `${WORLD}:80`, WORLD, '10.1.0.0:80', '10.1.0.0'],
      routes: [
        {
          prefix: '/',
          headers: [
            { name: 'animal', value: '^dog\\.cat.*', regex: true },
            { name: 'scooby', value: 'doo' },
          ],
          cluster: V1,
          timeout_ms: 0,
          decorator: { operation: 'fault-rule' },
        },
        {
          path: '/legacy',
          cluster: V0,
          timeout_ms: 30_000,
          retry_policy: {
            retry_on: '5xx,connect-failure,refused-stream',
            num_retries: 1,
            per_try_timeout_ms: 5000,
          },
        },
        {
          prefix: '/',
          weighted_clusters: {
            clusters: [
              { name: V0, weight: 75 },
              { name: V1, weight: 25 },
            ],
          },
          decorator: { operation: 'default-route' },
        },
      ],
    },
  ],
};

/** The LDS listener Pilot served with it: one fault filter per (route, cluster), before the router. */
const listener = {
  name: 'http_0.0.0.0_80',
  address: 'tcp://0.0.0.0:80',
  bind_to_port: false,
  filters: [
    {
      type: 'read',
      name: 'http_connection_manager',
      config: {
        codec_type: 'auto',
        stat_prefix: 'http',
        rds: { cluster: 'rds', route_config_name: '80', refresh_delay_ms: 1000 },
        filters: [
          { type: '', name: 'cors', config: {} },
          {
            type: 'decoder',
            name: 'fault',
            config: {
              abort: { abort_percent: 100, http_status: 503 },
              delay: { type: 'fixed', fixed_delay_percent: 100, fixed_duration_ms: 5000 },
              headers: [
                { name: 'animal', value: '^dog\\.cat.*', regex: true },
                { name: 'scooby', value: 'doo' },
              ],
              upstream_cluster: V1,
            },
          },
          { type: 'decoder', name: 'router', config: {} },
          { type: 'decoder', name: 'fault', config: { abort: { abort_percent: 100, http_status: 500 } } },
        ],
      },
    },
  ],
};

function routed(outcome: SimOutcome): RouteOutcome {
  if (outcome.kind !== 'route') throw new Error(`expected a route, got ${JSON.stringify(outcome)}`);
  return outcome;
}
const dogs = { animal: 'dog.cat.x', scooby: 'doo' };

describe('simulateV1', () => {
  it('routes by headers first, then splits 75/25 by weight', () => {
    const faulted = routed(simulateV1(rds, { authority: 'world', path: '/hello', headers: dogs }));
    expect(faulted.route).toEqual({ index: 0, name: 'fault-rule' });
    expect(distribution(faulted)).toEqual({ [V1]: 1 });
    const rest = routed(simulateV1(rds, { authority: 'world:80', path: '/hello' }));
    expect(rest.route).toEqual({ index: 2, name: 'default-route' });
    expect(distribution(rest)).toEqual({ [V0]: 0.75, [V1]: 0.25 });
  });

  it('timeout_ms defaults to 15 s; 0 disables it', () => {
    expect(routed(simulateV1(rds, { authority: 'world', path: '/' })).timeoutMs).toBe(15_000);
    expect(
      routed(simulateV1(rds, { authority: 'world', path: '/', headers: dogs })).timeoutMs,
    ).toBeUndefined();
    expect(routed(simulateV1(rds, { authority: 'world', path: '/legacy' })).timeoutMs).toBe(30_000);
  });

  it('retry_policy, with num_retries defaulting to 1', () => {
    expect(routed(simulateV1(rds, { authority: 'world', path: '/legacy?x' })).retry).toEqual({
      retryOn: ['5xx', 'connect-failure', 'refused-stream'],
      numRetries: 1,
      perTryTimeoutMs: 5000,
    });
  });

  it("applies LDS fault filters before the router, by upstream_cluster and headers, not by the route's path", () => {
    const fault = {
      filter: 'fault',
      delay: { ms: 5000, fraction: 1 },
      abort: { httpStatus: 503, fraction: 1 },
    };
    const matched = routed(
      simulateV1(rds, { authority: 'world', path: '/hello', headers: dogs }, { listener }),
    );
    expect(matched.clusters[0]?.faults).toEqual([fault]);
    // Without the headers, the default route's share to V1 is not faulted, nor is V0's.
    const plain = routed(simulateV1(rds, { authority: 'world', path: '/hello' }, { listener }));
    expect(plain.clusters.map((c) => c.faults)).toEqual([[], []]);
    // The filter ignores paths: with the headers, the default route's V1 share is faulted too (Pilot's fault leak).
    const leak = {
      virtual_hosts: [
        {
          ...rds.virtual_hosts[0],
          routes: [{ path: '/other', headers: [{ name: 'scooby', value: 'doo' }], cluster: V1 }],
        },
      ],
    };
    expect(
      routed(simulateV1(leak, { authority: 'world', path: '/other', headers: dogs }, { listener }))
        .clusters[0]?.faults,
    ).toEqual([fault]);
  });

  it('fault filters: downstream_nodes, integer percents, abort and delay parts', () => {
    const faultListener = (config: object): object => ({
      ...listener,
      filters: [
        {
          ...listener.filters[0],
          config: {
            ...listener.filters[0]?.config,
            filters: [
              { type: 'decoder', name: 'fault', config },
              { type: 'decoder', name: 'router', config: {} },
            ],
          },
        },
      ],
    });
    const table = v1Table([{ prefix: '/', cluster: V0 }]);
    const faults = (config: object, headers: Record<string, string> = {}): unknown =>
      routed(simulateV1(table, { authority: 'a', path: '/', headers }, { listener: faultListener(config) }))
        .clusters[0]?.faults;
    expect(faults({ abort: { abort_percent: 10, http_status: 503 } })).toEqual([
      { filter: 'fault', abort: { httpStatus: 503, fraction: 0.1 } },
    ]);
    expect(faults({ abort: { abort_percent: 0, http_status: 503 } })).toEqual([]);
    const nodes = {
      delay: { type: 'fixed', fixed_delay_percent: 50, fixed_duration_ms: 200 },
      downstream_nodes: ['productpage'],
    };
    expect(faults(nodes)).toEqual([]);
    expect(faults(nodes, { 'x-envoy-downstream-service-node': 'productpage' })).toEqual([
      { filter: 'fault', delay: { ms: 200, fraction: 0.5 } },
    ]);
    expect(
      simulateV1(
        table,
        { authority: 'a', path: '/' },
        { listener: faultListener({ abort: { abort_percent: 10 } }) },
      ),
    ).toEqual({
      kind: 'invalid',
      reasons: ['listener.filters[0].config.filters[0].config.abort.http_status: is required'],
    });
  });

  it('weighted clusters must sum to exactly 100', () => {
    const table = v1Table([
      {
        prefix: '/',
        weighted_clusters: {
          clusters: [
            { name: V0, weight: 80 },
            { name: V1, weight: 30 },
          ],
        },
      },
    ]);
    expect(simulateV1(table, { authority: 'a', path: '/' })).toEqual({
      kind: 'invalid',
      reasons: ['virtual_hosts[0].routes[0].weighted_clusters: the weights sum to 110, not 100'],
    });
  });

  it('a route names one cluster target or redirects', () => {
    const both = v1Table([{ prefix: '/', cluster: V0, cluster_header: 'x' }]);
    expect(simulateV1(both, { authority: 'a', path: '/' }).kind).toBe('invalid');
    const redirect = v1Table([{ prefix: '/', host_redirect: 'new.example.com', path_redirect: '/moved' }]);
    expect(simulateV1(redirect, { authority: 'a', path: '/old', scheme: 'https' })).toEqual({
      kind: 'redirect',
      virtualHost: 'host',
      route: { index: 0 },
      status: 301,
      location: 'https://new.example.com/moved',
    });
  });

  it('prefix_rewrite, host_rewrite, shadow, hash_policy, cluster_header', () => {
    const table = v1Table([
      {
        prefix: '/api',
        cluster_header: 'x-cluster',
        prefix_rewrite: '/v2',
        host_rewrite: 'internal',
        shadow: { cluster: V1 },
        hash_policy: { header_name: 'x-user' },
      },
    ]);
    const outcome = routed(
      simulateV1(table, { authority: 'a', path: '/api/x?y=1', headers: { 'x-cluster': V0 } }),
    );
    expect(distribution(outcome)).toEqual({ [V0]: 1 });
    expect(outcome.rewrite).toEqual({ path: '/v2/x?y=1', authority: 'internal' });
    expect(outcome.mirrors).toEqual([{ cluster: V1, fraction: 1 }]);
    expect(outcome.hashPolicy).toEqual([{ kind: 'header', name: 'x-user', terminal: false }]);
    const runtimeShadow = v1Table([
      { prefix: '/', cluster: V0, shadow: { cluster: V1, runtime_key: 'mirror.pct' } },
    ]);
    expect(routed(simulateV1(runtimeShadow, { authority: 'a', path: '/' })).mirrors).toEqual([
      { cluster: V1, fraction: 0 },
    ]);
  });

  it('a runtime-gated route is simulated only at 0 % or 100 %', () => {
    const gated = (percent: number): object =>
      v1Table([
        { prefix: '/', cluster: V1, runtime: { key: 'canary', default: percent } },
        { prefix: '/', cluster: V0 },
      ]);
    expect(distribution(simulateV1(gated(0), { authority: 'a', path: '/' }))).toEqual({ [V0]: 1 });
    expect(distribution(simulateV1(gated(100), { authority: 'a', path: '/' }))).toEqual({ [V1]: 1 });
    expect(() => simulateV1(gated(30), { authority: 'a', path: '/' })).toThrow(
      'a route matched by chance (30 %) is not simulated',
    );
  });
});
