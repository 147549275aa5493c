import {
  destinationRule,
  GREETER,
  RATINGS,
  REVIEWS,
  rules,
  to,
  versions,
  virtualService,
} from './rules-mesh';

/** Rule sets spanning what the rules language can say, for the "never refused" sweep. */
export const RULE_SETS: Record<string, string> = {
  'no rules': rules(),
  'bookinfo and greeter splits with subsets': rules(
    virtualService('reviews', {
      hosts: ['reviews'],
      http: [
        { match: [{ headers: { 'end-user': { exact: 'jason' } } }], route: [to('reviews', 'v2')] },
        { route: [to('reviews', 'v1', 1), to('reviews', 'v2', 1), to('reviews', 'v3', 1)] },
      ],
    }),
    versions(REVIEWS, ['v1', 'v2', 'v3']),
    virtualService('greeter', {
      hosts: [GREETER],
      http: [{ route: [to(GREETER, 'v1', 7), to(GREETER, 'v2', 13)] }],
    }),
    versions(GREETER, ['v1', 'v2']),
  ),
  'every kind of match, action and setting': rules(
    virtualService('reviews', {
      hosts: ['reviews'],
      http: [
        { match: [{ uri: { exact: '/reviews/exact' }, ignoreUriCase: true }], route: [to('details')] },
        { match: [{ uri: { regex: '/reviews/[0-9]+' } }], route: [to('reviews', 'v1')], timeout: '1s' },
        { match: [{ uri: { prefix: '/a/b/c' } }], route: [to('ratings')], retries: { attempts: 0 } },
        {
          match: [{ method: { exact: 'POST' }, authority: { prefix: 'rev' } }],
          route: [to('reviews', 'v2')],
        },
        { match: [{ queryParams: { preview: { exact: 'on' } } }], route: [to('reviews', 'v3')] },
        { match: [{ uri: { prefix: '/old' } }], redirect: { uri: '/new', redirectCode: 302 } },
        { match: [{ uri: { prefix: '/teapot' } }], directResponse: { status: 418, body: { string: 'tea' } } },
        {
          match: [{ uri: { prefix: '/api' } }],
          rewrite: { uri: '/', authority: 'reviews.internal' },
          route: [to('reviews', 'v1', 90), to('reviews', 'v2', 10)],
          fault: { abort: { percentage: { value: 1 }, httpStatus: 503 } },
          retries: { attempts: 2, perTryTimeout: '100ms', retryOn: '5xx,unavailable' },
          mirror: { host: 'ratings' },
          corsPolicy: { allowOrigins: [{ prefix: 'https://' }], allowMethods: ['GET'], maxAge: '1m' },
          headers: { request: { set: { 'x-a': 'b' }, remove: ['x-c'] } },
        },
        {
          match: [
            {
              withoutHeaders: { cookie: { regex: '.*session=.*' } },
              sourceLabels: { app: 'greeter-client' },
            },
          ],
          route: [to('reviews', 'v3')],
        },
        { route: [to('reviews', 'v1')], fault: { delay: { percentage: { value: 0 }, fixedDelay: '1s' } } },
      ],
    }),
    versions(REVIEWS, ['v1', 'v2', 'v3'], {
      loadBalancer: { consistentHash: { httpCookie: { name: 's', ttl: '0s' } } },
    }),
    virtualService('greeter', {
      hosts: [GREETER],
      http: [
        {
          match: [{ uri: { prefix: '/helloworld.Greeter/' }, headers: { 'x-user': { regex: 'a.*' } } }],
          route: [to(GREETER, 'v2')],
          timeout: '3s',
          retries: { attempts: 9, retryOn: 'deadline-exceeded,internal' },
        },
        {
          match: [{ uri: { exact: '/helloworld.Greeter/SayHello' } }],
          route: [to(GREETER, 'v1', 2), to(GREETER, 'v2', 1)],
          fault: { delay: { percentage: { value: 12.5 }, fixedDelay: '10ms' } },
        },
      ],
    }),
    versions(GREETER, ['v1', 'v2'], {
      loadBalancer: { consistentHash: { useSourceIp: true } },
      connectionPool: { tcp: { maxConnections: 1 } },
      outlierDetection: { consecutiveGatewayErrors: 2 },
    }),
  ),
  'traffic policies, mirrors and an external host': rules(
    destinationRule('ratings', {
      host: RATINGS,
      trafficPolicy: {
        loadBalancer: { simple: 'RANDOM' },
        connectionPool: {
          tcp: { maxConnections: 5, connectTimeout: '100ms' },
          http: {
            http1MaxPendingRequests: 1,
            http2MaxRequests: 2,
            maxRequestsPerConnection: 3,
            idleTimeout: '30s',
          },
        },
        outlierDetection: {
          consecutive5xxErrors: 0,
          interval: '5s',
          baseEjectionTime: '30s',
          minHealthPercent: 50,
        },
        portLevelSettings: [{ port: { number: 9080 }, loadBalancer: { simple: 'LEAST_REQUEST' } }],
      },
      subsets: [
        {
          name: 'v1',
          labels: { version: 'v1' },
          trafficPolicy: {
            loadBalancer: {
              consistentHash: { httpHeaderName: 'x-user', ringHash: { minimumRingSize: 16777216 } },
            },
          },
        },
        {
          name: 'v2',
          labels: { version: 'v2' },
          trafficPolicy: {
            loadBalancer: { consistentHash: { httpQueryParameterName: 'user', maglev: { tableSize: 251 } } },
          },
        },
      ],
    }),
    virtualService('ratings', {
      hosts: ['ratings'],
      http: [
        {
          route: [to('ratings', 'v1', 50), to('ratings', 'v2', 50)],
          mirrors: [{ destination: { host: 'api.partner.example' }, percentage: { value: 2.5 } }],
        },
      ],
    }),
    {
      apiVersion: 'networking.istio.io/v1',
      kind: 'ServiceEntry',
      metadata: { name: 'partner-api' },
      spec: {
        hosts: ['api.partner.example'],
        location: 'MESH_EXTERNAL',
        ports: [{ number: 9080, name: 'http', protocol: 'HTTP' }],
        resolution: 'STATIC',
        endpoints: [{ address: '203.0.113.10' }, { address: '203.0.113.11' }],
      },
    },
  ),
  'legacy RouteRules': rules(
    {
      apiVersion: 'config.istio.io/v1alpha2',
      kind: 'RouteRule',
      metadata: { name: 'greeter-default' },
      spec: { destination: { name: 'greeter' }, precedence: 1, route: [{ labels: { version: 'v1' } }] },
    },
    {
      apiVersion: 'config.istio.io/v1alpha2',
      kind: 'RouteRule',
      metadata: { name: 'greeter-jason' },
      spec: {
        destination: { name: 'greeter' },
        precedence: 2,
        match: { request: { headers: { 'x-user': { exact: 'jason' } } } },
        route: [
          { labels: { version: 'v1' }, weight: 25 },
          { labels: { version: 'v2' }, weight: 75 },
        ],
        httpFault: { delay: { percent: 10, fixedDelay: '1s' } },
        httpReqRetries: { simpleRetry: { attempts: 3 } },
      },
    },
  ),
};
