import type {
  ConnectionPool,
  DestinationRuleRule,
  LoadBalancerPolicy,
  OutlierDetection,
  TrafficPolicy,
} from '../../model';
import { Fields } from '../fields';
import type { RuleContext } from '../rule-context';
import { legacySubsetName, readIstioService } from './istio-service';

const DESTINATION_POLICY = {
  known: ['destination', 'loadBalancing', 'circuitBreaker'],
  unsupported: {
    source: 'policies for some clients only (source) are not supported',
    custom: 'custom policies are not supported',
  },
} as const;
const LOAD_BALANCING = {
  known: ['name'],
  unsupported: { custom: 'custom load balancers are not supported' },
} as const;
const CIRCUIT_BREAKER = {
  known: ['simpleCb'],
  unsupported: { custom: 'custom circuit breakers are not supported' },
} as const;
const SIMPLE_CB = {
  known: [
    'maxConnections',
    'httpMaxPendingRequests',
    'httpMaxRequests',
    'sleepWindow',
    'httpConsecutiveErrors',
    'httpDetectionInterval',
    'httpMaxRequestsPerConnection',
    'httpMaxEjectionPercent',
    'httpMaxRetries',
  ],
} as const;

const COUNT = { min: 0, max: 2 ** 31 - 1 };

/**
 * A legacy DestinationPolicy as a DestinationRule for its host. With `destination.labels` the
 * policy is a subset's (named from the labels as istioctl named it, so RouteRules routing to
 * those labels use it); without, it is the host's own traffic policy, as it applied to every
 * cluster of the host in Pilot. `simpleCb` maps as Pilot rendered it for Envoy v1:
 * `httpConsecutiveErrors` counted 5xx responses, `sleepWindow` is the ejection time.
 */
export function readDestinationPolicy(ctx: RuleContext, spec: unknown): DestinationRuleRule | undefined {
  const fields = Fields.read(ctx, spec, ['spec'], DESTINATION_POLICY);
  if (!fields) return undefined;
  const destination = fields.require('destination')
    ? readIstioService(ctx, fields.raw('destination'), fields.at('destination'), 'allowed')
    : undefined;
  if (!fields.has('loadBalancing') && !fields.has('circuitBreaker')) {
    ctx.error(fields.path, 'missing-field', 'a DestinationPolicy needs loadBalancing or circuitBreaker');
  }
  const loadBalancer = readLoadBalancing(fields);
  const limits = readCircuitBreaker(fields);
  if (!destination) return undefined;
  const policy: TrafficPolicy = {
    ...(loadBalancer && { loadBalancer }),
    ...(limits?.connectionPool && { connectionPool: limits.connectionPool }),
    ...(limits?.outlierDetection && { outlierDetection: limits.outlierDetection }),
    portLevel: [],
    origin: ctx.origin(['spec']),
  };
  const base = {
    kind: 'DestinationRule',
    identity: ctx.identity,
    host: destination.host,
    language: 'legacy',
  } as const;
  if (!destination.labels) return { ...base, subsets: [], trafficPolicy: policy };
  return {
    ...base,
    subsets: [
      {
        name: legacySubsetName(destination.labels),
        labels: destination.labels,
        trafficPolicy: policy,
        origin: ctx.origin(['spec', 'destination']),
      },
    ],
  };
}

function readLoadBalancing(parent: Fields): LoadBalancerPolicy | undefined {
  const fields = parent.message('loadBalancing', LOAD_BALANCING);
  const name = fields?.oneOf(
    'name',
    ['ROUND_ROBIN', 'LEAST_CONN', 'RANDOM'] as const,
    'load balancing algorithm',
  );
  if (fields && !fields.has('name')) fields.require('name');
  if (name === undefined) return undefined;
  return { kind: 'simple', algorithm: name === 'LEAST_CONN' ? 'LEAST_REQUEST' : name };
}

function readCircuitBreaker(
  parent: Fields,
): { connectionPool?: ConnectionPool; outlierDetection?: OutlierDetection } | undefined {
  const fields = parent.message('circuitBreaker', CIRCUIT_BREAKER);
  const cb = fields?.message('simpleCb', SIMPLE_CB, { required: true });
  if (!cb) return undefined;
  const pool: Record<string, number> = {};
  const outlier: Record<string, number> = {};
  const put = (target: Record<string, number>, key: string, value: number | undefined): void => {
    if (value !== undefined) target[key] = value;
  };
  put(pool, 'maxConnections', cb.integer('maxConnections', COUNT));
  put(pool, 'http1MaxPendingRequests', cb.integer('httpMaxPendingRequests', COUNT));
  put(pool, 'http2MaxRequests', cb.integer('httpMaxRequests', COUNT));
  put(pool, 'maxRequestsPerConnection', cb.integer('httpMaxRequestsPerConnection', COUNT));
  put(pool, 'maxRetries', cb.integer('httpMaxRetries', COUNT));
  put(outlier, 'consecutive5xxErrors', cb.integer('httpConsecutiveErrors', COUNT));
  put(outlier, 'intervalMs', cb.duration('httpDetectionInterval'));
  put(outlier, 'baseEjectionTimeMs', cb.duration('sleepWindow'));
  put(outlier, 'maxEjectionPercent', cb.integer('httpMaxEjectionPercent', { min: 0, max: 100 }));
  return {
    ...(Object.keys(pool).length > 0 && { connectionPool: pool as ConnectionPool }),
    ...(Object.keys(outlier).length > 0 && { outlierDetection: outlier as OutlierDetection }),
  };
}
