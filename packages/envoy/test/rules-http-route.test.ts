import { parseProxyIdentity, type InstanceInput } from '@sextant/core';
import {
  distribution,
  simulateGrpc,
  simulateV3,
  type SimOutcome,
  type SimRequest,
} from '@sextant/testkit/routing';
import {
  bookinfoServices,
  cluster,
  GREETER,
  GREETER_PORT,
  http,
  meshWith,
  NS,
  PRODUCTPAGE_SIDECAR,
  REVIEWS,
  rpc,
  rules,
  to,
  versions,
  virtualService,
  type Json,
  type RulesMesh,
} from './rules-mesh';

/**
 * Gateway API HTTPRoutes attached to a Service (GAMMA), stated as routing outcomes of a v3
 * sidecar: side by side with the VirtualService that says the same, they reach the same
 * endpoints in the same shares. Gateway API has no subsets: each version is its own Service
 * (reviews-v1… over the same instances as the reviews subsets).
 */

const VERSIONS = ['v1', 'v2', 'v3'];
const REVIEWS_SUBSETS = versions(REVIEWS, VERSIONS);

/** bookinfo, plus a Service per reviews version over the instances of that version. */
function services(): NonNullable<Parameters<typeof meshWith>[1]> {
  const perVersion = VERSIONS.map((version, i) => ({
    service: {
      hostname: `reviews-${version}.${NS}`,
      ports: [{ name: 'http', port: 9080, protocol: 'http' as const }],
    },
    instances: [
      {
        address: `10.0.1.1${i + 1}`,
        port: 9080,
        portName: 'http',
        labels: { app: 'reviews', version },
        locality: { region: 'r1', zone: 'z1' },
      } satisfies InstanceInput,
    ],
  }));
  return [...bookinfoServices(), ...perVersion];
}

function httpRoute(name: string, spec: object, metadata: object = {}): object {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { name, ...metadata },
    spec: { parentRefs: [{ group: '', kind: 'Service', name: 'reviews', port: 9080 }], ...spec },
  };
}

function backend(version: string, weight?: number): object {
  return { name: `reviews-${version}`, port: 9080, ...(weight !== undefined && { weight }) };
}

/** Where a request to reviews goes, as `<endpoints> <share>` (cluster names differ between the two). */
function reached(mesh: RulesMesh, request: SimRequest, proxy = PRODUCTPAGE_SIDECAR): string[] {
  const rendered = mesh.render();
  const outcome: SimOutcome = simulateV3(rendered.routes(9080, proxy) as Json, request);
  if (outcome.kind !== 'route') return [outcome.kind];
  return Object.entries(distribution(outcome))
    .map(([name, share]) => `${rendered.endpointsOf(rendered.cluster(name, proxy)).join(',')} ${share}`)
    .sort();
}

const JASON = { cookie: 'a=b;user=jason' };

describe('HTTPRoutes and their VirtualService equivalents', () => {
  it('a weighted split: relative weights reach the same endpoints in the same shares', () => {
    const gateway = meshWith(
      rules(httpRoute('reviews', { rules: [{ backendRefs: [backend('v1', 3), backend('v3')] }] })),
      services(),
    );
    const istio = meshWith(
      rules(
        virtualService('reviews', {
          hosts: ['reviews'],
          http: [{ route: [to('reviews', 'v1', 75), to('reviews', 'v3', 25)] }],
        }),
        REVIEWS_SUBSETS,
      ),
      services(),
    );
    for (const request of [http(REVIEWS), http(REVIEWS, { path: '/reviews/1' })]) {
      expect(reached(gateway, request)).toEqual(reached(istio, request));
    }
    expect(reached(gateway, http(REVIEWS))).toEqual(['10.0.1.11:9080 0.75', '10.0.1.13:9080 0.25']);
  });

  it('a header match: the matching requests reach v2, the rest v1', () => {
    const gateway = meshWith(
      rules(
        httpRoute('reviews', {
          rules: [
            { backendRefs: [backend('v1')] },
            {
              matches: [
                {
                  headers: [
                    { type: 'RegularExpression', name: 'cookie', value: '^(.*?;)?(user=jason)(;.*)?$' },
                  ],
                },
              ],
              backendRefs: [backend('v2')],
            },
          ],
        }),
      ),
      services(),
    );
    const istio = meshWith(
      rules(
        virtualService('reviews', {
          hosts: ['reviews'],
          http: [
            {
              match: [{ headers: { cookie: { regex: '^(.*?;)?(user=jason)(;.*)?$' } } }],
              route: [to('reviews', 'v2')],
            },
            { route: [to('reviews', 'v1')] },
          ],
        }),
        REVIEWS_SUBSETS,
      ),
      services(),
    );
    for (const request of [
      http(REVIEWS, { headers: JASON }),
      http(REVIEWS, { headers: { cookie: 'user=jasonx' } }),
      http(REVIEWS, { path: '/x' }),
    ]) {
      expect(reached(gateway, request)).toEqual(reached(istio, request));
    }
    expect(reached(gateway, http(REVIEWS, { headers: JASON }))).toEqual(['10.0.1.12:9080 1']);
  });

  it('path specificity across two routes: the longer prefix wins whichever route is older; prefixes match whole segments; the rest gets 404', () => {
    const gateway = meshWith(
      rules(
        httpRoute(
          'a-general',
          {
            rules: [
              {
                matches: [{ path: { type: 'PathPrefix', value: '/reviews' } }],
                backendRefs: [backend('v1')],
              },
            ],
          },
          { creationTimestamp: '2026-01-01T00:00:00Z' },
        ),
        httpRoute(
          'b-special',
          {
            rules: [
              {
                matches: [{ path: { type: 'PathPrefix', value: '/reviews/special/' } }],
                backendRefs: [backend('v2')],
              },
              {
                matches: [{ path: { type: 'Exact', value: '/reviews/exact' } }],
                backendRefs: [backend('v3')],
              },
            ],
          },
          { creationTimestamp: '2026-03-01T00:00:00Z' },
        ),
      ),
      services(),
    );
    const istio = meshWith(
      rules(
        virtualService('reviews', {
          hosts: ['reviews'],
          http: [
            { match: [{ uri: { exact: '/reviews/exact' } }], route: [to('reviews', 'v3')] },
            {
              match: [{ uri: { exact: '/reviews/special' } }, { uri: { prefix: '/reviews/special/' } }],
              route: [to('reviews', 'v2')],
            },
            {
              match: [{ uri: { exact: '/reviews' } }, { uri: { prefix: '/reviews/' } }],
              route: [to('reviews', 'v1')],
            },
          ],
        }),
        REVIEWS_SUBSETS,
      ),
      services(),
    );
    const expected: [string, string[]][] = [
      ['/reviews/exact', ['10.0.1.13:9080 1']],
      ['/reviews/special', ['10.0.1.12:9080 1']],
      ['/reviews/special/1', ['10.0.1.12:9080 1']],
      ['/reviews/1', ['10.0.1.11:9080 1']],
      ['/reviews', ['10.0.1.11:9080 1']],
      ['/reviewsx', ['no-route']],
      ['/', ['no-route']],
    ];
    for (const [path, endpoints] of expected) {
      expect([path, reached(gateway, http(REVIEWS, { path }))]).toEqual([path, endpoints]);
      expect([path, reached(istio, http(REVIEWS, { path }))]).toEqual([path, endpoints]);
    }
  });
});

