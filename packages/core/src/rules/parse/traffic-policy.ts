import type { FieldPath } from '../../schema/path';
import { showValue } from '../../schema/show-value';
import type {
  ConnectionPool,
  LoadBalancerPolicy,
  OutlierDetection,
  TrafficPolicy,
  UpstreamTls,
} from '../model';
import { Fields, type MessageSpec } from './fields';

const POLICY_PARTS = ['loadBalancer', 'connectionPool', 'outlierDetection', 'tls'] as const;

const TRAFFIC_POLICY: MessageSpec = {
  known: [...POLICY_PARTS, 'portLevelSettings'],
  unsupported: {
    tunnel: 'tunnelling to the upstream (tunnel) is not supported',
    proxyProtocol: 'sending the PROXY protocol (proxyProtocol) is not supported',
    retryBudget: 'retry budgets are not supported',
  },
};
const PORT_POLICY: MessageSpec = { known: ['port', ...POLICY_PARTS] };
const PORT_SELECTOR: MessageSpec = { known: ['number'] };
const LOAD_BALANCER: MessageSpec = {
  known: ['simple', 'consistentHash'],
  unsupported: {
    localityLbSetting: 'locality load balancing settings are not supported',
    warmupDurationSecs: 'slow start (warmupDurationSecs) is not supported',
    warmup: 'slow start (warmup) is not supported',
  },
};
const CONSISTENT_HASH: MessageSpec = {
  known: [
    'httpHeaderName',
    'httpCookie',
    'useSourceIp',
    'httpQueryParameterName',
    'ringHash',
    'maglev',
    'minimumRingSize',
  ],
};
const HASH_KEYS = ['httpHeaderName', 'httpCookie', 'useSourceIp', 'httpQueryParameterName'];
const HTTP_COOKIE: MessageSpec = {
  known: ['name', 'path', 'ttl'],
  unsupported: { attributes: 'cookie attributes are not supported' },
};
const CONNECTION_POOL: MessageSpec = { known: ['tcp', 'http'] };
const TCP_SETTINGS: MessageSpec = {
  known: ['maxConnections', 'connectTimeout'],
  unsupported: {
    tcpKeepalive: 'TCP keepalive settings are not supported',
    maxConnectionDuration: 'maxConnectionDuration is not supported',
    idleTimeout: 'a TCP idle timeout is not supported (connectionPool.http.idleTimeout is)',
  },
};
const HTTP_SETTINGS: MessageSpec = {
  known: [
    'http1MaxPendingRequests',
    'http2MaxRequests',
    'maxRequestsPerConnection',
    'maxRetries',
    'idleTimeout',
  ],
  unsupported: {
    h2UpgradePolicy: 'h2UpgradePolicy is not supported: the port protocol decides HTTP/2',
    useClientProtocol: 'useClientProtocol is not supported: the port protocol decides HTTP/2',
    maxConcurrentStreams: 'maxConcurrentStreams is not supported',
  },
};
const OUTLIER_DETECTION: MessageSpec = {
  known: [
    'consecutive5xxErrors',
    'consecutiveGatewayErrors',
    'consecutiveErrors',
    'interval',
    'baseEjectionTime',
    'maxEjectionPercent',
    'minHealthPercent',
    'http',
  ],
  unsupported: {
    splitExternalLocalOriginErrors: 'splitting local-origin errors is not supported',
    consecutiveLocalOriginFailures: 'consecutiveLocalOriginFailures is not supported',
  },
};
/** Istio 0.8's shape (`outlierDetection.http.*`), flattened before 1.0. */
const OUTLIER_HTTP_08: MessageSpec = {
  known: ['consecutiveErrors', 'interval', 'baseEjectionTime', 'maxEjectionPercent'],
};
const TLS: MessageSpec = {
  known: ['mode', 'clientCertificate', 'privateKey', 'caCertificates', 'subjectAltNames', 'sni'],
  unsupported: {
    credentialName: 'certificates from Kubernetes secrets (credentialName) are not supported: give the files',
    insecureSkipVerify: 'insecureSkipVerify is not supported',
    caCrl: 'certificate revocation lists (caCrl) are not supported',
  },
};

const INT32_MAX = 2 ** 31 - 1;
const COUNT = { min: 0, max: INT32_MAX };
/** Envoy's largest Maglev table; its size must be prime. */
const MAX_MAGLEV_TABLE = 5_000_011;

