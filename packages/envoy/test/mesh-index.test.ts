import { hostnameAliases, Registry, ShardedMap, type Snapshot } from '@sextant/core';
import { MeshIndexes } from '../src';

/** A snapshot with the same content but no predecessor: its index is built from scratch. */
function fresh(snapshot: Snapshot): Snapshot {
  return { ...snapshot, previousVersion: undefined, services: ShardedMap.of(snapshot.services) };
}

function view(indexes: MeshIndexes, snapshot: Snapshot, addresses: string[]) {
  return {
    entries: indexes.sortedEntries(snapshot).map((e) => e.version),
    ports: indexes
      .httpPorts(snapshot)
      .map((port) => [port, indexes.httpEntriesOnPort(snapshot, port).map((e) => e.version)]),
    tcp: indexes.tcpEntriesWithVip(snapshot).map((e) => e.service.hostname),
    at: addresses.map((a) => indexes.instancesAt(snapshot, a).map((i) => `${i.hostname}:${i.port}`)),
    domains: DOMAINS.map((d) => indexes.effectiveDomain(snapshot, d)),
  };
}

const DOMAINS = ['example', 'a.example', 'svc-1.example', 'x.y.z', '', 'deep.svc-3.example'];

describe('mesh index', () => {
  it('advanced change by change, always equals an index built from scratch', () => {
    // A deterministic pseudo-random walk over adds, changes and removals.
    let seed = 42;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const registry = new Registry({ adapters: ['a'] });
    const sink = registry.sink('a');
    sink.setStatus('ready');
    const live = new MeshIndexes();
    const portVersions = new Map<number, string>();
    const addresses = Array.from({ length: 12 }, (_, i) => `10.0.0.${i}`);
    for (let step = 0; step < 300; step += 1) {
      const n = random(25);
      const hostname = `svc-${n}.example`;
      if (random(5) === 0) {
        sink.removeService(hostname);
      } else {
        const protocol = random(3) === 0 ? 'tcp' : 'http';
        sink.upsertService(
          {
            hostname,
            ports: [{ name: 'p', port: 8000 + random(4), protocol }],
            addresses: random(2) === 0 ? [`10.1.0.${n}`] : [],
          },
          Array.from({ length: random(4) }, () => ({
            address: addresses[random(12)] as string,
            port: 9000 + random(3),
            portName: 'p',
          })),
        );
      }
      registry.flush();
      const snapshot = registry.current() as Snapshot;
      expect(view(live, snapshot, addresses)).toEqual(view(new MeshIndexes(), fresh(snapshot), addresses));
      // A port's version moves exactly when the services on it or their shapes do.
      for (const port of [8000, 8001, 8002, 8003]) {
        const shapes = live
          .httpEntriesOnPort(snapshot, port)
          .map((e) => `${e.service.hostname} ${e.shape}`)
          .join(',');
        const previous = portVersions.get(port);
        const version = live.portVersion(snapshot, port);
        if (previous !== undefined && previous.split('\n')[0] === shapes) {
          expect(version).toBe(previous.split('\n')[1]);
        }
        portVersions.set(port, `${shapes}\n${version}`);
      }
    }
    registry.close();
  });

  it('keeps an answer given for an earlier snapshot unchanged by later ones', () => {
    const registry = new Registry({ adapters: ['a'] });
    const sink = registry.sink('a');
    sink.upsertService({ hostname: 'a.example', ports: [{ name: 'http', port: 80, protocol: 'http' }] }, []);
    sink.setStatus('ready');
    const first = registry.current() as Snapshot;
    const indexes = new MeshIndexes();
    const before = indexes.sortedEntries(first);
    const beforeOn80 = indexes.httpEntriesOnPort(first, 80);
    sink.upsertService({ hostname: 'b.example', ports: [{ name: 'http', port: 80, protocol: 'http' }] }, []);
    registry.flush();
    const second = registry.current() as Snapshot;
    expect(indexes.sortedEntries(second).map((e) => e.service.hostname)).toEqual(['a.example', 'b.example']);
    expect(before.map((e) => e.service.hostname)).toEqual(['a.example']);
    expect(beforeOn80.map((e) => e.service.hostname)).toEqual(['a.example']);
    // And the earlier snapshot, asked again, is still indexed as it was.
    expect(indexes.sortedEntries(first).map((e) => e.service.hostname)).toEqual(['a.example']);
    registry.close();
  });

  it('reduces a domain to the part short host names depend on, so aliases are the same seen from either', () => {
    const registry = new Registry({ adapters: ['a'] });
    const sink = registry.sink('a');
    const hosts = [
      'reviews.default.svc.cluster.local',
      'ratings.prod.svc.cluster.local',
      'web.service.dc1.consul',
      'a.b',
      'single',
    ];
    for (const hostname of hosts) {
      sink.upsertService({ hostname, ports: [{ name: 'http', port: 80, protocol: 'http' }] }, []);
    }
    sink.setStatus('ready');
    const snapshot = registry.current() as Snapshot;
    const indexes = new MeshIndexes();
    const domains = [
      'default.svc.cluster.local',
      'other.svc.cluster.local',
      'tenant.example.org',
      'svc.cluster.local',
      'b',
      'x.a.b',
      'reviews.default.svc.cluster.local',
      '',
      'dc1.consul',
      'service.dc2.consul',
    ];
    for (const domain of domains) {
      const effective = indexes.effectiveDomain(snapshot, domain);
      expect(domain === effective || domain.endsWith(`.${effective}`) || effective === '').toBe(true);
      for (const hostname of hosts) {
        expect(hostnameAliases(hostname, effective)).toEqual(hostnameAliases(hostname, domain));
      }
    }
    expect(indexes.effectiveDomain(snapshot, 'tenant.example.org')).toBe('');
    expect(indexes.effectiveDomain(snapshot, 'other.svc.cluster.local')).toBe('svc.cluster.local');
    expect(indexes.effectiveDomain(snapshot, 'default.svc.cluster.local')).toBe('default.svc.cluster.local');
    registry.close();
  });
});
