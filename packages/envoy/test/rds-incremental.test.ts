import { parseProxyIdentity, type ProxyIdentity, type Snapshot } from '@sextant/core';
import { bodyText, envoyProtos, Renderer, ROUTE_TYPE } from '../src';
import { BOOKINFO, bookinfoService, host, PRODUCTPAGE, RulesMesh, yaml } from './rules-v1-mesh';

/**
 * RDS after a change, v1 and v3: a table is rendered again, but of its virtual hosts' routes only
 * those of the services that changed, and of the services whose routes send traffic to them; the
 * routes of a host are rendered once for every domain's table. Counted as the render cache's
 * misses: each table and each host's routes rendered is one.
 */

let mesh: RulesMesh;
beforeEach(() => {
  mesh = new RulesMesh();
});
afterEach(() => mesh.close());

/** Two sidecars whose tables differ (their domains give the services other short names). */
const PROXIES = [PRODUCTPAGE, 'sidecar~10.9.9.9~tool.other~other.svc.cluster.local'].map(parseProxyIdentity);

/** Port 9080's table for a proxy, as v1 JSON or v3 protobuf, from a renderer. */
type TableOf = (renderer: Renderer, snapshot: Snapshot, proxy: ProxyIdentity) => string;

/** Each protocol, with what its table costs besides its virtual hosts (v3: the proxy's set of tables too). */
const TABLES: [string, TableOf, number][] = [
  ['v1', (renderer, snapshot, proxy) => bodyText(renderer.v1.rds(snapshot, '9080', proxy)), 1],
  [
    'v3',
    (renderer, snapshot, proxy) => {
      const resource = renderer.v3.resourceSet(snapshot, ROUTE_TYPE, { proxy, kind: 'ads' }).get('9080');
      if (!resource) throw new Error('no route configuration 9080');
      return Buffer.from(resource.bytes).toString('hex');
    },
    2,
  ],
];

/**
 * Renders port 9080's table for both proxies; returns how many renders that took (cache misses).
 * Each is checked against the table of a renderer that never saw one.
 */
function renderBoth(tableOf: TableOf): number {
  const { cache } = mesh.renderer;
  const before = cache.stats().misses;
  const snapshot = mesh.snapshot();
  for (const proxy of PROXIES) {
    expect(tableOf(mesh.renderer, snapshot, proxy)).toBe(tableOf(new Renderer(), snapshot, proxy));
  }
  return cache.stats().misses - before;
}

function bookinfo(name: string) {
  const found = BOOKINFO.find((s) => s.service.hostname === host(name));
  if (!found) throw new Error(`no bookinfo service ${name}`);
  return found;
}

/** Moves a bookinfo service to another VIP: its shape (and so its virtual host's domains) changes. */
function moveVip(name: string, vip: string): void {
  mesh.upsertService(bookinfoService(name, vip, []).service, bookinfo(name).instances);
}

/** Renames a bookinfo service's port: the name of its cluster, which routes to it name, changes. */
function renamePort(name: string, portName: string): void {
  const { service, instances } = bookinfo(name);
  mesh.upsertService(
    { ...service, ports: service.ports.map((port) => ({ ...port, name: portName })) },
    instances.map((instance) => ({ ...instance, portName })),
  );
}

describe.each(TABLES)('%s RDS after a change', (_, tableOf, perTable) => {
  /** Renders both tables; returns how many hosts' routes were rendered. */
  const renderBothTables = () => renderBoth(tableOf) - 2 * perTable;

  it('renders again only the routes of the service that changed, once for every table', () => {
    // First: two tables of four virtual hosts each, whose routes are the same in both.
    expect(renderBothTables()).toBe(BOOKINFO.length);
    // Asked again, nothing is rendered.
    expect(renderBoth(tableOf)).toBe(0);
    moveVip('details', '10.96.1.13');
    // Each table again, and for both the routes of details alone.
    expect(renderBothTables()).toBe(1);
  });

  it('renders again the routes of a service that send traffic to the one that changed', () => {
    mesh.apply(
      yaml(
        'apiVersion: networking.istio.io/v1beta1',
        'kind: VirtualService',
        'metadata: { name: details-to-ratings }',
        'spec:',
        '  hosts: [details]',
        '  http:',
        '  - route: [{ destination: { host: ratings } }]',
      ),
    );
    renderBothTables();
    renamePort('ratings', 'http-api');
    // ratings' routes and details' (its route names ratings' cluster).
    expect(renderBothTables()).toBe(2);
    moveVip('productpage', '10.96.1.10');
    // productpage's alone: no route sends traffic to it.
    expect(renderBothTables()).toBe(1);
  });
});

describe('v3 RDS written around its virtual hosts', () => {
  it('is the encoding protobufjs gives the whole table', () => {
    const resource = new Renderer().v3
      .resourceSet(mesh.snapshot(), ROUTE_TYPE, { proxy: PROXIES[0] as ProxyIdentity, kind: 'ads' })
      .get('9080');
    const type = envoyProtos().messageType(ROUTE_TYPE);
    const bytes = resource?.bytes ?? new Uint8Array();
    expect(type.decode(bytes).toJSON()).toMatchObject({ name: '9080', validate_clusters: {} });
    expect(Buffer.from(type.encode(type.decode(bytes)).finish())).toEqual(Buffer.from(bytes));
  });
});
