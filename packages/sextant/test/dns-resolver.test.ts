import { readRuleDocuments, Registry, type Logger, type Snapshot } from '@sextant/core';
import { waitFor } from '@sextant/testkit';
import { DnsResolver, type LookupFunction } from '../src/daemon/dns-resolver';

/**
 * The daemon's resolver of ServiceEntry names, against a real registry, with the lookup function
 * injected (nothing here asks a name server): what it looks up and when, what a failure keeps,
 * what it logs, and its bounds.
 */
function serviceEntry(name: string, addresses: string[]): string {
  return [
    'apiVersion: networking.istio.io/v1',
    'kind: ServiceEntry',
    `metadata: { name: ${name} }`,
    'spec:',
    `  hosts: [${name}.example]`,
    '  ports: [{ number: 80, name: http, protocol: HTTP }]',
    '  resolution: DNS',
    `  endpoints: [${addresses.map((a) => `{ address: ${a} }`).join(', ')}]`,
    '',
  ].join('\n');
}

interface Logged {
  level: 'info' | 'warn';
  message: string;
}

function recordingLogger(into: Logged[]): Logger {
  const noop = () => undefined;
  const logger: Logger = {
    trace: noop,
    debug: noop,
    info: (obj: object | string, msg?: string) =>
      into.push({ level: 'info', message: typeof obj === 'string' ? obj : (msg ?? '') }),
    warn: (obj: object | string, msg?: string) =>
      into.push({ level: 'warn', message: typeof obj === 'string' ? obj : (msg ?? '') }),
    error: noop,
    child: () => logger,
  };
  return logger;
}

/** A lookup function whose answers the test sets per name; it counts lookups and the most at once. */
class FakeDns {
  answers = new Map<string, string[] | Error | 'hang'>();
  readonly calls: string[] = [];
  inFlight = 0;
  maxInFlight = 0;
  private readonly hung: (() => void)[] = [];

