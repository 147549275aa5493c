import {
  crossCheck,
  meshFactsOf,
  parseRule,
  readRuleDocuments,
  targetProblems,
  type ParsedRule,
  type RuleInput,
  type VirtualServiceRule,
} from '../../src';

// Whatever a source hands over, parsing answers with problems: never a throw, never unbounded work.

/** A deterministic generator of odd values: wrong types, nulls, prototype keys, huge strings. */
function oddValues(seed: number): () => unknown {
  let state = seed;
  const next = (): number => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
  const keys = [
    'hosts',
    'http',
    'route',
    'destination',
    'host',
    'match',
    'uri',
    'headers',
    'weight',
    'fault',
    '__proto__',
    'constructor',
    'subsets',
    'trafficPolicy',
    'ports',
    'endpoints',
    'spec',
  ];
  const value = (depth: number): unknown => {
    const pick = next();
    if (depth > 5 || pick < 0.15)
      return ['x', 1, -1, 1.5, true, null, '', '*', 'a'.repeat(2000), 2 ** 53][Math.floor(next() * 10)];
    if (pick < 0.4) return Array.from({ length: Math.floor(next() * 4) }, () => value(depth + 1));
    const entries = Array.from({ length: Math.floor(next() * 5) }, () => [
      keys[Math.floor(next() * keys.length)] ?? 'k',
      value(depth + 1),
    ]);
    return Object.fromEntries(entries);
  };
  return () => value(0);
}

describe('hostile input', () => {
  it('answers odd specs of every kind with problems, never a throw', () => {
    const kinds = [
      ['networking.istio.io/v1', 'VirtualService'],
      ['networking.istio.io/v1', 'DestinationRule'],
      ['networking.istio.io/v1', 'ServiceEntry'],
      ['config.istio.io/v1alpha2', 'RouteRule'],
      ['config.istio.io/v1alpha2', 'DestinationPolicy'],
      ['config.istio.io/v1alpha2', 'EgressRule'],
    ];
    const rules: ParsedRule[] = [];
    for (let seed = 1; seed <= 300; seed += 1) {
      const generate = oddValues(seed);
      for (const [apiVersion, kind] of kinds) {
        const input: RuleInput = {
          apiVersion: apiVersion as string,
          kind: kind as string,
          metadata: { name: `r${seed}` },
          spec: generate(),
          location: { source: 'fuzz', at: [] },
        };
        const result = parseRule(input);
        if (result.rule) rules.push(result.rule);
        else expect(result.problems.some((p) => p.severity === 'error' && p.target === undefined)).toBe(true);
      }
    }
    for (const rule of rules) expect(() => targetProblems(rule)).not.toThrow();
    expect(() => crossCheck(rules, meshFactsOf([]))).not.toThrow();
  });

  it('a header named __proto__ stays a header and pollutes nothing', () => {
    const { inputs } = readRuleDocuments(
      [
        'apiVersion: networking.istio.io/v1',
        'kind: VirtualService',
        'metadata: { name: r }',
        'spec:',
        '  hosts: [r]',
        '  http:',
        '  - route: [{ destination: { host: r } }]',
        '    headers: { request: { set: { __proto__: polluted } } }',
      ].join('\n'),
      'proto.yaml',
    );
    const { rule } = parseRule(inputs[0] as RuleInput);
    const set = (rule as VirtualServiceRule).http[0]?.headers?.request?.set;
    expect(set && Object.getOwnPropertyDescriptor(set, '__proto__')?.value).toBe('polluted');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(set)).toBe(Object.prototype);
  });

  it('a long regex with nested repetition is refused quickly', () => {
    const started = Date.now();
    const { inputs } = readRuleDocuments(
      JSON.stringify({
        apiVersion: 'networking.istio.io/v1',
        kind: 'VirtualService',
        metadata: { name: 'r' },
        spec: {
          hosts: ['r'],
          http: Array.from({ length: 200 }, () => ({
            match: [{ uri: { regex: '((a{100}){100}){100}' } }],
            route: [{ destination: { host: 'r' } }],
          })),
        },
      }),
      'regex.json',
    );
    const result = parseRule(inputs[0] as RuleInput);
    expect(result.rule).toBeUndefined();
    expect(result.problems[0]?.code).toBe('invalid-regex');
    expect(Date.now() - started).toBeLessThan(5000);
  });
});
