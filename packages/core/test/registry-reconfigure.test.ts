import { Registry, type InstanceInput, type RegistrySink, type Snapshot } from '../src';

const service = (hostname: string, address: string) => ({
  service: { hostname, ports: [{ name: 'http', port: 80, protocol: 'http' as const }] },
  instances: [{ address, port: 8080, portName: 'http' } satisfies InstanceInput],
});

function ready(sink: RegistrySink, hostname: string, address: string): void {
  const { service: s, instances } = service(hostname, address);
  sink.replaceAll({ services: [s], instances: instances.map((i) => ({ ...i, hostname })) });
  sink.setStatus('ready');
}

function collect(registry: Registry): Snapshot[] {
  const seen: Snapshot[] = [];
  registry.onSnapshot((s) => seen.push(s));
  return seen;
}

describe('registry reconfigured by a reload', () => {
  afterEach(() => jest.useRealTimers());

  it('adds an adapter without holding back publishing or readiness, and keeps the others as they were', () => {
    const registry = new Registry({ adapters: ['a'] });
    ready(registry.sink('a'), 'a.example', '10.0.0.1');
    const before = registry.current() as Snapshot;
    const aVersion = before.services.get('a.example')?.version;

    registry.setAdapters(['a', 'b']);
    registry.flush();
    // Nothing changed yet: nothing is republished.
    expect(registry.current()).toBe(before);
    expect(registry.isSynced()).toBe(true);
    expect(registry.adapterStatuses().map((s) => [s.name, s.status])).toEqual([
      ['a', 'ready'],
      ['b', 'syncing'],
    ]);

    // The new adapter's first report is published although it has not said ready.
    const { service: s, instances } = service('b.example', '10.0.0.2');
    registry.sink('b').upsertService(s, instances);
    registry.flush();
    const after = registry.current() as Snapshot;
    expect([...after.changed]).toEqual(['b.example']);
    expect(after.services.get('a.example')?.version).toBe(aVersion);
    registry.close();
  });

  it("removes an adapter's services, and only those", () => {
    const registry = new Registry({ adapters: ['a', 'b'] });
    ready(registry.sink('a'), 'a.example', '10.0.0.1');
    ready(registry.sink('b'), 'b.example', '10.0.0.2');
    const seen = collect(registry);

    registry.setAdapters(['a']);
    registry.flush();
    expect(seen).toHaveLength(1);
    expect([...(seen[0]?.changed ?? [])]).toEqual(['b.example']);
    expect([...(seen[0]?.services.keys() ?? [])]).toEqual(['a.example']);
    expect(registry.adapterStatuses().map((s) => s.name)).toEqual(['a']);
    expect(() => registry.sink('b')).toThrow(/no adapter named "b"/);
    registry.close();
  });

  it('keeps the partition of an adapter named again, and republishes nothing for an unchanged list', () => {
    const registry = new Registry({ adapters: ['a', 'b'] });
    ready(registry.sink('a'), 'a.example', '10.0.0.1');
    ready(registry.sink('b'), 'b.example', '10.0.0.2');
    const seen = collect(registry);
    registry.setAdapters(['a', 'b']);
    registry.flush();
    expect(seen).toHaveLength(0);
    expect(registry.adapterStatuses().map((s) => [s.name, s.services])).toEqual([
      ['a', 1],
      ['b', 1],
    ]);
    registry.close();
  });

  it('re-merges shared hosts when the order changes: the first listed wins service attributes', () => {
    const registry = new Registry({ adapters: ['a', 'b'] });
    const shared = (sink: RegistrySink, protocol: 'http' | 'tcp', address: string) => {
      sink.replaceAll({
        services: [{ hostname: 'web.example', ports: [{ name: 'p', port: 80, protocol }] }],
        instances: [{ hostname: 'web.example', address, port: 80, portName: 'p' }],
      });
      sink.setStatus('ready');
    };
    shared(registry.sink('a'), 'http', '10.0.0.1');
    shared(registry.sink('b'), 'tcp', '10.0.0.2');
    expect(registry.current()?.services.get('web.example')?.service.ports[0]?.protocol).toBe('http');

    registry.setAdapters(['b', 'a']);
    registry.flush();
    expect(registry.current()?.services.get('web.example')?.service.ports[0]?.protocol).toBe('tcp');
    registry.close();
  });

  it('takes new debounce windows from the next change on', () => {
    jest.useFakeTimers();
    const registry = new Registry({ adapters: ['a'], debounce: { afterMs: 100, maxMs: 1000 } });
    const sink = registry.sink('a');
    ready(sink, 'a.example', '10.0.0.1');
    const seen = collect(registry);
    registry.setDebounce({ afterMs: 2000, maxMs: 5000 });
    const { service: s, instances } = service('a.example', '10.0.0.9');
    sink.upsertService(s, instances);
    jest.advanceTimersByTime(1999);
    expect(seen).toHaveLength(0);
    jest.advanceTimersByTime(1);
    expect(seen).toHaveLength(1);
    registry.close();
  });

  it('refuses a list that names an adapter twice or takes the rules partition', () => {
    const registry = new Registry({ adapters: ['a'] });
    expect(() => registry.setAdapters(['a', 'a'])).toThrow(/used twice/);
    expect(() => registry.setAdapters(['rules'])).toThrow(/reserved/);
    expect(registry.adapterStatuses().map((s) => s.name)).toEqual(['a']);
    registry.close();
  });
});
