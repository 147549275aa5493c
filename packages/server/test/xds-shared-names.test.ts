import { ENDPOINT_TYPE, envoyProtos, type DiscoveryRequest, type SnapshotChange } from '@sextant/envoy';
import { namesSpan, RecentNameLists } from '../src/xds/name-lists';
import { SharedNameSets, Subscription } from '../src/xds/subscription';
import { SubscriptionIndex, type Subscriber } from '../src/xds/subscription-index';
import { sotwRequestDecoder, UndecodableRequest } from '../src/xds/wire';

const type = envoyProtos().discoveryRequest;
const encode = (fields: Record<string, unknown>) =>
  Buffer.from(type.encode(type.fromObject(fields)).finish());
/** The message as protobufjs decodes it whole, with the options the server decodes with. */
const whole = (bytes: Buffer) =>
  type.toObject(type.decode(bytes), {
    longs: String,
    enums: String,
    defaults: true,
    arrays: true,
    objects: true,
    oneofs: true,
  });
const NAMES = ['a.ns.svc.cluster.local|http', 'b.ns.svc.cluster.local|http', 'c.ns.svc.cluster.local|grpc'];
const ACK = {
  version_info: '7',
  node: { id: 'sidecar~10.0.0.1~a.ns~ns.svc.cluster.local' },
  resource_names: NAMES,
  type_url: ENDPOINT_TYPE,
  response_nonce: '12',
};

describe('SotW requests: name lists recognised by their bytes and shared', () => {
  it('decodes a request exactly as protobufjs decodes the whole message', () => {
    const decode = sotwRequestDecoder(new RecentNameLists());
    const whole = type.toObject(type.decode(encode(ACK)), {
      defaults: true,
      arrays: true,
      longs: String,
      enums: String,
    });
    for (let round = 0; round < 2; round += 1) {
      const request = decode(encode(ACK)) as DiscoveryRequest;
      expect({ ...request, resource_names: [...request.resource_names] }).toEqual(whole);
    }
  });

  it('gives requests that repeat a list the same frozen array, decoded once', () => {
    const decode = sotwRequestDecoder(new RecentNameLists());
    const first = decode(encode(ACK)) as DiscoveryRequest;
    const second = decode(encode({ ...ACK, response_nonce: '13', node: undefined })) as DiscoveryRequest;
    expect(second.response_nonce).toBe('13');
    expect(second.resource_names).toBe(first.resource_names);
    expect(Object.isFrozen(first.resource_names)).toBe(true);
    const other = decode(encode({ ...ACK, resource_names: NAMES.slice(1) })) as DiscoveryRequest;
    expect(other.resource_names).toEqual(NAMES.slice(1));
  });

  it('decodes names that are not consecutive, and refuses bytes that are not a request, as before', () => {
    const decode = sotwRequestDecoder(new RecentNameLists());
    // Names on both sides of another field: protobuf appends them, in order.
    const split = Buffer.concat([
      encode({ resource_names: ['x'] }),
      encode({ type_url: ENDPOINT_TYPE }),
      encode({ resource_names: ['y'] }),
    ]);
    expect(namesSpan(split)).toBeUndefined();
    expect((decode(split) as DiscoveryRequest).resource_names).toEqual(['x', 'y']);
    // A names field whose length runs past the end.
    const truncated = encode(ACK).subarray(0, 40);
    expect(decode(truncated)).toBeInstanceOf(UndecodableRequest);
    // A names entry with a wire type other than length-delimited: left to protobufjs, as before.
    const odd = Buffer.from([0x18, 0x01]);
    expect(namesSpan(odd)).toBeUndefined();
    expect(decode(odd)).toEqual(whole(odd));
  });

  it('steps over a known list whole, and still sees names that follow it or differ from it', () => {
    const lists = new RecentNameLists();
    const decode = sotwRequestDecoder(lists);
    const first = decode(encode(ACK)) as DiscoveryRequest;
    const bytes = encode(ACK);
    const at = bytes.indexOf(Buffer.from(NAMES[0] as string)) - 2;
    const span = namesSpan(bytes) as { start: number; end: number };
    expect(lists.lengthAt(bytes, at)).toBe(span.end - span.start);
    expect(namesSpan(bytes, (from) => lists.lengthAt(bytes, from))).toEqual(span);
    expect((decode(bytes) as DiscoveryRequest).resource_names).toBe(first.resource_names);
    // The known list followed by one more name: a longer list, decoded as such.
    const longer = [...NAMES, 'd.ns.svc.cluster.local|http'];
    const extended = decode(encode({ ...ACK, resource_names: longer })) as DiscoveryRequest;
    expect(extended.resource_names).toEqual(longer);
    // The known list with a different last name: not it.
    const changed = [...NAMES.slice(0, 2), 'c.ns.svc.cluster.local|http2'];
    expect((decode(encode({ ...ACK, resource_names: changed })) as DiscoveryRequest).resource_names).toEqual(
      changed,
    );
    // Only a prefix of the known list.
    expect(
      (decode(encode({ ...ACK, resource_names: NAMES.slice(0, 2) })) as DiscoveryRequest).resource_names,
    ).toEqual(NAMES.slice(0, 2));
    expect(lists.lengthAt(Buffer.from([0x1a, 0x01]), 0)).toBe(0);
  });

  it('keeps a bounded number of lists, the most recently used', () => {
    const lists = new RecentNameLists(2, 1024);
    const bytes = (n: number) => Buffer.from([n]);
    const a = lists.remember(bytes(1), ['a']);
    lists.remember(bytes(2), ['b']);
    expect(lists.find(bytes(1))).toBe(a); // now the most recent
    lists.remember(bytes(3), ['c']);
    expect(lists.find(bytes(2))).toBeUndefined();
    expect(lists.find(bytes(1))).toBe(a);
    expect(lists.remember(Buffer.alloc(2048), ['big'])).toEqual(['big']);
    expect(lists.find(Buffer.alloc(2048))).toBeUndefined();
  });
});