  readonly lookup: LookupFunction = async (name) => {
    this.calls.push(name);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      // Every answer arrives later, as a real one does, so lookups overlap.
      await new Promise((resolve) => setTimeout(resolve, 5));
      const answer = this.answers.get(name);
      if (answer === 'hang') await new Promise<void>((resolve) => this.hung.push(resolve));
      if (answer instanceof Error) throw answer;
      if (answer === undefined || answer === 'hang') {
        throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${name}`), { code: 'ENOTFOUND' });
      }
      return answer.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
    } finally {
      this.inFlight--;
    }
  };

  lookupsOf(name: string): number {
    return this.calls.filter((call) => call === name).length;
  }

  releaseHung(): void {
    for (const release of this.hung.splice(0)) release();
  }
}

function setup(options: { refreshMs?: number; timeoutMs?: number; maxNames?: number } = {}) {
  const registry = new Registry({
    adapters: ['a'],
    ruleSources: ['rules.yaml'],
    debounce: { afterMs: 1, maxMs: 5 },
  });
  registry.sink('a').setStatus('ready');
  const rules = registry.ruleSink('rules.yaml');
  const load = (...texts: string[]) =>
    rules.replace(readRuleDocuments(texts.join('---\n'), 'rules.yaml').inputs);
  const fake = new FakeDns();
  const logged: Logged[] = [];
  const resolver = new DnsResolver(
    registry.nameResolution(),
    { refreshMs: options.refreshMs ?? 3_600_000, logger: recordingLogger(logged), ...options },
    fake.lookup,
  );
  let published = 0;
  registry.onSnapshot(() => published++);
  const endpoints = (hostname: string) => {
    registry.flush();
    return (registry.current() as Snapshot).services
      .get(hostname)
      ?.instances.map((i) => i.address)
      .sort();
  };
  const problems = (name: string) =>
    registry
      .ruleStatuses()
      .rules.find((r) => r.identity.name === name)
      ?.problems.map((p) => p.message) ?? [];
  const stop = async () => {
    fake.releaseHung();
    await resolver.stop();
    registry.close();
  };
  return { registry, load, fake, logged, resolver, endpoints, problems, published: () => published, stop };
}

describe('the DNS resolver of ServiceEntry names', () => {
  it('looks a new name up at once, and reports its addresses as the host endpoints', async () => {
    const t = setup();
    try {
      t.fake.answers.set('db-1.internal', ['10.1.0.2', '10.1.0.1']);
      t.resolver.start();
      t.load(serviceEntry('db', ['db-1.internal']));
      await waitFor(() => t.endpoints('db.example')?.length === 2, { message: 'db.example endpoints' });
      expect(t.endpoints('db.example')).toEqual(['10.1.0.1', '10.1.0.2']);
      expect(t.fake.lookupsOf('db-1.internal')).toBe(1);
    } finally {
      await t.stop();
    }
  });

  it('an unresolvable name gives no endpoints and says why on the rule status; a failing known name keeps its addresses', async () => {
    const t = setup({ refreshMs: 20 });
    try {
      t.fake.answers.set('good.internal', ['10.2.0.1']);
      t.load(serviceEntry('mixed', ['good.internal', 'nonexistent.invalid']));
      t.resolver.start();
      await waitFor(() => t.endpoints('mixed.example')?.length === 1, { message: 'the good name resolved' });
      await waitFor(() => t.problems('mixed').some((m) => m.includes('nonexistent.invalid')), {
        message: 'the failure of nonexistent.invalid on the rule status',
      });
      expect(t.problems('mixed')).toEqual([
        'looking up nonexistent.invalid failed (ENOTFOUND): it gives no endpoints until a lookup succeeds',
      ]);

      // The good name starts failing: its last known address stays, and the status says so.
      t.fake.answers.set('good.internal', Object.assign(new Error('timeout'), { code: 'EAI_AGAIN' }));
      await waitFor(() => t.problems('mixed').some((m) => m.includes('good.internal')), {
        message: 'the failure of good.internal on the rule status',
      });
      expect(t.endpoints('mixed.example')).toEqual(['10.2.0.1']);
      expect(t.problems('mixed')).toContain(
        'looking up good.internal failed (EAI_AGAIN): its last known addresses (1) stay in use',
      );

      // Failing again and again logs once per distinct failure.
      const lookups = t.fake.lookupsOf('good.internal');
      await waitFor(() => t.fake.lookupsOf('good.internal') >= lookups + 3, { message: 'more refreshes' });
      const warnings = t.logged.filter((l) => l.level === 'warn').map((l) => l.message);
      expect(warnings.filter((m) => m.includes('good.internal'))).toHaveLength(1);
      expect(warnings.filter((m) => m.includes('nonexistent.invalid'))).toHaveLength(1);

      // It recovers: logged once, the warning goes.
      t.fake.answers.set('good.internal', ['10.2.0.9']);
      await waitFor(() => t.endpoints('mixed.example')?.[0] === '10.2.0.9', { message: 'the new address' });
      expect(t.logged).toContainEqual({ level: 'info', message: 'good.internal resolves again' });
      expect(t.problems('mixed').some((m) => m.includes('good.internal'))).toBe(false);
    } finally {
      await t.stop();
    }
  });

  it('a refresh that finds the same addresses publishes nothing; one that finds new ones does', async () => {
    const t = setup({ refreshMs: 20 });
    try {
      t.fake.answers.set('api.internal', ['10.3.0.1', '10.3.0.2']);
      t.load(serviceEntry('api', ['api.internal']), serviceEntry('other', ['10.9.9.9']));
      t.registry.flush();
      t.resolver.start();
      await waitFor(() => t.endpoints('api.example')?.length === 2, { message: 'api resolved' });
      const count = t.published();
      const other = t.registry.current()?.services.get('other.example');
      // Later answers list the same addresses in another order.
      t.fake.answers.set('api.internal', ['10.3.0.2', '10.3.0.1']);
      const lookups = t.fake.lookupsOf('api.internal');
      await waitFor(() => t.fake.lookupsOf('api.internal') >= lookups + 3, { message: 'three refreshes' });
      t.registry.flush();
      expect(t.published()).toBe(count);

      t.fake.answers.set('api.internal', ['10.3.0.3']);
      await waitFor(() => t.endpoints('api.example')?.[0] === '10.3.0.3', { message: 'the new address' });
      expect(t.published()).toBe(count + 1);
      expect([...(t.registry.current()?.changed ?? [])]).toEqual(['api.example']);
      expect(t.registry.current()?.services.get('other.example')).toBe(other);
    } finally {
      await t.stop();
    }
  });

  it('looks up at most two names at once, and a lookup that hangs times out but keeps its slot', async () => {
    const t = setup({ timeoutMs: 50 });
    try {
      const names = ['n1.internal', 'n2.internal', 'n3.internal', 'n4.internal', 'n5.internal'];
      for (const name of names) t.fake.answers.set(name, ['10.4.0.1']);
      t.load(serviceEntry('many', names));
      t.resolver.start();
      await waitFor(() => names.every((n) => t.fake.lookupsOf(n) === 1), { message: 'every name looked up' });
      expect(t.fake.maxInFlight).toBe(2);

      t.fake.answers.set('h1.internal', 'hang');
      t.fake.answers.set('h2.internal', 'hang');
      t.fake.answers.set('late.internal', ['10.4.0.2']);
      t.load(
        serviceEntry('many', names),
        serviceEntry('hung', ['h1.internal', 'h2.internal', 'late.internal']),
      );
      await waitFor(() => t.problems('hung').filter((m) => m.includes('no answer')).length === 2, {
        message: () => `the timeouts on the rule status: ${t.problems('hung').join('; ')}`,
      });
      expect(t.problems('hung').slice(0, 2)).toEqual([
        'looking up h1.internal failed (no answer within 50 ms): it gives no endpoints until a lookup succeeds',
        'looking up h2.internal failed (no answer within 50 ms): it gives no endpoints until a lookup succeeds',
      ]);
      // Both slots are held by the hung lookups: the third name waits for one to end.
      expect(t.fake.lookupsOf('late.internal')).toBe(0);
      t.fake.releaseHung();
      await waitFor(() => t.endpoints('hung.example')?.includes('10.4.0.2') === true, {
        message: 'late.internal looked up once a slot was free',
      });
    } finally {
      await t.stop();
    }
  });

  it('looks up at most maxNames names; the others show as not looked up', async () => {
    const t = setup({ maxNames: 2 });
    try {
      const names = ['a.internal', 'b.internal', 'c.internal'];
      for (const name of names) t.fake.answers.set(name, ['10.5.0.1']);
      t.load(serviceEntry('capped', names));
      t.resolver.start();
      await waitFor(() => t.problems('capped').length === 1, { message: 'one name over the cap' });
      expect(t.problems('capped')).toEqual([
        'looking up c.internal failed (not looked up: more than 2 names to resolve): it gives no endpoints until a lookup succeeds',
      ]);
      expect(t.fake.lookupsOf('c.internal')).toBe(0);
      expect(t.logged.filter((l) => l.level === 'warn').map((l) => l.message)).toContainEqual(
        expect.stringContaining('only the first 2 (sorted) are looked up'),
      );
    } finally {
      await t.stop();
    }
  });

  it('stops: no lookup and no report after stop, even of one in flight', async () => {
    const t = setup({ refreshMs: 10 });
    t.fake.answers.set('x.internal', 'hang');
    t.load(serviceEntry('x', ['x.internal']));
    t.resolver.start();
    await waitFor(() => t.fake.lookupsOf('x.internal') === 1, { message: 'the lookup started' });
    await t.resolver.stop();
    const calls = t.fake.calls.length;
    t.fake.releaseHung();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(t.fake.calls.length).toBe(calls);
    expect(t.problems('x')).toEqual(['x.internal is not resolved yet: it gives no endpoints until it is']);
    t.registry.close();
  });
});
