import { Registry, RuleStoreConflict, RuleStoreUnavailable, type RuleResource } from '@sextant/core';
import { waitFor } from '@sextant/testkit';
import { FakeConsul } from '@sextant/testkit/consul';
import { ConsulAdapter } from '../src';
import { runAdapter, type RunningAdapter } from './support/run-adapter';

const PREFIX = 'sextant/rules/';

function virtualService(name: string, subset: string): string {
  return [
    'apiVersion: networking.istio.io/v1',
    'kind: VirtualService',
    'metadata:',
    `  name: ${name}`,
    'spec:',
    `  hosts: [${name}.service.dc1.consul]`,
    '  http:',
    `  - route: [{ destination: { host: ${name}.service.dc1.consul, subset: ${subset} } }]`,
    '',
  ].join('\n');
}

/** The KV rules last reported, as `source kind name subset`. */
function kvRules(a: RunningAdapter): string[] {
  return a.sink.rules.map((rule: RuleResource) => {
    const spec = rule.spec as { http: { route: { destination: { subset: string } }[] }[] };
    return `${rule.source} ${rule.kind} ${rule.metadata.name} ${spec.http[0]?.route[0]?.destination.subset}`;
  });
}

describe('consul adapter: traffic rules under a KV prefix (rules.kvPrefix)', () => {
  let fake: FakeConsul;
  let running: RunningAdapter[] = [];
  beforeEach(async () => {
    fake = await FakeConsul.start();
  });
  afterEach(async () => {
    await Promise.all(running.map((a) => a.stop()));
    running = [];
    await fake.close();
  });
  const start = (...args: Parameters<typeof runAdapter>) => {
    const adapter = runAdapter(...args);
    running.push(adapter);
    return adapter;
  };
  const ready = (a: RunningAdapter) =>
    waitFor(() => a.sink.status === 'ready', {
      message: () => `ready (now ${a.sink.status}: ${a.sink.detail})`,
    });

  it('reports every key under the prefix as rules located at consul-kv:<key>, with the first sync, and follows changes and deletions', async () => {
    fake.putKv(`${PREFIX}default/VirtualService/reviews`, virtualService('reviews', 'v1'));
    fake.putKv(`${PREFIX}folder/`, '');
    fake.putKv('elsewhere/x', virtualService('elsewhere', 'v1'));
    const a = start({ address: fake.url, wait: '5s', rules: { kvPrefix: 'sextant/rules' } });
    await ready(a);
    // `ready` comes after the first read: the rules are there in the first snapshot.
    const firstReady = a.sink.calls.findIndex((c) => c.method === 'setStatus' && c.status === 'ready');
    const firstRules = a.sink.calls.findIndex((c) => c.method === 'replaceRules');
    expect(firstRules).toBeGreaterThanOrEqual(0);
    expect(firstRules).toBeLessThan(firstReady);
    expect(kvRules(a)).toEqual([
      `consul-kv:${PREFIX}default/VirtualService/reviews VirtualService reviews v1`,
    ]);

    fake.putKv(`${PREFIX}default/VirtualService/reviews`, virtualService('reviews', 'v2'));
    fake.putKv(
      `${PREFIX}default/VirtualService/ratings`,
      JSON.stringify({
        apiVersion: 'networking.istio.io/v1',
        kind: 'VirtualService',
        metadata: { name: 'ratings' },
        spec: {
          hosts: ['ratings.service.dc1.consul'],
          http: [{ route: [{ destination: { host: 'ratings.service.dc1.consul', subset: 'v3' } }] }],
        },
      }),
    );
    await waitFor(() => kvRules(a).length === 2 && kvRules(a).some((r) => r.endsWith('reviews v2')));
    expect(kvRules(a)).toEqual([
      `consul-kv:${PREFIX}default/VirtualService/ratings VirtualService ratings v3`,
      `consul-kv:${PREFIX}default/VirtualService/reviews VirtualService reviews v2`,
    ]);
    fake.deleteKv(`${PREFIX}default/VirtualService/reviews`);
    fake.deleteKv(`${PREFIX}default/VirtualService/ratings`);
    await waitFor(() => kvRules(a).length === 0, { message: 'the deleted rules to go' });
    expect(a.sink.status).toBe('ready');
  });

  it('is ready with no rules when nothing is under the prefix (Consul answers 404)', async () => {
    const a = start({ address: fake.url, wait: '5s', rules: { kvPrefix: PREFIX } });
    await ready(a);
    expect(
      a.sink.calls.some((c) => c.method === 'replaceRules' && c.origin === 'kv' && c.rules.length === 0),
    ).toBe(true);
    expect(fake.requestsTo(`/v1/kv/${PREFIX}`).length).toBeGreaterThan(0);
    // A prefix that fills later is followed by the same watch.
    fake.putKv(`${PREFIX}default/VirtualService/reviews`, virtualService('reviews', 'v1'));
    await waitFor(() => kvRules(a).length === 1);
  });

  it('reads nothing from KV without rules.kvPrefix', async () => {
    fake.putKv(`${PREFIX}default/VirtualService/reviews`, virtualService('reviews', 'v1'));
    const a = start({ address: fake.url, wait: '5s' });
    await ready(a);
    expect(fake.requestsTo('/v1/kv/')).toEqual([]);
    expect(a.sink.rules).toEqual([]);
  });

  it('shows a key that is not YAML as a problem naming consul-kv:<key> on /debug/rules, keeping the other keys and its last good version', async () => {
    const registry = new Registry({ adapters: ['consul'] });
    const reviews = `${PREFIX}default/VirtualService/reviews`;
    const ratings = `${PREFIX}default/VirtualService/ratings`;
    fake.putKv(reviews, virtualService('reviews', 'v1'));
    fake.putKv(ratings, virtualService('ratings', 'v1'));
    const a = start(
      { address: fake.url, wait: '5s', rules: { kvPrefix: PREFIX } },
      { forwardTo: registry.sink('consul') },
    );
    await ready(a);
    fake.putKv(reviews, 'apiVersion: networking.istio.io/v1\nkind: VirtualService\n  metadata: [unclosed\n');
    fake.putKv(ratings, virtualService('ratings', 'v2'));
    await waitFor(() => a.sink.ruleProblems.length > 0 && kvRules(a).some((r) => r.endsWith('ratings v2')));
    expect(kvRules(a)).toEqual([`consul-kv:${ratings} VirtualService ratings v2`]);
    const problems = registry.ruleStatuses().sources.flatMap((s) => s.problems);
    expect(problems.length).toBeGreaterThan(0);
    expect(problems.every((p) => p.file === `consul-kv:${reviews}` && p.severity === 'error')).toBe(true);
    // The registry keeps the broken key's last good version in force, and takes the other key's change.
    const held = registry
      .ruleStatuses()
      .rules.map(
        (r) =>
          `${r.identity.name} ${r.state} ${JSON.stringify(r.resource.spec).match(/"subset":"(\w+)"/)?.[1]}`,
      )
      .sort();
    expect(held).toEqual(['ratings applied v2', 'reviews applied v1']);
    expect(a.logger.records.some((r) => r.msg === 'rules in Consul KV have problems')).toBe(true);
    // Fixed: the problem goes.
    fake.putKv(reviews, virtualService('reviews', 'v3'));
    await waitFor(() => a.sink.ruleProblems.length === 0);
    expect(registry.ruleStatuses().sources.flatMap((s) => s.problems)).toEqual([]);
    registry.close();
  });

  it('keeps the last rules while Consul is down, degraded, and reads them again when it is back', async () => {
    fake.putKv(`${PREFIX}default/VirtualService/reviews`, virtualService('reviews', 'v1'));
    const a = start({ address: fake.url, wait: '5s', rules: { kvPrefix: PREFIX } });
    await ready(a);
    const rulesBefore = a.sink.calls.filter((c) => c.method === 'replaceRules').length;
    fake.faults.injectError({ status: 500 }, { path: '/v1/kv/' });
    await fake.restart(); // drops the held query: the watch asks again, and is refused
    await waitFor(
      () =>
        a.sink.status === 'degraded' &&
        (a.sink.detail ?? '').includes(
          `rules under KV prefix "${PREFIX}": Consul answered 500: No cluster leader`,
        ),
      { message: () => `degraded for the KV refusal (now ${a.sink.detail})` },
    );
    fake.putKv(`${PREFIX}default/VirtualService/reviews`, virtualService('reviews', 'v2'));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(a.sink.calls.filter((c) => c.method === 'replaceRules').length).toBe(rulesBefore);
    expect(kvRules(a)).toEqual([
      `consul-kv:${PREFIX}default/VirtualService/reviews VirtualService reviews v1`,
    ]);
    fake.faults.clear();
    await waitFor(() => a.sink.status === 'ready' && kvRules(a)[0]?.endsWith('reviews v2') === true);
  });

  it('reads again from 0 when the KV index goes backwards (a snapshot restore)', async () => {
    fake.putKv(`${PREFIX}default/VirtualService/reviews`, virtualService('reviews', 'v1'));
    const a = start({ address: fake.url, wait: '1s', rules: { kvPrefix: PREFIX } });
    await ready(a);
    await waitFor(() => fake.heldQueries() > 0);
    // Restored to an older index: the held query answers at the end of its wait with an index
    // below the one it sent.
    fake.rewindIndexes(3);
    fake.putKv(`${PREFIX}default/VirtualService/reviews`, virtualService('reviews', 'v2'));
    await waitFor(() => kvRules(a)[0]?.endsWith('reviews v2') === true, {
      message: 'the change after the reset',
    });
    expect(
      a.logger.records.some(
        (r) =>
          r.msg === 'Consul index went backwards; reading again from 0' && r.fields.watch === `kv ${PREFIX}`,
      ),
    ).toBe(true);
  });

  it('does not loop tightly when Consul answers every KV read at once (index 0): the shared rate limit paces it', async () => {
    fake.putKv(`${PREFIX}default/VirtualService/reviews`, virtualService('reviews', 'v1'));
    const a = start({
      address: fake.url,
      wait: '5s',
      rateLimit: { burst: 3, interval: '1s' },
      rules: { kvPrefix: PREFIX },
    });
    await ready(a);
    const before = fake.requestsTo('/v1/kv/').length;
    fake.faults.zeroIndex({ path: '/v1/kv/' });
    fake.putKv(`${PREFIX}default/VirtualService/reviews`, virtualService('reviews', 'v2'));
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const sent = fake.requestsTo('/v1/kv/').length - before;
    expect(sent).toBeGreaterThanOrEqual(2);
    expect(sent).toBeLessThanOrEqual(6);
    expect(a.sink.status).toBe('ready');
  });
});

