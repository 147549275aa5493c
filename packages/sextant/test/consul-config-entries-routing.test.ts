import { ConfigEntryBook, CONFIG_ENTRIES_ORIGIN, instanceLabels } from '@sextant/adapter-consul';
import {
  formatRuleProblem,
  parseProxyIdentity,
  readRuleDocuments,
  Registry,
  type InstanceInput,
  type ServiceInput,
  type Snapshot,
} from '@sextant/core';
import { CLUSTER_TYPE, ENDPOINT_TYPE, Renderer, ROUTE_TYPE } from '@sextant/envoy';
import { distribution, simulateV3, type SimRequest } from '@sextant/testkit/routing';

/**
 * Consul's router → splitter → resolver chain, translated by the consul adapter, routes requests
 * as the equivalent hand-written VirtualService and DestinationRule do: the same requests reach
 * the same endpoints in the same shares through an Envoy's v3 routes (route simulator).
 */

const PORT = 8080;
const host = (service: string) => `${service}.service.dc1.consul`;
const WEB = host('web');
const API = host('api');
const CLIENT = parseProxyIdentity('sidecar~10.0.9.9~client-1.default~default.svc.cluster.local');

type Json = Record<string, unknown>;

/** Consul instances (tags and meta), labelled as the consul adapter labels them. */
function consulInstance(address: string, tags: string[], meta: Record<string, string>): InstanceInput {
  return { address, port: PORT, portName: 'http', labels: instanceLabels(tags, meta) };
}

const SERVICES: { service: ServiceInput; instances: InstanceInput[] }[] = [
  {
    service: { hostname: WEB, ports: [{ name: 'http', port: PORT, protocol: 'http' }] },
    instances: [
      consulInstance('10.0.0.1', [], { version: 'v1' }),
      consulInstance('10.0.0.2', ['canary'], { version: 'v2' }),
      consulInstance('10.0.0.3', ['version=v3'], {}),
    ],
  },
  {
    service: { hostname: API, ports: [{ name: 'http', port: PORT, protocol: 'http' }] },
    instances: [
      consulInstance('10.0.1.1', [], { version: 'v1' }),
      consulInstance('10.0.1.2', ['canary'], {}),
    ],
  },
  {
    service: { hostname: host('client'), ports: [{ name: 'http', port: 9000, protocol: 'http' }] },
    instances: [{ address: '10.0.9.9', port: 9000, portName: 'http', labels: { app: 'client' } }],
  },
];

/** A mesh of SERVICES whose rules come from Consul config entries or from a rules file. */
class Mesh {
  private readonly registry = new Registry({ adapters: ['consul'], ruleSources: ['rules.yaml'] });

  constructor() {
    const sink = this.registry.sink('consul');
    sink.replaceAll({
      services: SERVICES.map((s) => s.service),
      instances: SERVICES.flatMap((s) => s.instances.map((i) => ({ ...i, hostname: s.service.hostname }))),
    });
    sink.setStatus('ready');
  }

  static fromConfigEntries(entries: Record<string, unknown[]>): Mesh {
    const mesh = new Mesh();
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
    expect(problems).toEqual([]);
    mesh.registry.sink('consul').replaceRules(CONFIG_ENTRIES_ORIGIN, rules);
    return mesh.flushed();
  }

  static fromIstio(...resources: object[]): Mesh {
    const mesh = new Mesh();
    const read = readRuleDocuments(resources.map((r) => JSON.stringify(r)).join('\n---\n'), 'rules.yaml');
    mesh.registry.ruleSink('rules.yaml').replace(read.inputs, read.problems);
    return mesh.flushed();
  }

  private flushed(): this {
    this.registry.flush();
    const { rules } = this.registry.ruleStatuses();
    const wrong = rules.flatMap((r) =>
      r.state !== 'applied'
        ? [`${r.identity.name}: ${r.state}`]
        : r.problems.filter((p) => p.severity === 'error' && !p.target).map(formatRuleProblem),
    );
    if (wrong.length > 0) throw new Error(`rules not applied:\n${wrong.join('\n')}`);
    return this;
  }

  private get snapshot(): Snapshot {
    const snapshot = this.registry.current();
    if (!snapshot) throw new Error('the mesh did not sync');
    return snapshot;
  }

