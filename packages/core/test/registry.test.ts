import {
  Registry,
  type AdapterState,
  type InstanceInput,
  type Labels,
  type RegistrySink,
  type Snapshot,
} from '../src';

const web = (instances: { address: string; version?: string; health?: 'healthy' | 'unhealthy' }[]) => ({
  service: { hostname: 'web.example', ports: [{ name: 'http', port: 80, protocol: 'http' as const }] },
  instances: instances.map((i): InstanceInput => ({
    address: i.address,
    port: 8080,
    portName: 'http',
    labels: (i.version ? { version: i.version } : {}) as Labels,
    health: i.health,
  })),
});

function collect(registry: Registry): Snapshot[] {
  const seen: Snapshot[] = [];
  registry.onSnapshot((s) => seen.push(s));
  return seen;
}

function ready(sink: RegistrySink, state?: AdapterState): void {
  if (state) sink.replaceAll(state);
  sink.setStatus('ready');
}

describe('registry', () => {
  afterEach(() => jest.useRealTimers());

  it('publishes nothing until every adapter has synced, then at once', () => {
    const registry = new Registry({ adapters: ['a', 'b'] });
    const seen = collect(registry);
    const { service, instances } = web([{ address: '10.0.0.1' }]);
    ready(registry.sink('a'), {
      services: [service],
      instances: instances.map((i) => ({ ...i, hostname: service.hostname })),
    });
    registry.flush();
    expect(seen).toHaveLength(0);
    expect(registry.current()).toBeUndefined();
    expect(registry.isSynced()).toBe(false);

    ready(registry.sink('b'), { services: [], instances: [] });
    expect(seen).toHaveLength(1);
    expect(seen[0]?.services.get('web.example')?.instances).toHaveLength(1);
    expect([...(seen[0]?.changed ?? [])]).toEqual(['web.example']);
    registry.close();
  });

  it('debounces: waits for quiet, but never longer than max', () => {
    jest.useFakeTimers();
    const registry = new Registry({ adapters: ['a'], debounce: { afterMs: 100, maxMs: 1000 } });
    const seen = collect(registry);
    const sink = registry.sink('a');
    ready(sink, { services: [], instances: [] });
    expect(seen).toHaveLength(1);

    // A change then quiet: published after 100 ms, not before.
    const first = web([{ address: '10.0.0.1' }]);
    sink.upsertService(first.service, first.instances);
    jest.advanceTimersByTime(99);
    expect(seen).toHaveLength(1);
    jest.advanceTimersByTime(1);
    expect(seen).toHaveLength(2);

    // Changes every 50 ms forever: published at the 1 s ceiling, coalesced into one snapshot.
    for (let i = 0; i < 19; i += 1) {
      const { service, instances } = web([{ address: `10.0.1.${i + 1}` }]);
      sink.upsertService(service, instances);
      jest.advanceTimersByTime(50);
    }
    expect(seen).toHaveLength(2);
    const { service, instances } = web([{ address: '10.0.1.99' }]);
    sink.upsertService(service, instances);
    jest.advanceTimersByTime(50);
    expect(seen).toHaveLength(3);
    expect(seen[2]?.services.get('web.example')?.instances[0]?.address).toBe('10.0.1.99');
    registry.close();
  });

  it('derives versions from content: same state, same version, whatever the order it arrived in', () => {
    const a = new Registry({ adapters: ['k8s', 'consul'] });
    const b = new Registry({ adapters: ['k8s', 'consul'] });
    const one = web([
      { address: '10.0.0.1', version: 'v1' },
      { address: '10.0.0.2', version: 'v2' },
    ]);
    const api = { hostname: 'api.example', ports: [{ name: 'grpc', port: 9090, protocol: 'grpc' as const }] };

    a.sink('k8s').upsertService(one.service, one.instances);
    a.sink('k8s').upsertService(api, [{ address: '10.0.2.1', port: 9090, portName: 'grpc' }]);
    a.sink('consul').setStatus('ready');
    a.sink('k8s').setStatus('ready');

    b.sink('k8s').upsertService(api, [{ address: '10.0.2.1', port: 9090, portName: 'grpc' }]);
    b.sink('k8s').upsertService(one.service, [...one.instances].reverse());
    b.sink('k8s').setStatus('ready');
    b.sink('consul').setStatus('ready');

    expect(a.current()?.version).toBe(b.current()?.version);
    // A golden value: the version is a function of content alone, so any process computes this string.
    expect(a.current()?.version).toBe('91dd5ec0f86d73d3');

    b.sink('k8s').removeService('api.example');
    b.flush();
    expect(b.current()?.version).not.toBe(a.current()?.version);
    a.close();
    b.close();
  });

  it('publishes nothing for a report that changes nothing', () => {
    const registry = new Registry({ adapters: ['a'] });
    const seen = collect(registry);
    const sink = registry.sink('a');
    const { service, instances } = web([{ address: '10.0.0.1' }, { address: '10.0.0.2' }]);
    sink.upsertService(service, instances);
    sink.setStatus('ready');
    sink.upsertService(service, [...instances].reverse());
    sink.replaceAll({
      services: [service],
      instances: instances.map((i) => ({ ...i, hostname: service.hostname })),
    });
    registry.flush();
    expect(seen).toHaveLength(1);
    registry.close();
  });

  it('lists only the services that changed, and reuses unchanged entries', () => {
    const registry = new Registry({ adapters: ['a'] });
    const seen = collect(registry);
    const sink = registry.sink('a');
    const api = { hostname: 'api.example', ports: [{ name: 'grpc', port: 9090, protocol: 'grpc' as const }] };
    const first = web([{ address: '10.0.0.1' }]);
    sink.upsertService(first.service, first.instances);
    sink.upsertService(api, []);
    sink.setStatus('ready');
    const second = web([{ address: '10.0.0.1' }, { address: '10.0.0.3' }]);
    sink.upsertService(second.service, second.instances);
    registry.flush();
    expect([...(seen[1]?.changed ?? [])]).toEqual(['web.example']);
    expect(seen[1]?.services.get('api.example')).toBe(seen[0]?.services.get('api.example'));
    sink.removeService('api.example');
    registry.flush();
    expect([...(seen[2]?.changed ?? [])]).toEqual(['api.example']);
    expect(seen[0]?.previousVersion).toBeUndefined();
    expect(seen[2]?.previousVersion).toBe(seen[1]?.version);
    expect(seen[2]?.services.has('api.example')).toBe(false);
    registry.close();
  });

  it('merges a hostname across adapters: attributes from the first listed, instances from all, conflict recorded', () => {
    const registry = new Registry({ adapters: ['k8s', 'consul'] });
    const k8s = registry.sink('k8s');
    const consul = registry.sink('consul');
    k8s.upsertService(
      {
        hostname: 'web.example',
        ports: [{ name: 'http', port: 80, protocol: 'http' }],
        labels: { team: 'a' },
      },
      [{ address: '10.0.0.1', port: 8080, portName: 'http' }],
    );
    consul.upsertService(
      {
        hostname: 'web.example',
        ports: [{ name: 'http', port: 80, protocol: 'http' }],
        labels: { team: 'b' },
      },
      [
        { address: '10.0.0.2', port: 8080, portName: 'http' },
        { address: '10.0.0.1', port: 8080, portName: 'http' },
      ],
    );
    k8s.setStatus('ready');
    consul.setStatus('ready');
    const entry = registry.current()?.services.get('web.example');
    expect(entry?.service.labels).toEqual({ team: 'a' });
    expect(entry?.service.origin).toBe('k8s');
    expect(entry?.instances.map((i) => `${i.address}@${i.origin}`)).toEqual([
      '10.0.0.1@k8s',
      '10.0.0.2@consul',
    ]);
    expect(registry.conflicts()).toEqual([
      {
        hostname: 'web.example',
        winner: 'k8s',
        differences: [{ adapter: 'consul', fields: ['labels'] }],
        duplicateInstances: 1,
      },
    ]);

    // The second adapter dropping the service leaves the first's, and clears the conflict.
    consul.removeService('web.example');
    registry.flush();
    expect(registry.current()?.services.get('web.example')?.instances).toHaveLength(1);
    expect(registry.conflicts()).toEqual([]);
    registry.close();
  });

  it("keeps a degraded adapter's last state, with its status, detail and age", () => {
    let now = 1_000_000;
    const registry = new Registry({ adapters: ['a'], now: () => now });
    const sink = registry.sink('a');
    const { service, instances } = web([{ address: '10.0.0.1' }]);
    sink.upsertService(service, instances);
    sink.setStatus('ready');
    const version = registry.current()?.version;

    now += 30_000;
    sink.setStatus('degraded', 'connection refused');
    registry.flush();
    expect(registry.current()?.version).toBe(version);
    expect(registry.current()?.services.get('web.example')?.instances).toHaveLength(1);
    const [status] = registry.adapterStatuses();
    expect(status).toMatchObject({
      name: 'a',
      status: 'degraded',
      detail: 'connection refused',
      synced: true,
    });
    expect(status?.statusSince).toBe(now);
    expect(now - (status?.lastReportAt ?? 0)).toBe(30_000);
    expect(registry.isSynced()).toBe(true);
    registry.close();
  });

  it('rejects what a renderer could not use, keeps the rest, and counts it', () => {
    const registry = new Registry({ adapters: ['a'] });
    const sink = registry.sink('a');
    sink.upsertService({ hostname: 'web.example', ports: [{ name: 'http', port: 80, protocol: 'http' }] }, [
      { address: '10.0.0.1', port: 8080, portName: 'http' },
      { address: 'not-an-ip', port: 8080, portName: 'http' },
      { address: '10.0.0.2', port: 70000, portName: 'http' },
      { address: '10.0.0.3', port: 8080, portName: 'grpc' },
      { address: '10.0.0.4', port: 8080, portName: 'http', weight: 0 },
      { address: '10.0.0.5', port: 8080, portName: 'http', weight: 1e308 },
    ]);
    sink.upsertService({ hostname: 'bad host', ports: [] }, []);
    sink.setStatus('ready');
    expect(
      registry
        .current()
        ?.services.get('web.example')
        ?.instances.map((i) => i.address),
    ).toEqual(['10.0.0.1']);
    expect(registry.current()?.services.has('bad host')).toBe(false);
    const [status] = registry.adapterStatuses();
    expect(status?.rejected).toBe(6);
    const rejections = status?.recentRejections.map((r) => r.message).join('\n');
    expect(rejections).toMatch(/not-an-ip.*not an IP literal/);
    expect(rejections).toContain('instance 10.0.0.5:8080: weight must be an integer from 1 to 65535');
    registry.close();
  });

  it('warns about a rejected input once per distinct problem, not at every report that repeats it', () => {
    const warnings: string[] = [];
    const logger = {
      trace: () => undefined,
      debug: () => undefined,
      info: () => undefined,
      error: () => undefined,
      warn: (fields: object | string, message?: string) => {
        warnings.push(`${JSON.stringify(fields)} ${message ?? ''}`);
      },
      child: () => logger,
    };
    const registry = new Registry({ adapters: ['a'], logger });
    const sink = registry.sink('a');
    const service = {
      hostname: 'web.example',
      ports: [{ name: 'http', port: 80, protocol: 'http' as const }],
    };
    // An adapter waking up three times with the same bad instance, then a second bad one.
    for (let i = 0; i < 3; i += 1)
      sink.upsertService(service, [{ address: 'not-an-ip', port: 8080, portName: 'http' }]);
    sink.upsertService(service, [
      { address: 'not-an-ip', port: 8080, portName: 'http' },
      { address: '10.0.0.9', port: 8080, portName: 'grpc' },
    ]);
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(/"adapter":"a".*not-an-ip/);
    expect(warnings[1]).toMatch(/grpc/);
    expect(registry.adapterStatuses()[0]?.rejected).toBe(5);
    registry.close();
  });

  it('stamps each snapshot with when its earliest change arrived and how long it took to build', () => {
    jest.useFakeTimers({ now: 1_000_000 });
    const registry = new Registry({ adapters: ['a'], debounce: { afterMs: 100, maxMs: 1000 } });
    const seen = collect(registry);
    const sink = registry.sink('a');
    ready(sink, { services: [], instances: [] });
    const first = web([{ address: '10.0.0.1' }]);
    sink.upsertService(first.service, first.instances);
    jest.advanceTimersByTime(60);
    const second = web([{ address: '10.0.0.2' }]);
    sink.upsertService(second.service, second.instances);
    jest.advanceTimersByTime(100);
    expect(seen).toHaveLength(2);
    expect(seen[1]?.changedSince).toBe(1_000_000);
    expect(seen[1]?.createdAt).toBe(1_000_160);
    expect(seen[1]?.buildMs).toBeGreaterThanOrEqual(0);
    // The next change starts its own wait.
    const third = web([{ address: '10.0.0.3' }]);
    sink.upsertService(third.service, third.instances);
    jest.advanceTimersByTime(100);
    expect(seen[2]?.changedSince).toBe(1_000_160);
    registry.close();
  });

  it('shares equal labels and localities across the instances of one report, and copies the input', () => {
    const registry = new Registry({ adapters: ['a'] });
    const hosts = ['a.example', 'b.example'];
    const labels = () => ({ version: 'v1', team: 'web' });
    ready(registry.sink('a'), {
      services: hosts.map((hostname) => ({
        hostname,
        ports: [{ name: 'http', port: 80, protocol: 'http' }],
      })),
      instances: hosts.flatMap((hostname) =>
        ['10.0.0.1', '10.0.0.2'].map((address) => ({
          hostname,
          address,
          port: 8080,
          portName: 'http',
          labels: labels(),
          locality: { region: 'r1', zone: 'z1' },
        })),
      ),
    });
    const instances = [...(registry.current()?.services.values() ?? [])].flatMap((entry) => entry.instances);
    expect(instances).toHaveLength(4);
    for (const instance of instances) {
      expect(instance.labels).toBe(instances[0]?.labels);
      expect(instance.locality).toBe(instances[0]?.locality);
    }
    expect(instances[0]?.labels).toEqual(labels());
    expect(instances[0]?.locality).toEqual({ region: 'r1', zone: 'z1' });

    // Labels of other content, or written with something to drop, are not shared with them.
    const sink = registry.sink('a');
    sink.upsertService({ hostname: 'a.example', ports: [{ name: 'http', port: 80, protocol: 'http' }] }, [
      { address: '10.0.0.1', port: 8080, portName: 'http', labels: { version: 'v2' } },
      {
        address: '10.0.0.2',
        port: 8080,
        portName: 'http',
        labels: { version: 'v2', bad: 1 } as unknown as Labels,
      },
    ]);
    registry.flush();
    const [v2, dropped] = registry.current()?.services.get('a.example')?.instances ?? [];
    expect(v2?.labels).toEqual({ version: 'v2' });
    expect(dropped?.labels).toEqual({ version: 'v2' });
    expect(dropped?.labels).not.toBe(v2?.labels);
    registry.close();
  });

  it('fills defaults and stamps the origin', () => {
    const registry = new Registry({ adapters: ['files'] });
    const sink = registry.sink('files');
    sink.upsertService({ hostname: 'web.example', ports: [{ name: 'http', port: 80, protocol: 'http' }] }, [
      { address: '10.0.0.1', port: 8080, portName: 'http' },
    ]);
    sink.setStatus('ready');
    const entry = registry.current()?.services.get('web.example');
    expect(entry?.service).toEqual({
      hostname: 'web.example',
      ports: [{ name: 'http', port: 80, protocol: 'http' }],
      labels: {},
      addresses: [],
      origin: 'files',
    });
    expect(entry?.instances[0]).toEqual({
      hostname: 'web.example',
      address: '10.0.0.1',
      port: 8080,
      portName: 'http',
      labels: {},
      locality: {},
      weight: 1,
      health: 'healthy',
      origin: 'files',
    });
    registry.close();
  });

  it('ignores reports after close and refuses unknown adapters', () => {
    const registry = new Registry({ adapters: ['a'] });
    expect(() => registry.sink('nope')).toThrow('no adapter named "nope"');
    registry.close();
    const sink = registry.sink('a');
    sink.setStatus('ready');
    expect(registry.current()).toBeUndefined();
  });
});
