import { simulateV3 } from '@sextant/testkit/routing';
import { RULE_SETS } from './rule-sets';
import {
  clustersNamedBy,
  GRPC_CLIENT,
  managers,
  meshWith,
  PRODUCTPAGE_SIDECAR,
  REVIEWS_V2_SIDECAR,
} from './rules-mesh';

/**
 * Every resource rendered with rules, for a sidecar and for a proxyless gRPC client, is one its
 * client takes: `everything()` checks each as it is handed out (only fields its message defines,
 * protoc-gen-validate rules, a proto3 JSON round trip through the loaded protos), and no route
 * names a cluster the client is not sent.
 */
describe.each(Object.keys(RULE_SETS))('%s', (name) => {
  const rendered = meshWith(RULE_SETS[name] ?? '').render();

  it('every v3 resource of two sidecars is valid, and Envoy accepts the routes', () => {
    for (const sidecar of [PRODUCTPAGE_SIDECAR, REVIEWS_V2_SIDECAR]) {
      const sent = rendered.everything(sidecar, 'v3');
      expect(sent.listeners.length).toBeGreaterThan(0);
      expect(sent.routes.length).toBeGreaterThan(0);
      expect(sent.endpoints.length).toBeGreaterThan(0);
      const clusters = new Set(sent.clusters.map((c) => c.name as string));
      for (const named of clustersNamedBy(sent.routes)) expect(clusters).toContain(named);
      for (const table of sent.routes) {
        const outcome = simulateV3(table, { authority: 'reviews:9080', path: '/' });
        expect(outcome.kind === 'invalid' && outcome.reasons).toBe(false);
      }
    }
  });

  it('every resource of a gRPC client is valid', () => {
    const sent = rendered.everything(GRPC_CLIENT, 'grpc');
    expect(sent.listeners.length).toBeGreaterThan(0);
    const routes = sent.listeners.flatMap((l) =>
      managers(l).map((m) => m.route_config as Record<string, unknown>),
    );
    for (const named of clustersNamedBy(routes))
      expect(rendered.hasCluster(named, GRPC_CLIENT, 'grpc')).toBe(true);
    for (const named of clustersNamedBy(routes)) rendered.cluster(named, GRPC_CLIENT, 'grpc');
  });
});