  /** Where `request` goes from the client's sidecar: `address:port,… share` per cluster, sorted. */
  reached(request: SimRequest): string[] {
    const renderer = new Renderer({ keepRendered: true });
    const set = (typeUrl: Parameters<typeof renderer.v3.resourceSet>[1]) =>
      renderer.v3.resourceSet(this.snapshot, typeUrl, { proxy: CLIENT, kind: 'ads', target: 'v3' });
    const json = (typeUrl: Parameters<typeof renderer.v3.resourceSet>[1], name: string): Json => {
      const resource = set(typeUrl).get(name);
      if (!resource) throw new Error(`no ${typeUrl} ${name}`);
      return JSON.parse(resource.json()) as Json;
    };
    const routes = json(ROUTE_TYPE, String(PORT));
    return Object.entries(distribution(simulateV3(routes, request)))
      .map(([cluster, share]) => {
        const eds = (json(CLUSTER_TYPE, cluster).eds_cluster_config as { service_name: string }).service_name;
        const groups = (json(ENDPOINT_TYPE, eds).endpoints ?? []) as {
          lb_endpoints: { endpoint: { address: { socket_address: { address: string } } } }[];
        }[];
        const addresses = groups.flatMap((g) =>
          g.lb_endpoints.map((e) => e.endpoint.address.socket_address.address),
        );
        return `${addresses.sort().join(',')} ${share}`;
      })
      .sort();
  }
}

const request = (service: string, more: Partial<SimRequest> = {}): SimRequest => ({
  authority: `${host(service)}:${PORT}`,
  path: '/',
  ...more,
});

const vs = (name: string, spec: object) => ({
  apiVersion: 'networking.istio.io/v1',
  kind: 'VirtualService',
  metadata: { name },
  spec,
});
const dr = (name: string, spec: object) => ({
  apiVersion: 'networking.istio.io/v1',
  kind: 'DestinationRule',
  metadata: { name },
  spec,
});
const to = (hostname: string, subset?: string, weight?: number) => ({
  destination: { host: hostname, ...(subset && { subset }) },
  ...(weight !== undefined && { weight }),
});

/** web's subsets: by meta (v1), by a tag (canary), by a `k=v` tag (v3). */
const WEB_RESOLVER = {
  Kind: 'service-resolver',
  Name: 'web',
  Subsets: {
    v1: { Filter: 'Service.Meta.version == "v1"' },
    canary: { Filter: '"canary" in Service.Tags' },
    v3: { Filter: '"version=v3" in Service.Tags' },
  },
};
const WEB_SUBSETS = dr('web', {
  host: WEB,
  subsets: [
    { name: 'v1', labels: { version: 'v1' } },
    { name: 'canary', labels: { 'tag.canary': 'true' } },
    { name: 'v3', labels: { version: 'v3' } },
  ],
});