/** A TrafficPolicy at `parent.<name>` (a DestinationRule's, or a subset's). */
export function readTrafficPolicy(parent: Fields, name: string): TrafficPolicy | undefined {
  const fields = parent.message(name, TRAFFIC_POLICY);
  if (!fields) return undefined;
  if (fields.names().length === 0) {
    fields.ctx.error(fields.path, 'missing-field', 'traffic policy must have at least one field');
  }
  const portLevel: TrafficPolicy['portLevel'][number][] = [];
  const ports = new Set<number>();
  for (const item of fields.list('portLevelSettings')) {
    const port = readPortPolicy(fields, item.value, item.path);
    if (!port) continue;
    if (ports.has(port.port)) {
      fields.ctx.error(item.path, 'duplicate-port', `port ${port.port} has two portLevelSettings`);
      continue;
    }
    ports.add(port.port);
    portLevel.push(port);
  }
  return { ...readParts(fields), portLevel, origin: fields.ctx.origin(fields.path) };
}

function readPortPolicy(
  parent: Fields,
  value: unknown,
  path: FieldPath,
): TrafficPolicy['portLevel'][number] | undefined {
  const fields = Fields.read(parent.ctx, value, path, PORT_POLICY);
  if (!fields) return undefined;
  const selector = fields.message('port', PORT_SELECTOR, { required: true });
  const port = selector?.integer('number', { min: 1, max: 65535, required: true });
  if (!POLICY_PARTS.some((part) => fields.has(part))) {
    fields.ctx.error(
      fields.path,
      'missing-field',
      'port level settings need loadBalancer, connectionPool, outlierDetection or tls',
    );
  }
  if (port === undefined) return undefined;
  return { port, ...readParts(fields), origin: fields.ctx.origin(fields.path) };
}

function readParts(fields: Fields): Omit<TrafficPolicy, 'portLevel' | 'origin'> {
  const loadBalancer = readLoadBalancer(fields);
  const connectionPool = readConnectionPool(fields);
  const outlierDetection = readOutlierDetection(fields);
  const tls = readTls(fields);
  return {
    ...(loadBalancer && { loadBalancer }),
    ...(connectionPool && { connectionPool }),
    ...(outlierDetection && { outlierDetection }),
    ...(tls && { tls }),
  };
}

function readLoadBalancer(parent: Fields): LoadBalancerPolicy | undefined {
  const fields = parent.message('loadBalancer', LOAD_BALANCER);
  if (!fields) return undefined;
  const ctx = fields.ctx;
  if (fields.has('simple') && fields.has('consistentHash')) {
    ctx.error(
      fields.at('consistentHash'),
      'conflicting-fields',
      'a load balancer is simple or consistentHash, not both',
      { atKey: true },
    );
    return undefined;
  }
  if (fields.has('simple')) {
    const simple = fields.oneOf(
      'simple',
      ['UNSPECIFIED', 'ROUND_ROBIN', 'LEAST_REQUEST', 'LEAST_CONN', 'RANDOM', 'PASSTHROUGH'] as const,
      'load balancing algorithm',
    );
    if (simple === undefined || simple === 'UNSPECIFIED') return undefined;
    if (simple === 'LEAST_CONN') {
      ctx.warn(fields.at('simple'), 'deprecated-field', 'LEAST_CONN is deprecated: read as LEAST_REQUEST');
      return { kind: 'simple', algorithm: 'LEAST_REQUEST' };
    }
    return { kind: 'simple', algorithm: simple };
  }
  const hash = fields.message('consistentHash', CONSISTENT_HASH);
  if (!hash) {
    if (!fields.has('consistentHash'))
      ctx.error(fields.path, 'missing-field', 'a load balancer needs simple or consistentHash');
    return undefined;
  }
  const keys = HASH_KEYS.filter((key) => hash.has(key));
  if (keys.length !== 1) {
    ctx.error(
      hash.path,
      keys.length === 0 ? 'missing-field' : 'conflicting-fields',
      `a consistent hash takes one of ${HASH_KEYS.join(', ')}`,
    );
    return undefined;
  }
  const hashOn = readHashKey(hash);
  const ring = readRing(hash);
  if (!hashOn || !ring) return undefined;
  return { kind: 'consistent-hash', hashOn, ring };
}

