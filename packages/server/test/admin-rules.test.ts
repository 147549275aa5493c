import { readRuleDocuments } from '@sextant/core';
import { REVIEWS_NODE, seedBookinfo, startHarness, type Harness } from './harness';

const RULES = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: reviews }
spec:
  hosts: [reviews]
  http:
    - match: [{ headers: { end-user: { exact: jason } } }]
      route: [{ destination: { host: reviews, subset: v2 } }]
    - route:
        - { destination: { host: reviews, subset: v1 }, weight: 80 }
        - { destination: { host: details, port: { number: 9080 } }, weight: 20 }
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: reviews }
spec:
  host: reviews
  subsets:
    - { name: v1, labels: { version: v1 } }
    - { name: v2, labels: { version: v2 } }
`;

const DETAILS = 'details.default.svc.cluster.local';

interface RuleView {
  rule: string;
  state: string;
  source: string;
  hosts: string[];
  errors: { message: string; code: string; target?: string }[];
  warnings: { message: string }[];
}

/** /debug/rules, /metrics and /debug/config as they show rules: what is in force, and what is wrong. */
describe('admin listener: rules', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness(['files']);
    seedBookinfo(h.sink);
    h.sink.upsertService({ hostname: DETAILS, ports: [{ name: 'http', port: 9080, protocol: 'http' }] }, [
      { address: '10.0.3.1', port: 9080, portName: 'http' },
    ]);
    h.sink.setStatus('ready');
  });
  afterEach(() => h.close());

  const get = async (path: string) => (await fetch(`${h.admin}${path}`)).text();
  const report = (text: string) => {
    const { inputs, problems } = readRuleDocuments(text, 'rules.yaml');
    h.registry.ruleSink('rules.yaml').replace(inputs, problems);
    h.registry.flush();
  };
  const rules = async () => (JSON.parse(await get('/debug/rules')) as { rules: RuleView[] }).rules;
  const vs = async () => (await rules()).find((r) => r.rule === 'VirtualService default/reviews');

  it('shows each rule with its source, state and the hosts it affects, and counts them in metrics', async () => {
    report(RULES);
    const view = await rules();
    expect(view.map((r) => [r.rule, r.state, r.source, r.hosts])).toEqual([
      ['DestinationRule default/reviews', 'applied', 'rules.yaml', ['reviews.default.svc.cluster.local']],
      ['VirtualService default/reviews', 'applied', 'rules.yaml', ['reviews.default.svc.cluster.local']],
    ]);
    expect((await vs())?.errors.filter((e) => e.target === undefined)).toEqual([]);
    const metrics = await get('/metrics');
    expect(metrics).toContain('sextant_rules{state="applied"} 2');
    expect(metrics).toContain('sextant_rules{state="stale"} 0');
  });

  it('keeps the last valid version of a broken rule in force and names the file, line and field', async () => {
    report(RULES);
    report(RULES.replace('weight: 80', 'weight: -5'));
    const rule = await vs();
    expect(rule?.state).toBe('stale');
    expect(rule?.errors[0]?.message).toMatch(/^rules\.yaml:10:\d+: .*spec\.http\[1\]\.route\[0\]\.weight/);
    expect(await get('/metrics')).toContain('sextant_rules{state="stale"} 1');
    // What is served is still the last valid split.
    const config = JSON.parse(await get(`/debug/config/${encodeURIComponent(REVIEWS_NODE)}`));
    const reviews = config.v1.routes['9080'].virtual_hosts.find((v: { name: string }) =>
      v.name.startsWith('reviews'),
    );
    expect(reviews.routes[1].weighted_clusters.clusters.map((c: { weight: number }) => c.weight)).toEqual([
      80, 20,
    ]);
  });

  it('shows a destination that is gone since the rule was accepted on the rule, which stays in force', async () => {
    report(RULES);
    h.sink.removeService(DETAILS);
    h.registry.flush();
    const rule = await vs();
    expect(rule?.state).toBe('applied');
    const untargeted = rule?.errors.filter((e) => e.target === undefined) ?? [];
    expect(untargeted).toHaveLength(1);
    expect(untargeted[0]?.message).toMatch(
      /^rules\.yaml:11:\d+: .*spec\.http\[1\]\.route\[1\]\.destination\.host/,
    );
    expect(untargeted[0]?.message).toContain(DETAILS);
    expect(await get('/metrics')).toMatch(/sextant_rule_problems\{severity="error",target="all"\} 1/);
    // Its share goes to the destination that is left.
    const config = JSON.parse(await get(`/debug/config/${encodeURIComponent(REVIEWS_NODE)}`));
    const reviews = config.v1.routes['9080'].virtual_hosts.find((v: { name: string }) =>
      v.name.startsWith('reviews'),
    );
    expect(reviews.routes[1].cluster).toBe('out.reviews.default.svc.cluster.local|http|version=v1');
  });

  it('names the rule and field behind each v1 route on /debug/config', async () => {
    report(RULES);
    const config = JSON.parse(await get(`/debug/config/${encodeURIComponent(REVIEWS_NODE)}`));
    const origins = config.v1.routeOrigins['9080'];
    expect(origins['reviews.default.svc.cluster.local|http']).toEqual([
      { rule: 'VirtualService default/reviews', path: 'spec.http[0].match[0]' },
      { rule: 'VirtualService default/reviews', path: 'spec.http[1]' },
    ]);
    expect(origins['details.default.svc.cluster.local|http']).toEqual([null]);
  });
});
