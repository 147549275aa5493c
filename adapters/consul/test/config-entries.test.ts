import type { RuleResource } from '@sextant/core';
import { waitFor } from '@sextant/testkit';
import { FakeConsul } from '@sextant/testkit/consul';
import { runAdapter, type RunningAdapter } from './support/run-adapter';

const WEB = 'web.service.dc1.consul';

const RESOLVER = {
  Kind: 'service-resolver',
  Name: 'web',
  DefaultSubset: 'v1',
  Subsets: {
    v1: { Filter: 'Service.Meta.version == "v1"' },
    v2: { Filter: '"canary" in Service.Tags' },
  },
};
const SPLITTER = {
  Kind: 'service-splitter',
  Name: 'web',
  Splits: [
    { Weight: 90, ServiceSubset: 'v1' },
    { Weight: 10, ServiceSubset: 'v2' },
  ],
};

function ruleOf(rules: readonly RuleResource[], kind: string): RuleResource | undefined {
  return rules.find((r) => r.kind === kind && r.metadata.name === 'web');
}

/** The VirtualService's catch-all route, as `host/subset weight`. */
function catchAll(rules: readonly RuleResource[]): string[] {
  const spec = ruleOf(rules, 'VirtualService')?.spec as
    | {
        http: {
          match?: unknown;
          route: { destination: { host: string; subset?: string }; weight?: number }[];
        }[];
      }
    | undefined;
  const last = spec?.http.at(-1);
  return (last?.route ?? []).map(
    (r) => `${r.destination.host}/${r.destination.subset ?? ''} ${r.weight ?? 'all'}`,
  );
}

