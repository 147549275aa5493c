import { distribution, type SimOutcome } from '@sextant/testkit/routing';
import { get, RulesMesh, v1Cluster, yaml } from './rules-v1-mesh';

/**
 * Fault injection for Envoy v1: not a route field but `fault` filters in the outbound listener,
 * before the router, each keyed by the cluster a request is routed to and by header conditions
 * (spec §3.3). Outcomes are simulated with the listener's filters applied.
 */

let mesh: RulesMesh;
beforeEach(() => {
  mesh = new RulesMesh();
});
afterEach(() => mesh.close());

const RATINGS_SUBSETS = yaml(
  'apiVersion: networking.istio.io/v1beta1',
  'kind: DestinationRule',
  'metadata: { name: ratings }',
  'spec:',
  '  host: ratings',
  '  subsets:',
  '  - { name: v1, labels: { version: v1 } }',
  '  - { name: v2, labels: { version: v2 } }',
);

function ratingsRoutes(...http: string[]): string {
  return [
    yaml(
      'apiVersion: networking.istio.io/v1beta1',
      'kind: VirtualService',
      'metadata: { name: ratings }',
      'spec:',
      '  hosts: [ratings]',
      '  http:',
      ...http.map((line) => `  ${line}`),
    ),
    RATINGS_SUBSETS,
  ].join('---\n');
}

const R1 = v1Cluster('ratings', 'version=v1');
const R2 = v1Cluster('ratings', 'version=v2');
const JASON = { 'end-user': 'jason' };

/** The faults each cluster's share of the outcome gets, by cluster name. */
function faultsOf(outcome: SimOutcome): Record<string, unknown[]> {
  if (outcome.kind !== 'route') throw new Error(`expected a route, got ${outcome.kind}`);
  return Object.fromEntries(
    outcome.clusters.map((share) => [share.name, share.faults.map(({ delay, abort }) => ({ delay, abort }))]),
  );
}

function faultFilterCount(mesh: RulesMesh): number {
  const manager = mesh.v1().listener().filters[0];
  if (manager?.name !== 'http_connection_manager') return 0;
  return manager.config.filters.filter((f) => f.name === 'fault').length;
}