describe('GAMMA attachment', () => {
  const WEB_CLIENT = parseProxyIdentity(`sidecar~10.0.9.9~web-client-1.web~web.svc.cluster.local`);

  it('without an HTTPRoute the Service routes to itself; with one, requests it does not match get 404', () => {
    const none = meshWith('', services());
    expect(reached(none, http(REVIEWS, { path: '/other' }))).toEqual([
      '10.0.1.11:9080,10.0.1.12:9080,10.0.1.13:9080 1',
    ]);
    const attached = meshWith(
      rules(
        httpRoute('reviews', { rules: [{ matches: [{ method: 'GET' }], backendRefs: [backend('v1')] }] }),
      ),
      services(),
    );
    expect(reached(attached, http(REVIEWS, { method: 'GET' }))).toEqual(['10.0.1.11:9080 1']);
    expect(reached(attached, http(REVIEWS, { method: 'POST' }))).toEqual(['no-route']);
  });

  it('a consumer route applies to clients in its namespace instead of the producer route', () => {
    const mesh = meshWith(
      rules(
        httpRoute('producer', { rules: [{ backendRefs: [backend('v1')] }] }),
        httpRoute(
          'consumer',
          {
            parentRefs: [{ group: 'core', kind: 'Service', name: 'reviews', namespace: 'default' }],
            rules: [
              {
                matches: [{ path: { type: 'PathPrefix', value: '/beta' } }],
                backendRefs: [{ name: 'reviews-v3', namespace: 'default', port: 9080 }],
              },
            ],
          },
          { namespace: 'web' },
        ),
      ),
      services(),
    );
    // From another namespace, clients call reviews.default.
    const fromWeb = (path: string) => ({ authority: 'reviews.default:9080', path });
    expect(reached(mesh, fromWeb('/beta/1'), WEB_CLIENT)).toEqual(['10.0.1.13:9080 1']);
    // The consumer route's own 404: the producer route does not apply to its namespace.
    expect(reached(mesh, fromWeb('/other'), WEB_CLIENT)).toEqual(['no-route']);
    expect(reached(mesh, http(REVIEWS, { path: '/beta/1' }))).toEqual(['10.0.1.11:9080 1']);
  });
});

describe('HTTPRoutes for proxyless gRPC clients', () => {
  it('an RPC its routes match reaches the backend; any other fails as no route (UNAVAILABLE), for both clients', () => {
    const mesh = meshWith(
      rules({
        apiVersion: 'gateway.networking.k8s.io/v1',
        kind: 'HTTPRoute',
        metadata: { name: 'greeter' },
        spec: {
          parentRefs: [{ group: '', kind: 'Service', name: 'greeter' }],
          rules: [
            {
              matches: [{ path: { type: 'Exact', value: '/helloworld.Greeter/SayHello' } }],
              backendRefs: [{ name: 'greeter', port: GREETER_PORT }],
            },
          ],
        },
      }),
      services(),
    );
    const listener = mesh.render().grpcListener(`${GREETER}:${GREETER_PORT}`);
    for (const client of ['grpc-js', 'grpc-core'] as const) {
      expect(distribution(simulateGrpc(listener, rpc(GREETER), { client }))).toEqual({
        [cluster(GREETER)]: 1,
      });
      const other = simulateGrpc(listener, rpc(GREETER, { path: '/helloworld.Greeter/SayGoodbye' }), {
        client,
      });
      expect(other.kind).toBe('no-route');
    }
  });
});
