import { Registry, ShardedMap, snapshotVersion, type Snapshot } from '../src';

describe('sharded map', () => {
  it('behaves as a map, and a changed copy shares every shard it did not touch', () => {
    const base = ShardedMap.of(
      Array.from({ length: 1000 }, (_, i) => [`host-${i}`, i] as const),
      16,
    );
    expect(base.size).toBe(1000);
    expect(base.get('host-7')).toBe(7);
    expect(base.has('nope')).toBe(false);
    const next = base.with([
      ['host-7', 70],
      ['host-8', undefined],
      ['new', -1],
    ]);
    expect([next.get('host-7'), next.has('host-8'), next.get('new'), next.size]).toEqual([
      70,
      false,
      -1,
      1000,
    ]);
    // The original is unchanged.
    expect([base.get('host-7'), base.has('host-8'), base.has('new')]).toEqual([7, true, false]);
    const touched = new Set(['host-7', 'host-8', 'new'].map((k) => base.shardOf(k)));
    for (let i = 0; i < 16; i += 1) {
      if (!touched.has(i)) expect(next.shard(i)).toBe(base.shard(i));
    }
    const expected = new Map<string, number>(base);
    expected.set('host-7', 70);
    expected.delete('host-8');
    expected.set('new', -1);
    expect(new Map(next)).toEqual(expected);
    expect(base.with([])).toBe(base);
  });

  it('puts a key in the same shard in every process (FNV-1a)', () => {
    const map = ShardedMap.empty<number>(256);
    expect(['reviews.default.svc.cluster.local', 'a', ''].map((k) => map.shardOf(k))).toEqual([
      map.shardOf('reviews.default.svc.cluster.local'),
      (0xe40c292c >>> 0) % 256,
      (0x811c9dc5 >>> 0) % 256,
    ]);
  });
});

describe('snapshot versions kept up to date per shard', () => {
  it('equal the version computed from scratch after every change', () => {
    const registry = new Registry({ adapters: ['a'] });
    const sink = registry.sink('a');
    sink.setStatus('ready');
    let seed = 7;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    for (let step = 0; step < 200; step += 1) {
      const hostname = `svc-${random(60)}.example`;
      if (random(4) === 0) sink.removeService(hostname);
      else
        sink.upsertService({ hostname, ports: [{ name: 'http', port: 80, protocol: 'http' }] }, [
          { address: `10.0.0.${random(200)}`, port: 8080, portName: 'http' },
        ]);
      registry.flush();
      const snapshot = registry.current() as Snapshot;
      expect(snapshot.version).toBe(snapshotVersion(snapshot.services));
    }
    registry.close();
  });
});