describe('Consul config entries route as their Istio equivalents', () => {
  it('a 90/10 splitter over resolver subsets (by meta and by tag): the same endpoints in the same shares', () => {
    const consul = Mesh.fromConfigEntries({
      'service-splitter': [
        {
          Kind: 'service-splitter',
          Name: 'web',
          Splits: [
            { Weight: 90, ServiceSubset: 'v1' },
            { Weight: 10, ServiceSubset: 'canary' },
          ],
        },
      ],
      'service-resolver': [WEB_RESOLVER],
    });
    const istio = Mesh.fromIstio(
      vs('web', { hosts: [WEB], http: [{ route: [to(WEB, 'v1', 90), to(WEB, 'canary', 10)] }] }),
      WEB_SUBSETS,
    );
    for (const r of [request('web'), request('web', { path: '/x', headers: { 'x-a': '1' } })]) {
      expect(consul.reached(r)).toEqual(istio.reached(r));
    }
    expect(consul.reached(request('web'))).toEqual(['10.0.0.1 0.9', '10.0.0.2 0.1']);
  });

  it('a router with a header match and a path prefix, in order, then the catch-all through the default subset', () => {
    const consul = Mesh.fromConfigEntries({
      'service-router': [
        {
          Kind: 'service-router',
          Name: 'web',
          Routes: [
            {
              Match: { HTTP: { Header: [{ Name: 'x-canary', Exact: 'yes' }] } },
              Destination: { ServiceSubset: 'canary' },
            },
            { Match: { HTTP: { PathPrefix: '/api/' } }, Destination: { Service: 'api' } },
            { Match: { HTTP: { PathPrefix: '/v3' } }, Destination: { ServiceSubset: 'v3' } },
          ],
        },
      ],
      'service-resolver': [
        { ...WEB_RESOLVER, DefaultSubset: 'v1' },
        {
          Kind: 'service-resolver',
          Name: 'api',
          DefaultSubset: 'stable',
          Subsets: { stable: { Filter: 'Service.Meta.version == v1' } },
        },
      ],
    });
    const istio = Mesh.fromIstio(
      vs('web', {
        hosts: [WEB],
        http: [
          { match: [{ headers: { 'x-canary': { exact: 'yes' } } }], route: [to(WEB, 'canary')] },
          { match: [{ uri: { prefix: '/api/' } }], route: [to(API, 'stable')] },
          { match: [{ uri: { prefix: '/v3' } }], route: [to(WEB, 'v3')] },
          { route: [to(WEB, 'v1')] },
        ],
      }),
      WEB_SUBSETS,
      dr('api', { host: API, subsets: [{ name: 'stable', labels: { version: 'v1' } }] }),
      vs('api', { hosts: [API], http: [{ route: [to(API, 'stable')] }] }),
    );
    const cases: [SimRequest, string[]][] = [
      [request('web', { headers: { 'x-canary': 'yes' } }), ['10.0.0.2 1']],
      [request('web', { headers: { 'x-canary': 'no' } }), ['10.0.0.1 1']],
      [request('web', { path: '/api/users' }), ['10.0.1.1 1']],
      [request('web', { path: '/v3/x' }), ['10.0.0.3 1']],
      [request('web', { path: '/other' }), ['10.0.0.1 1']],
      [request('api'), ['10.0.1.1 1']],
    ];
    for (const [r, expected] of cases) {
      expect(consul.reached(r)).toEqual(istio.reached(r));
      expect(consul.reached(r)).toEqual(expected);
    }
  });

  it('a router destination through another service’s splitter: weighted destinations of that service', () => {
    const consul = Mesh.fromConfigEntries({
      'service-router': [
        {
          Kind: 'service-router',
          Name: 'web',
          Routes: [
            {
              Match: { HTTP: { PathPrefix: '/api/', Methods: ['GET', 'HEAD'] } },
              Destination: { Service: 'api' },
            },
          ],
        },
      ],
      'service-splitter': [
        {
          Kind: 'service-splitter',
          Name: 'api',
          Splits: [
            { Weight: 75, Service: 'api', ServiceSubset: 'stable' },
            { Weight: 25, Service: 'api', ServiceSubset: 'canary' },
          ],
        },
      ],
      'service-resolver': [
        {
          Kind: 'service-resolver',
          Name: 'api',
          Subsets: {
            stable: { Filter: 'Service.Meta.version == v1' },
            canary: { Filter: 'Service.Tags contains canary' },
          },
        },
      ],
    });
    const istio = Mesh.fromIstio(
      vs('web', {
        hosts: [WEB],
        http: [
          {
            match: [
              { uri: { prefix: '/api/' }, method: { exact: 'GET' } },
              { uri: { prefix: '/api/' }, method: { exact: 'HEAD' } },
            ],
            route: [to(API, 'stable', 75), to(API, 'canary', 25)],
          },
          { route: [to(WEB)] },
        ],
      }),
      dr('api', {
        host: API,
        subsets: [
          { name: 'stable', labels: { version: 'v1' } },
          { name: 'canary', labels: { 'tag.canary': 'true' } },
        ],
      }),
    );
    for (const r of [
      request('web', { path: '/api/a' }),
      request('web', { path: '/api/a', method: 'POST' }),
      request('web', { path: '/' }),
    ]) {
      expect(consul.reached(r)).toEqual(istio.reached(r));
    }
    expect(consul.reached(request('web', { path: '/api/a' }))).toEqual(['10.0.1.1 0.75', '10.0.1.2 0.25']);
    expect(consul.reached(request('web', { path: '/api/a', method: 'POST' }))).toEqual([
      '10.0.0.1,10.0.0.2,10.0.0.3 1',
    ]);
  });
});