describe('Subscriptions that sent the same list share one name set', () => {
  it('shares the set and its digest, and gives each its own when one changes', () => {
    const sets = new SharedNameSets();
    const list = Object.freeze([...NAMES]);
    const a = Subscription.sotw(list, false, sets);
    const b = Subscription.sotw(list, false, sets);
    expect(a.names()).toBe(b.names());
    expect(a.digest()).toBe(b.digest());
    expect(b.setNames(Object.freeze(NAMES.slice(1)))).toEqual({
      added: [],
      removed: [NAMES[0]],
      wildcardChanged: false,
    });
    expect(a.resourceNames().size).toBe(3);
    expect(b.resourceNames().size).toBe(2);
    expect(a.digest()).not.toBe(b.digest());
  });

  it('has a digest equal for equal subscriptions, whatever the order names came in', () => {
    const a = Subscription.sotw(['x', 'y'], false);
    const b = Subscription.delta(['y'], [], false);
    b.update(['x'], []);
    expect(a.digest()).toBe(b.digest());
    b.update(['*'], []);
    expect(a.digest()).not.toBe(b.digest());
  });

  it('indexes streams by shared set: a change reaches every holder, and only while it holds it', () => {
    const sets = new SharedNameSets();
    const list = Object.freeze([...NAMES]);
    const index = new SubscriptionIndex<Subscriber>();
    const subscriber = (names: readonly string[]): Subscriber => ({
      typeUrl: ENDPOINT_TYPE,
      subscription: Subscription.sotw(names, false, sets),
    });
    const [a, b, c] = [
      subscriber(list),
      subscriber(list),
      subscriber(Object.freeze(['d.ns.svc.cluster.local|http'])),
    ];
    for (const s of [a, b, c]) index.update(s);
    const change = (host: string) => ({
      everything: false,
      dependencies: new Set([`host:${host}`]) as SnapshotChange['dependencies'],
      addresses: new Set<string>(),
    });
    expect([...index.concerned(change('a.ns.svc.cluster.local'))]).toEqual([a, b]);
    expect([...index.concerned(change('d.ns.svc.cluster.local'))]).toEqual([c]);
    // b moves off a: it leaves the shared set; a still holds it.
    b.subscription.setNames(Object.freeze(['d.ns.svc.cluster.local|http']));
    index.update(b);
    expect([...index.concerned(change('a.ns.svc.cluster.local'))]).toEqual([a]);
    expect(new Set(index.concerned(change('d.ns.svc.cluster.local')))).toEqual(new Set([b, c]));
    index.remove(a);
    expect([...index.concerned(change('a.ns.svc.cluster.local'))]).toEqual([]);
    expect(index.size).toBe(2);
  });

  it('keeps every holder of a dependency as sets sharing it come and go', () => {
    const sets = new SharedNameSets();
    const index = new SubscriptionIndex<Subscriber>();
    const host = 'shared.ns.svc.cluster.local';
    // Three different name sets, each naming the shared host (and one name of its own).
    const [a, b, c] = ['a', 'b', 'c'].map((own): Subscriber => ({
      typeUrl: ENDPOINT_TYPE,
      subscription: Subscription.sotw(
        Object.freeze([`${host}|http`, `${own}.ns.svc.cluster.local|http`]),
        false,
        sets,
      ),
    })) as [Subscriber, Subscriber, Subscriber];
    const concerned = () =>
      new Set(
        index.concerned({
          everything: false,
          dependencies: new Set([`host:${host}`]) as SnapshotChange['dependencies'],
          addresses: new Set<string>(),
        }),
      );
    index.update(a);
    expect(concerned()).toEqual(new Set([a]));
    index.update(b);
    index.update(c);
    expect(concerned()).toEqual(new Set([a, b, c]));
    index.remove(b);
    expect(concerned()).toEqual(new Set([a, c]));
    index.remove(a);
    expect(concerned()).toEqual(new Set([c]));
    index.update(a);
    expect(concerned()).toEqual(new Set([a, c]));
    index.remove(c);
    index.remove(a);
    expect(concerned()).toEqual(new Set());
    expect(index.size).toBe(0);
  });

  it('follows a delta subscription changed in place by the names that came and went', () => {
    const index = new SubscriptionIndex<Subscriber>();
    const key = (host: string, port = 'http') => `${host}.ns.svc.cluster.local|${port}`;
    const concerned = (host: string) =>
      new Set(
        index.concerned({
          everything: false,
          dependencies: new Set([`host:${host}.ns.svc.cluster.local`]) as SnapshotChange['dependencies'],
          addresses: new Set<string>(),
        }),
      );
    const a: Subscriber = {
      typeUrl: ENDPOINT_TYPE,
      subscription: Subscription.delta([key('x'), key('x', 'grpc')], [], false),
    };
    const b: Subscriber = { typeUrl: ENDPOINT_TYPE, subscription: Subscription.delta([key('y')], [], false) };
    index.update(a);
    index.update(b);
    const set = a.subscription.names();
    const digest = a.subscription.digest();
    const change = (s: Subscriber, subscribe: string[], unsubscribe: string[]) => {
      const { added, removed } = s.subscription.update(subscribe, unsubscribe);
      index.namesChanged(s, added, removed);
    };

    // One of x's two names goes: x still concerns a.
    change(a, [], [key('x')]);
    expect(concerned('x')).toEqual(new Set([a]));
    // The other goes and y comes: y concerns both, x neither.
    change(a, [key('y')], [key('x', 'grpc')]);
    expect(concerned('x')).toEqual(new Set());
    expect(concerned('y')).toEqual(new Set([a, b]));
    // Changed in place, its digest computed again: that of a set of the same names.
    expect(a.subscription.names()).toBe(set);
    expect(a.subscription.digest()).not.toBe(digest);
    expect(a.subscription.digest()).toBe(b.subscription.digest());
    change(b, [], [key('y')]);
    expect(concerned('y')).toEqual(new Set([a]));
    change(a, [], [key('y')]);
    expect(concerned('y')).toEqual(new Set());
    // Names again after none: filed again.
    change(a, [key('x')], []);
    expect(concerned('x')).toEqual(new Set([a]));
    expect(index.size).toBe(2);
  });
});
