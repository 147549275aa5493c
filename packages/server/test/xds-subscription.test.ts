import { Subscription } from '../src/xds/subscription';

describe('Subscription (what a client asked for, per stream and type)', () => {
  describe('state of the world', () => {
    it('takes an empty first list as the legacy wildcard, for listeners and clusters only', () => {
      expect(Subscription.sotw([], true).isWildcard()).toBe(true);
      expect(Subscription.sotw([], false).isWildcard()).toBe(false);
      expect(Subscription.sotw(['*'], false).isWildcard()).toBe(true);
    });

    it('keeps a legacy wildcard through empty lists, and ends it at the first list of names', () => {
      const s = Subscription.sotw([], true);
      expect(s.setNames([])).toEqual({ added: [], removed: [], wildcardChanged: false });
      expect(s.isWildcard()).toBe(true);
      expect(s.setNames(['a'])).toEqual({ added: ['a'], removed: [], wildcardChanged: true });
      expect(s.isWildcard()).toBe(false);
      // No way back to the legacy form: an empty list now means nothing.
      expect(s.setNames([])).toEqual({ added: [], removed: ['a'], wildcardChanged: false });
      expect(s.isWildcard()).toBe(false);
    });

    it('replaces the names with each request, `*` keeping the wildcard beside them', () => {
      const s = Subscription.sotw(['a', 'b'], true);
      expect(s.setNames(['b', 'c', '*'])).toEqual({ added: ['c'], removed: ['a'], wildcardChanged: true });
      expect([...s.resourceNames()].sort()).toEqual(['b', 'c']);
      expect(s.wants('zzz')).toBe(true);
      expect(s.setNames(['c'])).toEqual({ added: [], removed: ['b'], wildcardChanged: true });
      expect(s.wants('zzz')).toBe(false);
    });
  });

  describe('incremental', () => {
    it('takes an empty first subscribe as the legacy wildcard, which names added later do not end', () => {
      const s = Subscription.delta([], [], true);
      expect(s.isWildcard()).toBe(true);
      expect(s.update(['a'], [])).toEqual({ added: ['a'], removed: [], wildcardChanged: false });
      expect(s.isWildcard()).toBe(true);
      expect(s.update([], ['*'])).toEqual({ added: [], removed: [], wildcardChanged: true });
      expect(s.isWildcard()).toBe(false);
      expect(s.wants('a')).toBe(true);
    });

    it('applies subscribes and unsubscribes, ignoring repeats', () => {
      const s = Subscription.delta(['a', 'b'], [], true);
      expect(s.isWildcard()).toBe(false);
      expect(s.update(['b', 'c'], ['a', 'x'])).toEqual({
        added: ['c'],
        removed: ['a'],
        wildcardChanged: false,
      });
      expect([...s.resourceNames()].sort()).toEqual(['b', 'c']);
    });
  });

  it('has a digest equal for equal subscriptions, whatever the order names came in', () => {
    const a = Subscription.sotw(['x', 'y'], false);
    const b = Subscription.delta(['y'], [], false);
    b.update(['x'], []);
    expect(a.digest()).toBe(b.digest());
    b.update(['*'], []);
    expect(a.digest()).not.toBe(b.digest());
    b.update([], ['*', 'y']);
    expect(Subscription.sotw(['x'], false).digest()).toBe(b.digest());
  });
});