function readHashKey(
  hash: Fields,
): Extract<LoadBalancerPolicy, { kind: 'consistent-hash' }>['hashOn'] | undefined {
  const header = hash.string('httpHeaderName', { nonEmpty: true });
  if (header !== undefined) return { header: header.toLowerCase() };
  const query = hash.string('httpQueryParameterName', { nonEmpty: true });
  if (query !== undefined) return { queryParameter: query };
  if (hash.has('useSourceIp')) {
    const sourceIp = hash.boolean('useSourceIp');
    if (sourceIp === false)
      hash.ctx.error(hash.at('useSourceIp'), 'invalid-value', 'useSourceIp: false hashes on nothing');
    return sourceIp ? { sourceIp: true } : undefined;
  }
  const cookie = hash.message('httpCookie', HTTP_COOKIE);
  if (!cookie) return undefined;
  const name = cookie.string('name', { required: true, nonEmpty: true });
  const path = cookie.string('path');
  const ttlMs = cookie.duration('ttl', 'allowed');
  if (name === undefined) return undefined;
  return { cookie: { name, ...(path !== undefined && { path }), ...(ttlMs !== undefined && { ttlMs }) } };
}

function readRing(
  hash: Fields,
): Extract<LoadBalancerPolicy, { kind: 'consistent-hash' }>['ring'] | undefined {
  const ctx = hash.ctx;
  const given = ['ringHash', 'maglev', 'minimumRingSize'].filter((field) => hash.has(field));
  if (given.length > 1) {
    ctx.error(hash.at(given[1] ?? ''), 'conflicting-fields', `give one of ${given.join(', ')}`, {
      atKey: true,
    });
    return undefined;
  }
  if (hash.has('minimumRingSize')) {
    const size = hash.integer('minimumRingSize', { min: 1, max: Number.MAX_SAFE_INTEGER });
    if (size === undefined) return undefined;
    ctx.warn(
      hash.at('minimumRingSize'),
      'deprecated-field',
      `minimumRingSize is deprecated: read as ringHash: { minimumRingSize: ${size} }`,
      {
        atKey: true,
      },
    );
    return { kind: 'ring-hash', minimumRingSize: size };
  }
  const maglev = hash.message('maglev', { known: ['tableSize'] });
  if (maglev) {
    const tableSize = maglev.integer('tableSize', { min: 1, max: MAX_MAGLEV_TABLE - 1 });
    if (tableSize !== undefined && !isPrime(tableSize)) {
      ctx.error(
        maglev.at('tableSize'),
        'invalid-value',
        `a Maglev table size must be prime (${tableSize} is not)`,
      );
      return undefined;
    }
    return { kind: 'maglev', ...(tableSize !== undefined && { tableSize }) };
  }
  const ringHash = hash.message('ringHash', { known: ['minimumRingSize'] });
  const minimumRingSize = ringHash?.integer('minimumRingSize', { min: 1, max: Number.MAX_SAFE_INTEGER });
  return { kind: 'ring-hash', ...(minimumRingSize !== undefined && { minimumRingSize }) };
}

function isPrime(n: number): boolean {
  if (n < 2) return false;
  for (let d = 2; d * d <= n; d += 1) if (n % d === 0) return false;
  return true;
}

function readConnectionPool(parent: Fields): ConnectionPool | undefined {
  const fields = parent.message('connectionPool', CONNECTION_POOL);
  if (!fields) return undefined;
  const tcp = fields.message('tcp', TCP_SETTINGS);
  const http = fields.message('http', HTTP_SETTINGS);
  const pool: ConnectionPool = {
    ...defined('maxConnections', tcp?.integer('maxConnections', COUNT)),
    ...defined('connectTimeoutMs', tcp?.duration('connectTimeout')),
    ...defined('http1MaxPendingRequests', http?.integer('http1MaxPendingRequests', COUNT)),
    ...defined('http2MaxRequests', http?.integer('http2MaxRequests', COUNT)),
    ...defined('maxRequestsPerConnection', http?.integer('maxRequestsPerConnection', COUNT)),
    ...defined('maxRetries', http?.integer('maxRetries', COUNT)),
    ...defined('idleTimeoutMs', http?.duration('idleTimeout', 'allowed')),
  };
  return pool;
}

