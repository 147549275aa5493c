import { Registry, type Snapshot } from '@sextant/core';
import { httpEntriesOnPort, httpPorts, instancesAt, sortedEntries, tcpEntriesWithVip } from '../src';

/** A snapshot with the same content but no predecessor: its index is built from scratch. */
function fresh(snapshot: Snapshot): Snapshot {
  return { ...snapshot, previousVersion: undefined, services: new Map(snapshot.services) };
}

function view(snapshot: Snapshot, addresses: string[]) {
  return {
    entries: sortedEntries(snapshot).map((e) => e.version),
    ports: httpPorts(snapshot).map((port) => [
      port,
      httpEntriesOnPort(snapshot, port).map((e) => e.service.hostname),
    ]),
    tcp: tcpEntriesWithVip(snapshot).map((e) => e.service.hostname),
    at: addresses.map((a) => instancesAt(snapshot, a).map((i) => `${i.hostname}:${i.port}`)),
  };
}

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
      expect(view(snapshot, addresses)).toEqual(view(fresh(snapshot), addresses));
    }
    registry.close();
  });

  it('keeps an answer given for an earlier snapshot unchanged by later ones', () => {
    const registry = new Registry({ adapters: ['a'] });
    const sink = registry.sink('a');
    sink.upsertService({ hostname: 'a.example', ports: [{ name: 'http', port: 80, protocol: 'http' }] }, []);
    sink.setStatus('ready');
    const first = registry.current() as Snapshot;
    const before = sortedEntries(first);
    const beforeOn80 = httpEntriesOnPort(first, 80);
    sink.upsertService({ hostname: 'b.example', ports: [{ name: 'http', port: 80, protocol: 'http' }] }, []);
    registry.flush();
    const second = registry.current() as Snapshot;
    expect(sortedEntries(second).map((e) => e.service.hostname)).toEqual(['a.example', 'b.example']);
    expect(before.map((e) => e.service.hostname)).toEqual(['a.example']);
    expect(beforeOn80.map((e) => e.service.hostname)).toEqual(['a.example']);
    // And the earlier snapshot, asked again, is still indexed as it was.
    expect(sortedEntries(first).map((e) => e.service.hostname)).toEqual(['a.example']);
    registry.close();
  });
});
