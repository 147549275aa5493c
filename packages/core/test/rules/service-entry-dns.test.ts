import { MAX_ADDRESSES_PER_NAME, readRuleDocuments, Registry, type Snapshot } from '../../src';
import { yaml } from './helpers';

/**
 * resolution DNS ServiceEntries through the registry: the names it asks a resolver for, and the
 * instances the resolver's answers give (core does no lookup: tests play the resolver).
 */
const PAYMENTS = yaml(
  'apiVersion: networking.istio.io/v1',
  'kind: ServiceEntry',
  'metadata: { name: payments }',
  'spec:',
  '  hosts: [api.payments.example]',
  '  ports:',
  '  - { number: 443, name: https, protocol: TLS }',
  '  - { number: 80, name: http, protocol: HTTP, targetPort: 8080 }',
  '  resolution: DNS',
  '  endpoints:',
  '  - { address: EU.payments.example, labels: { region: eu }, locality: eu-west/a, weight: 3 }',
  '  - { address: us.payments.example, ports: { https: 8443 } }',
  '  - { address: 192.0.2.7 }',
);
const SEARCH = yaml(
  'apiVersion: networking.istio.io/v1',
  'kind: ServiceEntry',
  'metadata: { name: search }',
  'spec:',
  '  hosts: [search.example, maps.example]',
  '  ports: [{ number: 80, name: http, protocol: HTTP }]',
  '  resolution: DNS',
);
const STATIC_AND_NONE = yaml(
  'apiVersion: networking.istio.io/v1',
  'kind: ServiceEntry',
  'metadata: { name: fixed }',
  'spec:',
  '  hosts: [fixed.example]',
  '  ports: [{ number: 80, name: http, protocol: HTTP }]',
  '  resolution: STATIC',
  '  endpoints: [{ address: 192.0.2.1 }]',
  '---',
  'apiVersion: networking.istio.io/v1',
  'kind: ServiceEntry',
  'metadata: { name: passthrough }',
  'spec:',
  '  hosts: [through.example]',
  '  ports: [{ number: 80, name: http, protocol: HTTP }]',
  '  resolution: NONE',
);

function mesh(...texts: string[]) {
  const registry = new Registry({ adapters: ['a'], ruleSources: ['rules.yaml'] });
  registry.sink('a').setStatus('ready');
  const rules = registry.ruleSink('rules.yaml');
  const resolution = registry.nameResolution();
  const namesSeen: string[][] = [];
  resolution.onNamesChanged((names) => namesSeen.push([...names].sort()));
  const load = (...documents: string[]) => {
    const read = readRuleDocuments(documents.join('---\n'), 'rules.yaml');
    expect(read.problems).toEqual([]);
    rules.replace(read.inputs);
    registry.flush();
  };
  load(...texts);
  let published = 0;
  registry.onSnapshot(() => published++);
  const current = () => registry.current() as Snapshot;
  const endpoints = (hostname: string) =>
    current()
      .services.get(hostname)
      ?.instances.map((i) => `${i.portName} ${i.address}:${i.port}`)
      .sort();
  const ruleProblems = (name: string) =>
    registry
      .ruleStatuses()
      .rules.find((r) => r.identity.name === name)
      ?.problems.map((p) => `${p.path}: ${p.message} [${p.code}]`);
  return {
    registry,
    resolution,
    load,
    namesSeen,
    current,
    endpoints,
    ruleProblems,
    published: () => published,
  };
}