function readOutlierDetection(parent: Fields): OutlierDetection | undefined {
  const fields = parent.message('outlierDetection', OUTLIER_DETECTION);
  if (!fields) return undefined;
  const ctx = fields.ctx;
  const old = fields.message('http', OUTLIER_HTTP_08);
  if (old) {
    const clashes = old
      .names()
      .filter((name) => fields.has(name === 'consecutiveErrors' ? 'consecutive5xxErrors' : name));
    if (clashes.length > 0) {
      ctx.error(
        fields.at('http'),
        'conflicting-fields',
        `outlierDetection.http repeats ${clashes.join(', ')}: give each once`,
        { atKey: true },
      );
      return undefined;
    }
    ctx.warn(
      fields.at('http'),
      'deprecated-field',
      "outlierDetection.http is Istio 0.8's shape: read as outlierDetection.consecutive5xxErrors (from consecutiveErrors, which 0.8 sent to Envoy as consecutive 5xx), interval, baseEjectionTime and maxEjectionPercent",
      { atKey: true },
    );
  }
  let consecutiveGatewayErrors = fields.integer('consecutiveGatewayErrors', COUNT);
  if (fields.has('consecutiveErrors')) {
    const legacy = fields.integer('consecutiveErrors', COUNT);
    if (fields.has('consecutiveGatewayErrors')) {
      ctx.error(
        fields.at('consecutiveErrors'),
        'conflicting-fields',
        'give consecutiveGatewayErrors or the deprecated consecutiveErrors, not both',
        {
          atKey: true,
        },
      );
    } else if (legacy !== undefined) {
      ctx.warn(
        fields.at('consecutiveErrors'),
        'deprecated-field',
        'consecutiveErrors is deprecated and Istio ignores it since 1.7; Sextant applies it as documented ' +
          `(502, 503 and 504 count): read as consecutiveGatewayErrors: ${legacy}. Write consecutiveGatewayErrors or consecutive5xxErrors`,
        { atKey: true },
      );
      consecutiveGatewayErrors = legacy;
    }
  }
  // With the 0.8 shape, its fields stand for the flat ones (which, as checked, are not given too).
  const source = old ?? fields;
  return {
    ...defined(
      'consecutive5xxErrors',
      source.integer(old ? 'consecutiveErrors' : 'consecutive5xxErrors', COUNT),
    ),
    ...defined('consecutiveGatewayErrors', consecutiveGatewayErrors),
    ...defined('intervalMs', source.duration('interval')),
    ...defined('baseEjectionTimeMs', source.duration('baseEjectionTime')),
    ...defined('maxEjectionPercent', source.integer('maxEjectionPercent', { min: 0, max: 100 })),
    ...defined('minHealthPercent', fields.integer('minHealthPercent', { min: 0, max: 100 })),
  };
}

function readTls(parent: Fields): UpstreamTls | undefined {
  const fields = parent.message('tls', TLS);
  if (!fields) return undefined;
  const mode = fields.oneOf('mode', ['DISABLE', 'SIMPLE', 'MUTUAL', 'ISTIO_MUTUAL'] as const, 'TLS mode');
  if (!fields.has('mode')) fields.require('mode');
  const clientCertificate = fields.string('clientCertificate', { nonEmpty: true });
  const privateKey = fields.string('privateKey', { nonEmpty: true });
  const caCertificates = fields.string('caCertificates', { nonEmpty: true });
  const subjectAltNames = fields.strings('subjectAltNames', { nonEmpty: true }).map((item) => item.value);
  const sni = fields.string('sni', { nonEmpty: true });
  if (mode === undefined) return undefined;
  if (mode === 'MUTUAL') {
    for (const field of ['clientCertificate', 'privateKey']) {
      if (!fields.has(field))
        fields.ctx.error(fields.at(field), 'missing-field', `MUTUAL TLS needs ${field}`);
    }
  }
  if (mode === 'DISABLE' || mode === 'ISTIO_MUTUAL') {
    // Istio's mTLS brings its own certificates; plain text needs none.
    const ignored = mode === 'DISABLE' ? ['subjectAltNames', 'sni'] : [];
    const files = ['clientCertificate', 'privateKey', 'caCertificates', ...ignored].filter((field) =>
      fields.has(field),
    );
    if (files.length > 0) {
      fields.ctx.error(
        fields.at(files[0] ?? ''),
        'conflicting-fields',
        `${files.join(', ')} cannot be given with mode ${showValue(mode)}`,
        {
          atKey: true,
        },
      );
    }
  }
  return {
    mode,
    ...defined('clientCertificate', clientCertificate),
    ...defined('privateKey', privateKey),
    ...defined('caCertificates', caCertificates),
    subjectAltNames,
    ...defined('sni', sni),
  };
}

/** `{ [key]: value }` when value is defined, else `{}`: spreads only what was given. */
function defined<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
