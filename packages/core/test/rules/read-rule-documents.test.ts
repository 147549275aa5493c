import {
  DOCUMENT_LIMITS,
  formatRuleProblem,
  MAX_LOCATED_RULE_CHARACTERS,
  MAX_PROBLEMS_REPORTED,
  parseRule,
  readRuleDocuments,
} from '../../src';
import { yaml } from './helpers';

const VS = (name: string, namespace?: string): string[] => [
  'apiVersion: networking.istio.io/v1',
  'kind: VirtualService',
  'metadata:',
  `  name: ${name}`,
  ...(namespace ? [`  namespace: ${namespace}`] : []),
  'spec:',
  `  hosts: [${name}]`,
  '  http:',
  `  - route: [{ destination: { host: ${name} } }]`,
];

describe('readRuleDocuments', () => {
  it('reads every document of a stream, skipping empty ones, each located by document index and path', () => {
    const text = yaml(
      '---',
      ...VS('reviews'),
      '---',
      '# nothing here',
      '---',
      ...VS('ratings', 'shop'),
      '---',
    );
    const { inputs, problems } = readRuleDocuments(text, 'rules.yaml');
    expect(problems).toEqual([]);
    expect(
      inputs.map((i) => [
        i.kind,
        i.metadata.namespace,
        i.metadata.name,
        i.location.documentIndex,
        i.location.at,
      ]),
    ).toEqual([
      ['VirtualService', undefined, 'reviews', 0, []],
      ['VirtualService', 'shop', 'ratings', 2, []],
    ]);
    expect(
      inputs[1]?.location.document?.locate([...(inputs[1]?.location.at ?? []), 'spec', 'hosts', 0]),
    ).toEqual({
      line: 19,
      column: 11,
    });
  });

  it('reads the items of a kind: List, each located at items[i]', () => {
    const list = {
      apiVersion: 'v1',
      kind: 'List',
      items: [
        {
          apiVersion: 'networking.istio.io/v1',
          kind: 'DestinationRule',
          metadata: { name: 'a' },
          spec: { host: 'a' },
        },
        {
          apiVersion: 'config.istio.io/v1alpha2',
          kind: 'RouteRule',
          metadata: { name: 'b' },
          spec: { destination: { name: 'b' } },
        },
      ],
    };
    const { inputs, problems } = readRuleDocuments(JSON.stringify(list, null, 2), 'list.json');
    expect(problems).toEqual([]);
    expect(inputs.map((i) => [i.kind, i.location.at])).toEqual([
      ['DestinationRule', ['items', 0]],
      ['RouteRule', ['items', 1]],
    ]);
    // A problem in a field the document lacks is located at its nearest ancestor that it has.
    const parsed = parseRule({ ...(inputs[0] as (typeof inputs)[0]), spec: { host: 'a', bogus: true } });
    expect(parsed.problems.map(formatRuleProblem)).toEqual([
      'list.json:11:15: error: DestinationRule default/a: spec.bogus: unknown field (expected one of: host, subsets, trafficPolicy) [unknown-field]',
    ]);
  });

  it('refuses the same identity twice in one source, naming both places, and keeps the first', () => {
    const text = yaml(...VS('reviews'), '---', ...VS('ratings'), '---', ...VS('reviews', 'default'));
    const { inputs, problems } = readRuleDocuments(text, 'rules.yaml');
    expect(inputs.map((i) => [i.metadata.name, i.location.documentIndex])).toEqual([
      ['reviews', 0],
      ['ratings', 1],
    ]);
    expect(problems.map(formatRuleProblem)).toEqual([
      'rules.yaml:19:1: error: VirtualService default/reviews: VirtualService default/reviews is defined twice in this source: at rules.yaml:1:1 and at rules.yaml:19:1; the first is used and this one is not [duplicate-identity]',
    ]);
    // The same name in two namespaces, or as two kinds, is two rules.
    const distinct = yaml(...VS('reviews'), '---', ...VS('reviews', 'shop'));
    expect(readRuleDocuments(distinct, 'rules.yaml').problems).toEqual([]);
  });

  it('names an unknown kind and the kinds it reads; a known kind under the wrong apiVersion', () => {
    const text = yaml(
      'apiVersion: networking.istio.io/v1',
      'kind: Gateway',
      'metadata: { name: ingress }',
      'spec: {}',
      '---',
      'apiVersion: networking.istio.io/v2',
      'kind: VirtualService',
      'metadata: { name: x }',
      'spec: {}',
    );
    const { inputs, problems } = readRuleDocuments(text, 'rules.yaml');
    expect(inputs).toEqual([]);
    expect(problems.map(formatRuleProblem)).toEqual([
      'rules.yaml:2:7: error: kind: unknown kind "Gateway": Sextant reads VirtualService, DestinationRule, ServiceEntry (networking.istio.io/v1, v1beta1, v1alpha3), PeerAuthentication (security.istio.io/v1, v1beta1), RouteRule, DestinationPolicy, EgressRule (config.istio.io, any version) and HTTPRoute (gateway.networking.k8s.io/v1, v1beta1) [unknown-kind]',
      'rules.yaml:7:7: error: kind: VirtualService is networking.istio.io/v1, v1beta1, v1alpha3, not "networking.istio.io/v2" [unknown-kind]',
    ]);
  });

  it('reports a document that does not parse and still reads the others', () => {
    const text = yaml(...VS('reviews'), '---', 'apiVersion: [unclosed', '---', ...VS('ratings'));
    const { inputs, problems } = readRuleDocuments(text, 'rules.yaml');
    expect(inputs.map((i) => i.metadata.name)).toEqual(['reviews', 'ratings']);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ file: 'rules.yaml', line: 11, severity: 'error', code: 'syntax' });
  });

  it('refuses envelopes it cannot read: not a resource, no kind, no name, unknown top-level and metadata fields', () => {
    const text = yaml(
      '- just a list',
      '---',
      'apiVersion: networking.istio.io/v1',
      'metadata: { name: x }',
      '---',
      'apiVersion: networking.istio.io/v1',
      'kind: VirtualService',
      'metadata: { namespace: shop }',
      '---',
      'apiVersion: networking.istio.io/v1',
      'kind: VirtualService',
      'metadata: { name: typo, labelz: {} }',
      'sepc: {}',
      '---',
      'kind: List',
      'items: {}',
    );
    const { inputs, problems } = readRuleDocuments(text, 'rules.yaml');
    expect(inputs).toEqual([]);
    expect(problems.map(formatRuleProblem)).toEqual([
      'rules.yaml:1:1: error: expected a resource (apiVersion, kind, metadata, spec), got a list [not-a-resource]',
      'rules.yaml:3:1: error: kind: expected the kind of the resource, a string [missing-field]',
      'rules.yaml:8:11: error: metadata.name: expected the name of the resource, a string [missing-field]',
      'rules.yaml:13:1: error: sepc: unknown field (did you mean "spec"?) [unknown-field]',
      'rules.yaml:12:25: error: metadata.labelz: unknown field (did you mean "labels"?) [unknown-field]',
      'rules.yaml:16:8: error: items: a List holds its resources in "items", a list (got an object) [not-a-resource]',
    ]);
  });

  it('ignores what a cluster adds to an exported resource (status, resourceVersion, annotations)', () => {
    const text = yaml(...VS('reviews'), 'status: { validationMessages: [] }').replace(
      '  name: reviews',
      '  name: reviews\n  resourceVersion: "11464"\n  creationTimestamp: null\n  annotations: { a: b }',
    );
    const { inputs, problems } = readRuleDocuments(text, 'rules.yaml');
    expect(problems).toEqual([]);
    expect(inputs[0]?.metadata).toEqual({ name: 'reviews' });
  });

  it('refuses a document past the limits before reading it', () => {
    const deep = `${'['.repeat(DOCUMENT_LIMITS.maxDepth + 1)}${']'.repeat(DOCUMENT_LIMITS.maxDepth + 1)}\n`;
    const { inputs, problems } = readRuleDocuments(deep, 'deep.yaml');
    expect(inputs).toEqual([]);
    expect(problems.map((p) => [p.code, p.message])).toEqual([
      ['document-limit', `the document is nested more than ${DOCUMENT_LIMITS.maxDepth} levels deep`],
    ]);
  });

  it('reads a text too large to locate without positions, naming the document instead', () => {
    const padding = `# ${'x'.repeat(MAX_LOCATED_RULE_CHARACTERS)}\n`;
    const text = yaml(...VS('reviews'), '---', ...VS('ratings'), '---', ...VS('reviews'));
    const { inputs, problems } = readRuleDocuments(padding + text, 'big.yaml');
    expect(inputs.map((i) => [i.metadata.name, i.location.document, i.location.documentIndex])).toEqual([
      ['reviews', undefined, 0],
      ['ratings', undefined, 1],
    ]);
    expect(problems.map(formatRuleProblem)).toEqual([
      'big.yaml (document 3): error: VirtualService default/reviews: VirtualService default/reviews is defined twice in this source: at big.yaml (document 1) and at big.yaml (document 3); the first is used and this one is not [duplicate-identity]',
    ]);
    const parsed = parseRule({ ...(inputs[1] as (typeof inputs)[0]), spec: { hosts: ['ratings'] } });
    expect(parsed.problems.map(formatRuleProblem)).toEqual([
      'big.yaml (document 2): error: VirtualService default/ratings: spec: a VirtualService needs http or tcp routes [missing-field]',
    ]);
  });

  it('reports at most MAX_PROBLEMS_REPORTED problems for a source, and counts the rest', () => {
    const text = Array.from({ length: MAX_PROBLEMS_REPORTED + 5 }, (_, i) => `kind: Thing${i}\n`).join(
      '---\n',
    );
    const { problems } = readRuleDocuments(text, 'many.yaml');
    expect(problems).toHaveLength(MAX_PROBLEMS_REPORTED + 1);
    expect(problems.at(-1)).toMatchObject({
      code: 'too-many-problems',
      message: expect.stringContaining('5 more problem(s)'),
    });
  });
});