describe('resolution DNS ServiceEntries', () => {
  it('ask for the endpoint addresses that are names, or the hosts themselves without endpoints', () => {
    const { registry, resolution, load, namesSeen, endpoints } = mesh(PAYMENTS, SEARCH, STATIC_AND_NONE);
    expect([...resolution.names()].sort()).toEqual([
      'eu.payments.example',
      'maps.example',
      'search.example',
      'us.payments.example',
    ]);
    // An IP endpoint of a DNS entry is used as it is, before any answer; NONE has no endpoints.
    expect(endpoints('api.payments.example')).toEqual(['http 192.0.2.7:8080', 'https 192.0.2.7:443']);
    expect(endpoints('search.example')).toEqual([]);
    expect(endpoints('fixed.example')).toEqual(['http 192.0.2.1:80']);
    expect(endpoints('through.example')).toEqual([]);
    // The resolver is told when the set changes, not when a rule changes and the names do not.
    expect(namesSeen).toHaveLength(1);
    load(PAYMENTS.replace('weight: 3', 'weight: 4'), SEARCH);
    expect(namesSeen).toHaveLength(1);
    load(PAYMENTS);
    expect(namesSeen).toEqual([
      ['eu.payments.example', 'maps.example', 'search.example', 'us.payments.example'],
      ['eu.payments.example', 'us.payments.example'],
    ]);
    registry.close();
  });

  it('turn answers into instances: each address with each port, the endpoint labels, locality and weight', () => {
    const { registry, resolution, current, endpoints } = mesh(PAYMENTS);
    resolution.resolved('eu.payments.example', { addresses: ['198.51.100.2', '198.51.100.1'] });
    resolution.resolved('us.payments.example', { addresses: ['2001:db8::5'] });
    registry.flush();
    expect(endpoints('api.payments.example')).toEqual([
      'http 192.0.2.7:8080',
      'http 198.51.100.1:8080',
      'http 198.51.100.2:8080',
      'http 2001:db8::5:8080',
      'https 192.0.2.7:443',
      'https 198.51.100.1:443',
      'https 198.51.100.2:443',
      'https 2001:db8::5:8443',
    ]);
    const eu = current()
      .services.get('api.payments.example')
      ?.instances.find((i) => i.address === '198.51.100.1' && i.portName === 'https');
    expect(eu).toMatchObject({
      labels: { region: 'eu' },
      locality: { region: 'eu-west', zone: 'a' },
      weight: 3,
    });
    registry.close();
  });

  it('a changed answer changes only the hosts of that name; an unchanged one publishes nothing', () => {
    const { registry, resolution, current, published } = mesh(PAYMENTS, SEARCH);
    for (const name of resolution.names()) resolution.resolved(name, { addresses: ['203.0.113.1'] });
    registry.flush();
    const before = current();
    const count = published();

    // The same addresses in another order (and a duplicate) are the same answer.
    resolution.resolved('search.example', { addresses: ['203.0.113.1', '203.0.113.1'] });
    registry.flush();
    expect(published()).toBe(count);

    resolution.resolved('search.example', { addresses: ['203.0.113.9'] });
    registry.flush();
    const after = current();
    expect(published()).toBe(count + 1);
    expect([...after.changed]).toEqual(['search.example']);
    expect(after.services.get('search.example')?.version).not.toBe(
      before.services.get('search.example')?.version,
    );
    for (const other of ['maps.example', 'api.payments.example']) {
      expect(after.services.get(other)).toBe(before.services.get(other));
    }
    registry.close();
  });

  it('a failed lookup keeps the last known addresses and says so on the ServiceEntry', () => {
    const { registry, resolution, endpoints, ruleProblems, published } = mesh(SEARCH);
    expect(ruleProblems('search')).toEqual([
      'spec.hosts[0]: search.example is not resolved yet: it gives no endpoints until it is [unresolved-name]',
      'spec.hosts[1]: maps.example is not resolved yet: it gives no endpoints until it is [unresolved-name]',
    ]);
    resolution.resolved('search.example', { addresses: ['203.0.113.1'] });
    resolution.resolved('maps.example', { error: 'ENOTFOUND' });
    registry.flush();
    const count = published();
    resolution.resolved('search.example', { error: 'ETIMEOUT' });
    registry.flush();
    expect(published()).toBe(count);
    expect(endpoints('search.example')).toEqual(['http 203.0.113.1:80']);
    expect(endpoints('maps.example')).toEqual([]);
    expect(ruleProblems('search')).toEqual([
      'spec.hosts[0]: looking up search.example failed (ETIMEOUT): its last known addresses (1) stay in use [unresolved-name]',
      'spec.hosts[1]: looking up maps.example failed (ENOTFOUND): it gives no endpoints until a lookup succeeds [unresolved-name]',
    ]);
    const status = registry.ruleStatuses().rules.find((r) => r.identity.name === 'search');
    expect(status?.problems[0]).toMatchObject({ severity: 'warning', file: 'rules.yaml', line: 5 });
    resolution.resolved('search.example', { addresses: ['203.0.113.1'] });
    resolution.resolved('maps.example', { addresses: [] });
    expect(ruleProblems('search')).toEqual([
      'spec.hosts[1]: maps.example resolves to no address: it gives no endpoints [unresolved-name]',
    ]);
    registry.close();
  });

  it('keeps IP addresses only, at most MAX_ADDRESSES_PER_NAME, and ignores names no entry needs', () => {
    const { registry, resolution, endpoints, published } = mesh(SEARCH);
    const many = Array.from({ length: MAX_ADDRESSES_PER_NAME + 50 }, (_, i) => `10.0.${i >> 8}.${i & 255}`);
    resolution.resolved('search.example', { addresses: ['not-an-ip', ...many] });
    registry.flush();
    expect(endpoints('search.example')).toHaveLength(MAX_ADDRESSES_PER_NAME);
    expect(endpoints('search.example')).not.toContain('http not-an-ip:80');
    const count = published();
    resolution.resolved('elsewhere.example', { addresses: ['203.0.113.1'] });
    registry.flush();
    expect(published()).toBe(count);
    registry.close();
  });
});
