import { parseProxyIdentity } from '@sextant/core';
import {
  CLUSTER_TYPE,
  ENDPOINT_TYPE,
  LISTENER_TYPE,
  Renderer,
  ROUTE_TYPE,
  type ResourceTypeUrl,
} from '../src';
import { REVIEWS_V1_PROXY, testMesh } from './mesh';

const mesh = testMesh();
const TYPES: readonly ResourceTypeUrl[] = [CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, ROUTE_TYPE];

/** A subscription to exactly these names, as streams and REST polls hand them to the renderer. */
function names(list: readonly string[]) {
  const set = new Set(list);
  return { isWildcard: () => false, resourceNames: () => set, digest: () => [...set].sort().join('\n') };
}

describe('v3 render caches are shared by requesters that get the same resources', () => {
  it('gives proxies with invented ids, IPs and domains the same sets, at no new cache entry', () => {
    const { v3, cache } = new Renderer();
    const requester = (id: string) => ({ proxy: parseProxyIdentity(id), kind: 'ads' as const });
    const first = requester('sidecar~192.168.0.1~x~tenant-0.example.org');
    const sets = TYPES.map((t) => v3.resourceSet(mesh, t, first));
    for (const set of sets) set.wildcard();
    const entries = cache.stats().entries;
    for (let i = 1; i < 500; i += 1) {
      const stranger = requester(`sidecar~192.168.${i >> 8}.${i & 255}~x-${i}~tenant-${i}.example.org`);
      TYPES.forEach((t, n) => expect(v3.resourceSet(mesh, t, stranger)).toBe(sets[n]));
    }
    expect(cache.stats().entries).toBe(entries);
    // A proxy whose own workload lives at its IP does get its own clusters and listeners.
    const own = requester(REVIEWS_V1_PROXY);
    expect(v3.resourceSet(mesh, CLUSTER_TYPE, own)).not.toBe(sets[0]);
  });

  it('renders subsets nobody has without keeping them, or anything built from them', () => {
    const { v3, cache } = new Renderer();
    const requester = { proxy: parseProxyIdentity(REVIEWS_V1_PROXY), kind: 'ads' as const };
    const set = v3.resourceSet(mesh, ENDPOINT_TYPE, requester);
    const real = set.get('reviews.default.svc.cluster.local|http|version=v2');
    expect(real?.transient).toBe(false);
    const before = cache.stats();
    for (let i = 0; i < 200; i += 1) {
      const invented = Array.from(
        { length: 50 },
        (_, j) => `reviews.default.svc.cluster.local|http|version=x${i * 50 + j}`,
      );
      const group = v3.subscribedGroup(set, names(invented));
      expect(group.size).toBe(50);
      expect(group.transient).toBe(true);
      expect(v3.restBody(ENDPOINT_TYPE, group).length).toBeGreaterThan(0);
    }
    expect(cache.stats().entries).toBe(before.entries);
    expect(cache.stats().bytes).toBe(before.bytes);
    // A subscription to real names is cached, its group and body shared by whoever asks alike.
    const subscription = names(['reviews.default.svc.cluster.local|http|version=v2']);
    const group = v3.subscribedGroup(set, subscription);
    expect(v3.subscribedGroup(set, subscription)).toBe(group);
    expect(v3.restBody(ENDPOINT_TYPE, group)).toBe(v3.restBody(ENDPOINT_TYPE, group));
  });

  it('answers a fleet asking a set for the same subscription with one group, from one cache lookup', () => {
    const { v3, cache } = new Renderer();
    const requester = { proxy: parseProxyIdentity(REVIEWS_V1_PROXY), kind: 'ads' as const };
    const set = v3.resourceSet(mesh, ENDPOINT_TYPE, requester);
    const list = ['reviews.default.svc.cluster.local|http', 'ratings.default.svc.cluster.local|http'];
    const group = v3.subscribedGroup(set, names(list));
    const before = cache.stats();
    // Thousands of streams subscribed alike, each with a subscription object of its own.
    for (let i = 0; i < 1000; i += 1) expect(v3.subscribedGroup(set, names([...list].reverse()))).toBe(group);
    expect(cache.stats().hits + cache.stats().misses).toBe(before.hits + before.misses);
    // Another subscription gets its own group; the first one's is still had from the cache.
    const other = v3.subscribedGroup(set, names(list.slice(1)));
    expect(other.size).toBe(1);
    expect(v3.subscribedGroup(set, names(list))).toBe(group);
    // Another snapshot's set is another set.
    const next = v3.resourceSet({ ...mesh, version: `${mesh.version}-next` }, ENDPOINT_TYPE, requester);
    expect(next).not.toBe(set);
    expect(v3.subscribedGroup(next, names(list)).digest).toBe(group.digest);
  });
});
