import { distribution, simulateGrpc, simulateV3 } from '@sextant/testkit/routing';
import {
  cluster,
  clustersNamedBy,
  destinationRule,
  GREETER,
  GREETER_PORT,
  GRPC_CLIENT,
  http,
  managers,
  meshWith,
  PRODUCTPAGE_SIDECAR,
  RATINGS,
  REVIEWS,
  rpc,
  rules,
  to,
  versions,
  virtualService,
  type Rendered,
} from './rules-mesh';

/**
 * Make-before-break: through a sequence of rule changes, no route a client is sent names a cluster
 * it is not sent in the same snapshot (the server then sends clusters before the routes that name
 * them and removes them after the routes that stop naming them). A subset a DestinationRule drops
 * while a route still names it keeps its cluster until the route moves on.
 */

const reviewsTo = (...destinations: object[]) =>
  virtualService('reviews', { hosts: ['reviews'], http: [{ route: destinations }] });
const greeterTo = (...destinations: object[]) =>
  virtualService('greeter', { hosts: [GREETER], http: [{ route: destinations }] });

/** Clusters the sidecar's and the gRPC client's routes name that they are not sent; [] when none. */
function dangling(rendered: Rendered): string[] {
  const sidecar = rendered.everything(PRODUCTPAGE_SIDECAR, 'v3');
  const sent = new Set(sidecar.clusters.map((c) => c.name as string));
  const missing = [...clustersNamedBy(sidecar.routes)].filter((name) => !sent.has(name));
  const client = rendered.everything(GRPC_CLIENT, 'grpc');
  const apiRoutes = client.listeners.flatMap((l) =>
    managers(l).map((m) => m.route_config as Record<string, unknown>),
  );
  for (const name of clustersNamedBy(apiRoutes))
    if (!rendered.hasCluster(name, GRPC_CLIENT, 'grpc')) missing.push(`grpc: ${name}`);
  return missing;
}

const reviews = (rendered: Rendered) => distribution(simulateV3(rendered.routes(9080), http(REVIEWS)));
const greeter = (rendered: Rendered) =>
  distribution(simulateGrpc(rendered.grpcListener(`${GREETER}:${GREETER_PORT}`), rpc(GREETER)));
const sidecarClusters = (rendered: Rendered) => rendered.clusters().map((c) => c.name as string);

describe('a rule change sequence', () => {
  it('routes name only clusters the client has, at every step', () => {
    const mesh = meshWith(rules());
    // The step that drops subsets routes still name is reported (unknown-subset), yet applied.
    const steps: [string, string, (rendered: Rendered) => void][] = [
      [
        'v1 only, subsets defined first',
        rules(
          reviewsTo(to('reviews', 'v1')),
          versions(REVIEWS, ['v1', 'v2', 'v3']),
          greeterTo(to(GREETER, 'v1')),
          versions(GREETER, ['v1', 'v2']),
        ),
        (r) => {
          expect(reviews(r)).toEqual({ [cluster(REVIEWS, 'v1')]: 1 });
          expect(greeter(r)).toEqual({ [cluster(GREETER, 'v1')]: 1 });
        },
      ],
      [
        'a canary split',
        rules(
          reviewsTo(to('reviews', 'v1', 90), to('reviews', 'v2', 10)),
          versions(REVIEWS, ['v1', 'v2', 'v3']),
          greeterTo(to(GREETER, 'v1', 90), to(GREETER, 'v2', 10)),
          versions(GREETER, ['v1', 'v2']),
        ),
        (r) => {
          expect(reviews(r)).toEqual({ [cluster(REVIEWS, 'v1')]: 0.9, [cluster(REVIEWS, 'v2')]: 0.1 });
          expect(greeter(r)).toEqual({ [cluster(GREETER, 'v1')]: 0.9, [cluster(GREETER, 'v2')]: 0.1 });
        },
      ],
      [
        'the DestinationRules drop v1 while the routes still name it: its clusters stay',
        rules(
          reviewsTo(to('reviews', 'v1', 90), to('reviews', 'v2', 10)),
          versions(REVIEWS, ['v2', 'v3']),
          greeterTo(to(GREETER, 'v1', 90), to(GREETER, 'v2', 10)),
          versions(GREETER, ['v2']),
        ),
        (r) => {
          expect(reviews(r)).toEqual({ [cluster(REVIEWS, 'v1')]: 0.9, [cluster(REVIEWS, 'v2')]: 0.1 });
          expect(greeter(r)).toEqual({ [cluster(GREETER, 'v1')]: 0.9, [cluster(GREETER, 'v2')]: 0.1 });
          expect(sidecarClusters(r)).toEqual(
            expect.arrayContaining([cluster(REVIEWS, 'v1'), cluster(GREETER, 'v1')]),
          );
          expect(r.endpointsOf(r.cluster(cluster(REVIEWS, 'v1')))).toEqual(['10.0.1.11:9080']);
        },
      ],
      [
        'the routes move on: v1 goes',
        rules(
          reviewsTo(to('reviews', 'v2')),
          versions(REVIEWS, ['v2', 'v3']),
          greeterTo(to(GREETER, 'v2')),
          versions(GREETER, ['v2']),
        ),
        (r) => {
          expect(reviews(r)).toEqual({ [cluster(REVIEWS, 'v2')]: 1 });
          expect(sidecarClusters(r)).not.toContain(cluster(REVIEWS, 'v1'));
          expect(r.hasCluster(cluster(GREETER, 'v1'), GRPC_CLIENT, 'grpc')).toBe(false);
        },
      ],
      [
        'consistent hash and a mirror to another host',
        rules(
          virtualService('reviews', {
            hosts: ['reviews'],
            http: [{ route: [to('reviews', 'v3')], mirror: { host: 'ratings', subset: 'shadow' } }],
          }),
          versions(REVIEWS, ['v3'], { loadBalancer: { consistentHash: { httpHeaderName: 'x-user' } } }),
          destinationRule('ratings', {
            host: RATINGS,
            subsets: [{ name: 'shadow', labels: { version: 'v2' } }],
          }),
        ),
        (r) => {
          const outcome = simulateV3(r.routes(9080), http(REVIEWS));
          expect(distribution(outcome)).toEqual({ [cluster(REVIEWS, 'v3')]: 1 });
          expect(outcome.kind === 'route' && outcome.mirrors).toEqual([
            { cluster: cluster(RATINGS, 'shadow'), fraction: 1 },
          ]);
          expect(outcome.kind === 'route' && outcome.hashPolicy).toEqual([
            { kind: 'header', name: 'x-user', terminal: false },
          ]);
          expect(greeter(r)).toEqual({ [cluster(GREETER)]: 1 });
        },
      ],
      [
        'no rules: default routes to each service',
        rules(),
        (r) => {
          expect(reviews(r)).toEqual({ [cluster(REVIEWS)]: 1 });
          expect(
            sidecarClusters(r).filter((name) => name.startsWith('outbound|') && name.split('|')[2] !== ''),
          ).toEqual([]);
        },
      ],
    ];
    for (const [step, text, check] of steps) {
      const rendered = mesh.setRules(text, ['unknown-subset']).render();
      expect({ step, dangling: dangling(rendered) }).toEqual({ step, dangling: [] });
      check(rendered);
    }
  });
});
