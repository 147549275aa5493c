import {
  Registry,
  type HttpRoute,
  type ParsedRule,
  type RuleInput,
  type RuleParser,
  type RuleProblem,
  type Snapshot,
} from '../../src';

/**
 * The registry's handling of rules, independent of any rule language: inputs whose `spec` is
 * already a parsed rule (or `{ invalid: reason }`), so these tests exercise the store, the
 * policies and the incremental publishing, not parsing (rules/parse has its own tests).
 */
const parse: RuleParser = (input) => {
  const spec = input.spec as ParsedRule | { invalid: string };
  if ('invalid' in spec) {
    const problem: RuleProblem = { severity: 'error', code: 'test', path: 'spec', message: spec.invalid };
    return { problems: [problem] };
  }
  return { rule: spec, problems: [] };
};

const origin = (name: string) => ({
  rule: { kind: 'VirtualService', namespace: 'default', name },
  path: 'spec',
});

function virtualService(name: string, host: string, subsets: Record<string, number>): ParsedRule {
  const route: HttpRoute = {
    matches: [],
    action: {
      kind: 'route',
      destinations: Object.entries(subsets).map(([subset, weight]) => ({
        host,
        subset,
        weight,
        origin: origin(name),
      })),
    },
    mirrors: [],
    origin: origin(name),
  };
  return {
    kind: 'VirtualService',
    identity: { kind: 'VirtualService', namespace: 'default', name },
    hosts: [host],
    gateways: [],
    http: [route],
    tcp: [],
    appendDefaultRoute: false,
    language: 'istio',
  };
}

function destinationRule(name: string, host: string, subsets: string[]): ParsedRule {
  return {
    kind: 'DestinationRule',
    identity: { kind: 'DestinationRule', namespace: 'default', name },
    host,
    subsets: subsets.map((subset) => ({
      name: subset,
      labels: { version: subset },
      origin: { rule: { kind: 'DestinationRule', namespace: 'default', name }, path: 'spec.subsets' },
    })),
    language: 'istio',
  };
}

function input(rule: ParsedRule | { invalid: string }, kind: string, name: string): RuleInput {
  return {
    apiVersion: 'test/v1',
    kind,
    metadata: { name },
    spec: rule,
    location: { source: 'rules.yaml', at: [] },
  };
}

const REVIEWS = 'reviews.default.svc.cluster.local';
const RATINGS = 'ratings.default.svc.cluster.local';

function mesh() {
  const registry = new Registry({ adapters: ['a'], parseRule: parse, ruleSources: ['rules.yaml'] });
  const sink = registry.sink('a');
  for (const hostname of [REVIEWS, RATINGS]) {
    sink.upsertService({ hostname, ports: [{ name: 'http', port: 9080, protocol: 'http' }] }, [
      { address: '10.0.0.1', port: 9080, portName: 'http', labels: { version: 'v1' } },
      { address: '10.0.0.2', port: 9080, portName: 'http', labels: { version: 'v2' } },
    ]);
  }
  sink.setStatus('ready');
  const rules = registry.ruleSink('rules.yaml');
  const current = () => registry.current() as Snapshot;
  return { registry, sink, rules, current };
}