describe('consul adapter: the Rules API store in KV (adapter.ruleStore)', () => {
  let fake: FakeConsul;
  beforeEach(async () => {
    fake = await FakeConsul.start();
  });
  afterEach(() => fake.close());

  const context = {
    name: 'consul',
    logger: { trace() {}, debug() {}, info() {}, warn() {}, error() {}, child: () => context.logger },
    baseDir: '/',
    resolvePath: (p: string) => p,
    env: {},
  };
  const resource: RuleResource = {
    apiVersion: 'networking.istio.io/v1',
    kind: 'VirtualService',
    metadata: { name: 'reviews', namespace: 'shop' },
    spec: { hosts: ['reviews'], http: [{ route: [{ destination: { host: 'reviews' } }] }] },
  };
  const identity = { kind: 'VirtualService', namespace: 'shop', name: 'reviews' };

  async function running(options = {}) {
    const adapter = new ConsulAdapter(
      { address: fake.url, wait: '5s', rules: { kvPrefix: PREFIX }, ...options },
      context,
    );
    const controller = new AbortController();
    const sink = {
      replaceAll() {},
      upsertService() {},
      removeService() {},
      replaceRules() {},
      setStatus() {},
    };
    const done = adapter.run(sink, controller.signal);
    const store = adapter.ruleStore;
    if (!store) throw new Error('no rule store');
    return {
      store,
      stop: async () => {
        controller.abort();
        await done;
      },
    };
  }

  it('writes <prefix><namespace>/<kind>/<name> with ?cas, reads it back with a content version, deletes it', async () => {
    const { store, stop } = await running();
    try {
      await waitFor(async () => (await store.get(identity).catch(() => 'down')) !== 'down');
      expect(await store.get(identity)).toBeUndefined();
      const stored = await store.put(resource);
      const key = `${PREFIX}shop/VirtualService/reviews`;
      expect(JSON.parse(fake.kvValue(key) ?? '')).toEqual(resource);
      const put = fake.requests.filter((r) => r.method === 'PUT' && r.path === `/v1/kv/${key}`);
      expect(put.map((r) => r.query.cas)).toEqual(['0']);
      expect(await store.get(identity)).toEqual(stored);
      // A second replica computes the same version from the same content.
      const again = await store.put(resource);
      expect(again.version).toBe(stored.version);
      expect(fake.requests.filter((r) => r.method === 'PUT').at(-1)?.query.cas).not.toBe('0');
      expect(await store.delete(identity)).toBe(true);
      expect(fake.kvValue(key)).toBeUndefined();
      expect(await store.delete(identity)).toBe(false);
    } finally {
      await stop();
    }
  });

  it('refuses a write that raced another writer (RuleStoreConflict), and answers RuleStoreUnavailable without the token when Consul is down', async () => {
    fake.setToken('s3cr3t-token');
    const { store, stop } = await running({ token: 's3cr3t-token' });
    try {
      await waitFor(async () => (await store.get(identity).catch(() => 'down')) !== 'down');
      await store.put(resource);
      // Another writer's PUT lands between this store's read and its compare-and-set.
      const key = `${PREFIX}shop/VirtualService/reviews`;
      const record = fake.requests.push.bind(fake.requests);
      let raced = false;
      fake.requests.push = (...records) => {
        if (!raced && records[0]?.method === 'PUT') {
          raced = true;
          fake.putKv(key, '{}');
        }
        return record(...records);
      };
      const refused = await store.put(resource).catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(RuleStoreConflict);
      expect((refused as Error).message).toContain(`key "${key}" changed while it was written`);
      expect(fake.kvValue(key)).toBe('{}');
      await fake.stop();
      const failure = await store.put(resource).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(RuleStoreUnavailable);
      expect((failure as Error).message).toContain(`Consul KV prefix "${PREFIX}" at ${fake.url}`);
      expect((failure as Error).message).not.toContain('s3cr3t-token');
    } finally {
      await fake.start();
      await stop();
    }
  });
});