describe('v1 fault injection', () => {
  it('a delay for requests with a header: 7 s for all of them, none for the others', () => {
    mesh.apply(
      ratingsRoutes(
        '- match: [{ headers: { end-user: { exact: jason } } }]',
        '  fault: { delay: { percentage: { value: 100 }, fixedDelay: 7s } }',
        '  route: [{ destination: { host: ratings, subset: v1 } }]',
        '- route: [{ destination: { host: ratings, subset: v1 } }]',
      ),
    );
    const v1 = mesh.v1();
    expect(faultsOf(v1.send(get('ratings:9080', '/ratings/0', JASON)))).toEqual({
      [R1]: [{ delay: { ms: 7000, fraction: 1 }, abort: undefined }],
    });
    expect(faultsOf(v1.send(get('ratings:9080', '/ratings/0')))).toEqual({ [R1]: [] });
  });

  it('an abort of a share of requests, with its status', () => {
    mesh.apply(
      ratingsRoutes(
        '- route: [{ destination: { host: ratings, subset: v2 } }]',
        '  fault: { abort: { percentage: { value: 25 }, httpStatus: 500 } }',
      ),
    );
    expect(faultsOf(mesh.v1().send(get('ratings:9080', '/')))).toEqual({
      [R2]: [{ delay: undefined, abort: { httpStatus: 500, fraction: 0.25 } }],
    });
  });

  it('delay and abort together, on every cluster of a weighted route', () => {
    mesh.apply(
      ratingsRoutes(
        '- route:',
        '  - { destination: { host: ratings, subset: v1 }, weight: 50 }',
        '  - { destination: { host: ratings, subset: v2 }, weight: 50 }',
        '  fault:',
        '    delay: { percentage: { value: 10 }, fixedDelay: 1s }',
        '    abort: { percentage: { value: 5 }, httpStatus: 503 }',
      ),
    );
    const both = [{ delay: { ms: 1000, fraction: 0.1 }, abort: { httpStatus: 503, fraction: 0.05 } }];
    const outcome = mesh.v1().send(get('ratings:9080', '/'));
    expect(distribution(outcome)).toEqual({ [R1]: 0.5, [R2]: 0.5 });
    expect(faultsOf(outcome)).toEqual({ [R1]: both, [R2]: both });
  });

  it('a fault is keyed by the cluster: requests with the same headers routed elsewhere get none', () => {
    mesh.apply(
      ratingsRoutes(
        '- match: [{ uri: { prefix: /v2 }, headers: { end-user: { exact: jason } } }]',
        '  fault: { abort: { percentage: { value: 100 }, httpStatus: 503 } }',
        '  route: [{ destination: { host: ratings, subset: v2 } }]',
        '- route: [{ destination: { host: ratings, subset: v1 } }]',
      ),
    );
    const v1 = mesh.v1();
    expect(faultsOf(v1.send(get('ratings:9080', '/v2/x', JASON)))).toEqual({
      [R2]: [{ delay: undefined, abort: { httpStatus: 503, fraction: 1 } }],
    });
    expect(faultsOf(v1.send(get('ratings:9080', '/other', JASON)))).toEqual({ [R1]: [] });
  });

  it('what v1 cannot limit a fault to (the path) is a warning, and the fault reaches the same cluster and headers on other routes', () => {
    mesh.apply(
      ratingsRoutes(
        '- match: [{ uri: { prefix: /slow } }]',
        '  fault: { delay: { percentage: { value: 100 }, fixedDelay: 2s } }',
        '  route: [{ destination: { host: ratings, subset: v1 } }]',
        '- route: [{ destination: { host: ratings, subset: v1 } }]',
      ),
    );
    expect(mesh.problemsFor('v1').map((p) => [p.severity, p.path])).toEqual([
      ['warning', 'spec.http[0].fault'],
    ]);
    const v1 = mesh.v1();
    expect(faultsOf(v1.send(get('ratings:9080', '/slow')))).toEqual({
      [R1]: [{ delay: { ms: 2000, fraction: 1 }, abort: undefined }],
    });
    expect(faultsOf(v1.send(get('ratings:9080', '/fast')))).toEqual({
      [R1]: [{ delay: { ms: 2000, fraction: 1 }, abort: undefined }],
    });
  });

  it('percentages are whole in v1: a fraction is cut (warned), and a fault cut to 0 % is not sent', () => {
    mesh.apply(
      ratingsRoutes(
        '- match: [{ headers: { end-user: { exact: jason } } }]',
        '  fault: { abort: { percentage: { value: 12.5 }, httpStatus: 503 } }',
        '  route: [{ destination: { host: ratings, subset: v2 } }]',
        '- route: [{ destination: { host: ratings, subset: v1 } }]',
        '  fault: { delay: { percentage: { value: 0.1 }, fixedDelay: 1s } }',
      ),
    );
    expect(mesh.problemsFor('v1').map((p) => [p.severity, p.message])).toEqual([
      ['warning', 'Envoy v1 injects faults by whole percents: 12.5% is sent as 12%'],
      ['warning', 'Envoy v1 injects faults by whole percents: 0.1% is sent as 0%'],
    ]);
    const v1 = mesh.v1();
    expect(faultsOf(v1.send(get('ratings:9080', '/', JASON)))).toEqual({
      [R2]: [{ delay: undefined, abort: { httpStatus: 503, fraction: 0.12 } }],
    });
    expect(faultsOf(v1.send(get('ratings:9080', '/')))).toEqual({ [R1]: [] });
    expect(faultFilterCount(mesh)).toBe(1);
  });

  it('an abort with a gRPC status is an error for v1 and not sent; the delay beside it is', () => {
    mesh.apply(
      ratingsRoutes(
        '- route: [{ destination: { host: ratings, subset: v1 } }]',
        '  fault:',
        '    delay: { percentage: { value: 100 }, fixedDelay: 1s }',
        '    abort: { percentage: { value: 100 }, grpcStatus: UNAVAILABLE }',
      ),
    );
    expect(mesh.problemsFor('v1').map((p) => [p.severity, p.message])).toEqual([
      ['error', 'Envoy v1 can abort with an HTTP status only'],
    ]);
    expect(faultsOf(mesh.v1().send(get('ratings:9080', '/')))).toEqual({
      [R1]: [{ delay: { ms: 1000, fraction: 1 }, abort: undefined }],
    });
  });

  it('the fault of a route v1 is not sent (it matches query parameters) is not sent either', () => {
    mesh.apply(
      ratingsRoutes(
        '- match: [{ queryParams: { chaos: { exact: "on" } } }]',
        '  fault: { abort: { percentage: { value: 100 }, httpStatus: 503 } }',
        '  route: [{ destination: { host: ratings, subset: v1 } }]',
        '- route: [{ destination: { host: ratings, subset: v1 } }]',
      ),
    );
    const v1 = mesh.v1();
    expect(faultsOf(v1.send(get('ratings:9080', '/')))).toEqual({ [R1]: [] });
    expect(faultsOf(v1.send({ authority: 'ratings:9080', path: '/', query: { chaos: 'on' } }))).toEqual({
      [R1]: [],
    });
    expect(faultFilterCount(mesh)).toBe(0);
  });
});