describe('consul adapter: config entries as traffic rules (rules.configEntries)', () => {
  let fake: FakeConsul;
  let running: RunningAdapter[] = [];
  beforeEach(async () => {
    fake = await FakeConsul.start();
    fake.addInstance({ service: 'web', address: '10.0.0.1', port: 80, meta: { version: 'v1' } });
    fake.addInstance({ service: 'web', address: '10.0.0.2', port: 80, tags: ['canary'] });
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
  const rulesReports = (a: RunningAdapter) => a.sink.calls.filter((c) => c.method === 'replaceRules');

  it('reads nothing of /v1/config unless asked to', async () => {
    fake.setConfigEntry(RESOLVER);
    const a = start({ address: fake.url, wait: '2s' });
    await waitFor(() => a.sink.status === 'ready');
    expect(fake.requestsTo('/v1/config')).toEqual([]);
    expect(rulesReports(a)).toEqual([]);
  });

  it('entries created, changed and deleted are reported as the config-entries rules', async () => {
    const a = start({ address: fake.url, wait: '5s', rules: { configEntries: true } });
    await waitFor(() => rulesReports(a).length > 0);
    expect(rulesReports(a)[0]).toMatchObject({ origin: 'config-entries', rules: [] });

    fake.setConfigEntry(RESOLVER);
    await waitFor(() => ruleOf(a.sink.rules, 'DestinationRule') !== undefined);
    expect(ruleOf(a.sink.rules, 'DestinationRule')).toEqual({
      apiVersion: 'networking.istio.io/v1',
      kind: 'DestinationRule',
      metadata: { name: 'web', namespace: 'consul-config' },
      spec: {
        host: WEB,
        subsets: [
          { name: 'v1', labels: { version: 'v1' } },
          { name: 'v2', labels: { 'tag.canary': 'true' } },
        ],
      },
      source: 'consul-config:service-resolver/web',
    });
    // The default subset takes what names no subset.
    expect(catchAll(a.sink.rules)).toEqual([`${WEB}/v1 all`]);

    fake.setConfigEntry(SPLITTER);
    await waitFor(() => catchAll(a.sink.rules).length === 2);
    expect(catchAll(a.sink.rules)).toEqual([`${WEB}/v1 9000`, `${WEB}/v2 1000`]);

    fake.setConfigEntry({
      ...SPLITTER,
      Splits: [
        { Weight: 50, ServiceSubset: 'v1' },
        { Weight: 50, ServiceSubset: 'v2' },
      ],
    });
    await waitFor(() => catchAll(a.sink.rules).includes(`${WEB}/v2 5000`));

    fake.deleteConfigEntry('service-splitter', 'web');
    fake.deleteConfigEntry('service-resolver', 'web');
    await waitFor(() => a.sink.rules.length === 0, { message: () => JSON.stringify(a.sink.rules) });
  });

  it('while Consul is down the adapter is degraded and the rules stay; after, changes flow again', async () => {
    fake.setConfigEntry(RESOLVER);
    fake.setConfigEntry(SPLITTER);
    const a = start({ address: fake.url, wait: '2s', rules: { configEntries: true } });
    await waitFor(() => a.sink.status === 'ready' && catchAll(a.sink.rules).length === 2);
    const before = a.sink.rules;
    fake.faults.injectError({ status: 500, body: 'No cluster leader' }, { path: '/v1/config' });
    // A write that changes no rule wakes the held lists: their next reads fail.
    fake.setConfigEntry({ Kind: 'service-defaults', Name: 'other' });
    await waitFor(() => a.sink.status === 'degraded', {
      message: () => `${a.sink.status}: ${a.sink.detail}`,
    });
    const failed = fake.requestsTo('/v1/config').length;
    fake.setConfigEntry({ ...SPLITTER, Splits: [{ Weight: 100, ServiceSubset: 'v2' }] });
    await waitFor(() => fake.requestsTo('/v1/config').length > failed, { message: 'a probe' });
    expect(a.sink.detail).toContain('config entries: GET /v1/config/');
    expect(a.sink.detail).toContain('No cluster leader');
    expect(a.sink.rules).toEqual(before);
    fake.faults.clear();
    await waitFor(() => catchAll(a.sink.rules).join() === `${WEB}/v2 all`, { timeoutMs: 10_000 });
    await waitFor(() => a.sink.status === 'ready');
  });

  it('an index gone backwards (a snapshot restore) makes the lists read again from 0', async () => {
    fake.setConfigEntry(RESOLVER);
    fake.setConfigEntry(SPLITTER);
    const a = start({ address: fake.url, wait: '1s', rules: { configEntries: true } });
    await waitFor(() => catchAll(a.sink.rules).length === 2);
    // The catalog, web's health and the four lists.
    await waitFor(() => fake.heldQueries() >= 6, { message: 'the lists to block' });
    // Back below the index the lists hold on: the write does not wake them; their wait ends,
    // the answer's index is lower than theirs, and they read again from 0.
    fake.rewindIndexes(12);
    fake.setConfigEntry({ ...SPLITTER, Splits: [{ Weight: 100, ServiceSubset: 'v2' }] });
    await waitFor(() => catchAll(a.sink.rules).join() === `${WEB}/v2 all`, { timeoutMs: 10_000 });
    const resets = a.logger.records.filter((r) => r.msg.startsWith('Consul index went backwards'));
    expect(resets.map((r) => r.fields.watch)).toContain('dc1 config service-splitter');
  });

  it('a filter it cannot translate: the status and the log name the entry and the expression; the last good version stays', async () => {
    fake.setConfigEntry(RESOLVER);
    const a = start({ address: fake.url, wait: '5s', rules: { configEntries: true } });
    await waitFor(() => ruleOf(a.sink.rules, 'DestinationRule') !== undefined && a.sink.status === 'ready');
    const good = ruleOf(a.sink.rules, 'DestinationRule');
    fake.setConfigEntry({
      ...RESOLVER,
      Subsets: { ...RESOLVER.Subsets, v2: { Filter: 'Service.Meta.version != "v1"' } },
    });
    const expected =
      'consul-config:service-resolver/web Subsets.v2.Filter: cannot translate "Service.Meta.version != "v1"" to a label selector';
    await waitFor(() => a.sink.detail?.includes(expected) === true, { message: () => `${a.sink.detail}` });
    expect(a.sink.status).toBe('ready');
    expect(a.sink.detail).toContain('(entry not applied)');
    expect(ruleOf(a.sink.rules, 'DestinationRule')).toEqual(good);
    expect(a.logger.text()).toContain('Subsets.v2.Filter');

    // Fixed: applied, and the status says nothing more.
    fake.setConfigEntry({ ...RESOLVER, Subsets: { v1: RESOLVER.Subsets.v1 } });
    await waitFor(
      () => (ruleOf(a.sink.rules, 'DestinationRule')?.spec as { subsets: unknown[] }).subsets.length === 1,
    );
    await waitFor(() => a.sink.detail === undefined, { message: () => `${a.sink.detail}` });
  });
});
