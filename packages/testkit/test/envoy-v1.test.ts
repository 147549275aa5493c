import { envoyV1Problems } from '../src/envoy-v1';

const cluster = {
  name: 'out.a|http',
  service_name: 'a|http',
  type: 'sds',
  connect_timeout_ms: 1000,
  lb_type: 'round_robin',
};
const hcm = (extra: object) => ({
  type: 'read',
  name: 'http_connection_manager',
  config: {
    codec_type: 'auto',
    stat_prefix: 'http',
    filters: [{ type: 'decoder', name: 'router', config: {} }],
    ...extra,
  },
});
const rds = { rds: { cluster: 'rds', route_config_name: '80' } };

describe('Envoy v1 response checks', () => {
  it('accepts the examples of the spec', () => {
    expect(
      envoyV1Problems('sds', {
        hosts: [{ ip_address: '10.4.1.17', port: 9080, tags: { az: 'a', load_balancing_weight: 10 } }],
      }),
    ).toEqual([]);
    expect(envoyV1Problems('cds', { clusters: [cluster] })).toEqual([]);
    expect(
      envoyV1Problems('lds', {
        listeners: [{ name: 'l', address: 'tcp://0.0.0.0:80', filters: [hcm(rds)] }],
      }),
    ).toEqual([]);
  });

  it.each([
    ['sds', { hosts: [{ ip_address: 'web', port: 80 }] }, 'format'],
    ['sds', { hosts: [{ ip_address: '10.0.0.1', port: 80.5 }] }, 'integer'],
    [
      'sds',
      { hosts: [{ ip_address: '10.0.0.1', port: 80, tags: { load_balancing_weight: 101 } }] },
      '<= 100',
    ],
    ['cds', { clusters: [{ ...cluster, extra: 1 }] }, 'additional'],
    ['cds', { clusters: [{ ...cluster, name: 'out.a:80' }] }, 'pattern'],
    ['cds', { clusters: [{ ...cluster, name: `out.${'x'.repeat(57)}` }] }, '60'],
    ['cds', { clusters: [{ ...cluster, name: `out.${'é'.repeat(30)}` }] }, 'over 60 bytes'],
    ['cds', { clusters: [cluster, cluster] }, 'duplicate cluster'],
    ['cds', { clusters: [{ ...cluster, type: 'static', service_name: undefined }] }, 'hosts'],
    ['cds', { clusters: [{ ...cluster, type: 'original_dst' }] }, 'original_dst_lb'],
    ['cds', { clusters: [], version: 1 }, 'additional'],
    ['rds', { virtual_hosts: [{ name: 'a', domains: ['a'], routes: [{ prefix: '/' }] }] }, 'oneOf'],
    [
      'rds',
      { virtual_hosts: [{ name: 'a', domains: ['a'], routes: [{ prefix: '/', path: '/x', cluster: 'c' }] }] },
      'oneOf',
    ],
    [
      'rds',
      {
        virtual_hosts: [
          { name: 'a', domains: ['x'], routes: [{ prefix: '/', cluster: 'a' }] },
          { name: 'b', domains: ['x'], routes: [{ prefix: '/', cluster: 'b' }] },
        ],
      },
      'two virtual hosts',
    ],
    [
      'rds',
      {
        virtual_hosts: [
          {
            name: 'a',
            domains: ['a'],
            routes: [
              {
                prefix: '/',
                weighted_clusters: {
                  clusters: [
                    { name: 'a', weight: 60 },
                    { name: 'b', weight: 30 },
                  ],
                },
              },
            ],
          },
        ],
      },
      'not 100',
    ],
    ['lds', { listeners: [{ address: 'tcp://0.0.0.0:80', filters: [] }] }, 'no name'],
    ['lds', { listeners: [{ name: 'l', address: 'tcp://0.0.0.0:80', filters: [hcm({})] }] }, 'oneOf'],
    [
      'lds',
      { listeners: [{ name: 'l', address: 'tcp://0.0.0.0:80', filters: [hcm({ ...rds, bogus: true })] }] },
      'additional',
    ],
    [
      'lds',
      {
        listeners: [
          { name: 'a', address: 'tcp://0.0.0.0:80', filters: [] },
          { name: 'b', address: 'tcp://0.0.0.0:80', filters: [] },
        ],
      },
      'two listeners on',
    ],
    [
      'lds',
      {
        listeners: [
          {
            name: 'l',
            address: 'tcp://0.0.0.0:80',
            filters: [
              hcm({
                ...rds,
                filters: [
                  { type: 'decoder', name: 'router', config: {} },
                  {
                    type: 'decoder',
                    name: 'fault',
                    config: { abort: { abort_percent: 100, http_status: 503 } },
                  },
                ],
              }),
            ],
          },
        ],
      },
      'router filter must be last',
    ],
  ] as const)('%s refuses %j (%s)', (api, body, reason) => {
    const problems = envoyV1Problems(api, body);
    expect(problems.join('\n')).toContain(reason);
  });
});