describe('the registry and traffic rules', () => {
  it('attaches a host its policy, and a rule change re-publishes only the hosts it concerns', () => {
    const { registry, rules, current } = mesh();
    const before = current();
    rules.replace([
      input(virtualService('reviews', REVIEWS, { v1: 90, v2: 10 }), 'VirtualService', 'reviews'),
      input(destinationRule('reviews', REVIEWS, ['v1', 'v2']), 'DestinationRule', 'reviews'),
    ]);
    registry.flush();
    const after = current();
    expect([...after.changed]).toEqual([REVIEWS]);
    const policy = after.services.get(REVIEWS)?.policy;
    expect(policy?.http?.[0]?.action).toMatchObject({ kind: 'route' });
    expect(policy?.subsets.map((s) => s.name)).toEqual(['v1', 'v2']);
    expect(after.services.get(REVIEWS)?.version).not.toBe(before.services.get(REVIEWS)?.version);
    expect(after.services.get(REVIEWS)?.shape).not.toBe(before.services.get(REVIEWS)?.shape);
    // An unrelated host is the same entry object: nothing of it is re-rendered.
    expect(after.services.get(RATINGS)).toBe(before.services.get(RATINGS));
    registry.close();
  });

  it('keeps the last valid version of a resource in force when a new one is invalid', () => {
    const { registry, rules, current } = mesh();
    rules.replace([
      input(virtualService('reviews', REVIEWS, { v1: 100 }), 'VirtualService', 'reviews'),
      input(destinationRule('reviews', REVIEWS, ['v1', 'v2']), 'DestinationRule', 'reviews'),
    ]);
    registry.flush();
    const good = current().services.get(REVIEWS)?.policy;
    rules.replace([
      input({ invalid: 'weights total 0' }, 'VirtualService', 'reviews'),
      input(destinationRule('reviews', REVIEWS, ['v1', 'v2']), 'DestinationRule', 'reviews'),
    ]);
    registry.flush();
    expect(current().services.get(REVIEWS)?.policy?.version).toBe(good?.version);
    const status = registry.ruleStatuses().rules.find((r) => r.identity.kind === 'VirtualService');
    expect(status).toMatchObject({ state: 'stale', problems: [{ message: 'weights total 0' }] });
    // Removing it from the source removes it from force.
    rules.replace([input(destinationRule('reviews', REVIEWS, ['v1', 'v2']), 'DestinationRule', 'reviews')]);
    registry.flush();
    expect(current().services.get(REVIEWS)?.policy?.http).toBeUndefined();
    registry.close();
  });

  it('keeps a subset a route still names after its DestinationRule dropped it, until no route does', () => {
    const { registry, rules, current } = mesh();
    const vs = input(virtualService('reviews', REVIEWS, { v2: 100 }), 'VirtualService', 'reviews');
    rules.replace([
      vs,
      input(destinationRule('reviews', REVIEWS, ['v1', 'v2']), 'DestinationRule', 'reviews'),
    ]);
    registry.flush();
    rules.replace([vs, input(destinationRule('reviews', REVIEWS, ['v1']), 'DestinationRule', 'reviews')]);
    registry.flush();
    expect(
      current()
        .services.get(REVIEWS)
        ?.policy?.subsets.map((s) => s.name),
    ).toEqual(['v1', 'v2']);
    rules.replace([input(destinationRule('reviews', REVIEWS, ['v1']), 'DestinationRule', 'reviews')]);
    registry.flush();
    expect(
      current()
        .services.get(REVIEWS)
        ?.policy?.subsets.map((s) => s.name),
    ).toEqual(['v1']);
    registry.close();
  });

  it('checks the rules in force again when a host they route to is gone: the rule stays, the problem shows', () => {
    const { registry, sink, rules } = mesh();
    const split: ParsedRule = virtualService('reviews', REVIEWS, { v1: 80 });
    const toRatings = { host: RATINGS, weight: 20, origin: origin('reviews') };
    const route = split.kind === 'VirtualService' ? split.http[0] : undefined;
    const action = route?.action.kind === 'route' ? route.action : undefined;
    const rule = {
      ...split,
      http: [
        { ...route, action: { kind: 'route', destinations: [...(action?.destinations ?? []), toRatings] } },
      ],
    } as ParsedRule;
    rules.replace([
      input(rule, 'VirtualService', 'reviews'),
      input(destinationRule('reviews', REVIEWS, ['v1']), 'DestinationRule', 'reviews'),
    ]);
    registry.flush();
    const vsStatus = () => registry.ruleStatuses().rules.find((r) => r.identity.kind === 'VirtualService');
    expect(vsStatus()).toMatchObject({ state: 'applied', problems: [] });

    sink.removeService(RATINGS);
    registry.flush();
    const status = vsStatus();
    expect(status?.state).toBe('applied');
    expect(status?.problems).toEqual([
      expect.objectContaining({
        severity: 'error',
        file: 'rules.yaml',
        message: expect.stringContaining(RATINGS),
      }),
    ]);
    registry.close();
  });

  it('warns of a destination whose instances are all unhealthy now, and stops when one recovers', () => {
    const { registry, sink, rules } = mesh();
    rules.replace([
      input(virtualService('reviews', REVIEWS, { v1: 100 }), 'VirtualService', 'reviews'),
      input(destinationRule('reviews', REVIEWS, ['v1', 'v2']), 'DestinationRule', 'reviews'),
    ]);
    registry.flush();
    const vsProblems = () =>
      registry.ruleStatuses().rules.find((r) => r.identity.kind === 'VirtualService')?.problems ?? [];
    expect(vsProblems()).toEqual([]);
    const reviews = (health: 'healthy' | 'unhealthy') =>
      sink.upsertService({ hostname: REVIEWS, ports: [{ name: 'http', port: 9080, protocol: 'http' }] }, [
        { address: '10.0.0.1', port: 9080, portName: 'http', labels: { version: 'v1' }, health },
        { address: '10.0.0.2', port: 9080, portName: 'http', labels: { version: 'v2' } },
      ]);
    reviews('unhealthy');
    registry.flush();
    expect(vsProblems()).toEqual([
      expect.objectContaining({
        severity: 'warning',
        code: 'no-healthy-endpoints',
        message: `subset v1 of ${REVIEWS} has no healthy instance now: traffic routed here fails (503) until one recovers`,
      }),
    ]);
    reviews('healthy');
    registry.flush();
    expect(vsProblems()).toEqual([]);
    registry.close();
  });

  it('adds the services of ServiceEntries to the mesh, after the adapters', () => {
    const { registry, rules, current } = mesh();
    const entry: ParsedRule = {
      kind: 'ServiceEntry',
      identity: { kind: 'ServiceEntry', namespace: 'default', name: 'payments' },
      hosts: ['api.payments.example'],
      addresses: [],
      ports: [{ name: 'https', number: 443, protocol: 'http' }],
      location: 'MESH_EXTERNAL',
      resolution: 'STATIC',
      endpoints: [{ address: '192.0.2.10', ports: {}, labels: { region: 'eu' }, weight: 1 }],
      language: 'istio',
    };
    rules.replace([input(entry, 'ServiceEntry', 'payments')]);
    registry.flush();
    const added = current().services.get('api.payments.example');
    expect(added?.service.origin).toBe('rules');
    expect(added?.instances.map((i) => `${i.address}:${i.port}`)).toEqual(['192.0.2.10:443']);
    rules.replace([]);
    registry.flush();
    expect(current().services.has('api.payments.example')).toBe(false);
    registry.close();
  });

  it('takes rules an adapter reports, parsed like any other', () => {
    const { registry, sink, current } = mesh();
    sink.replaceAll({
      services: [REVIEWS, RATINGS].map((hostname) => ({
        hostname,
        ports: [{ name: 'http', port: 9080, protocol: 'http' as const }],
      })),
      instances: [],
      config: [
        {
          apiVersion: 'test/v1',
          kind: 'VirtualService',
          metadata: { name: 'reviews' },
          spec: virtualService('reviews', REVIEWS, { v1: 1 }),
          source: 'consul-kv:sextant/rules/reviews',
        },
      ],
    });
    registry.flush();
    expect(current().services.get(REVIEWS)?.policy?.rules).toEqual([
      { kind: 'VirtualService', namespace: 'default', name: 'reviews' },
    ]);
    expect(registry.ruleStatuses().rules.map((r) => r.source)).toEqual(['adapter a']);
    registry.close();
  });

  it("keeps an adapter's rules from each origin apart: one origin's report leaves the others in force", () => {
    const { registry, sink, current } = mesh();
    sink.replaceAll({
      services: [REVIEWS, RATINGS].map((hostname) => ({
        hostname,
        ports: [{ name: 'http', port: 9080, protocol: 'http' as const }],
      })),
      instances: [],
    });
    const rule = (name: string, host: string) => ({
      apiVersion: 'test/v1',
      kind: 'VirtualService',
      metadata: { name },
      spec: virtualService(name, host, { v1: 1 }),
    });
    sink.replaceRules('kv', [rule('reviews', REVIEWS)]);
    sink.replaceRules('crd', [rule('ratings', RATINGS)]);
    registry.flush();
    expect(current().services.get(REVIEWS)?.policy?.rules).toHaveLength(1);
    expect(current().services.get(RATINGS)?.policy?.rules).toHaveLength(1);
    sink.replaceRules('kv', []);
    registry.flush();
    expect(current().services.get(REVIEWS)?.policy?.rules ?? []).toHaveLength(0);
    expect(current().services.get(RATINGS)?.policy?.rules).toHaveLength(1);
    // A full resync without `config` leaves the rules as they were; with it, they become exactly that.
    sink.replaceAll({
      services: [{ hostname: RATINGS, ports: [{ name: 'http', port: 9080, protocol: 'http' }] }],
      instances: [],
    });
    registry.flush();
    expect(current().services.get(RATINGS)?.policy?.rules).toHaveLength(1);
    sink.replaceAll({
      services: [{ hostname: RATINGS, ports: [{ name: 'http', port: 9080, protocol: 'http' }] }],
      instances: [],
      config: [],
    });
    registry.flush();
    expect(current().services.get(RATINGS)?.policy?.rules ?? []).toHaveLength(0);
    registry.close();
  });

  it('shows the problems an adapter reports with an origin on /debug/rules, and keeps the rules it then leaves out', () => {
    const { registry, sink, current } = mesh();
    sink.replaceAll({
      services: [{ hostname: REVIEWS, ports: [{ name: 'http', port: 9080, protocol: 'http' }] }],
      instances: [],
    });
    const rule = {
      apiVersion: 'test/v1',
      kind: 'VirtualService',
      metadata: { name: 'reviews' },
      spec: virtualService('reviews', REVIEWS, { v1: 1 }),
      source: 'consul-kv:rules/reviews',
    };
    sink.replaceRules('kv', [rule]);
    registry.flush();
    const syntax: RuleProblem = {
      file: 'consul-kv:rules/reviews',
      line: 2,
      column: 3,
      path: '',
      severity: 'error',
      code: 'syntax',
      message: 'bad indentation',
    };
    // The key no longer parses: its rule is not reported, and the problem says why.
    sink.replaceRules('kv', [], [syntax]);
    registry.flush();
    expect(current().services.get(REVIEWS)?.policy?.rules).toHaveLength(1);
    const source = registry.ruleStatuses().sources.find((s) => s.source === 'adapter a');
    expect(source?.problems).toEqual([syntax]);
    // Fixed (here: emptied) and the problem goes.
    sink.replaceRules('kv', []);
    registry.flush();
    expect(current().services.get(REVIEWS)?.policy?.rules ?? []).toHaveLength(0);
    expect(registry.ruleStatuses().sources.find((s) => s.source === 'adapter a')?.problems ?? []).toEqual([]);
    registry.close();
  });
});
