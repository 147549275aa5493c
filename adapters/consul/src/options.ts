import { PROTOCOLS, type Protocol } from '@sextant/core';

/** How an instance's checks decide its health: `passing-or-warning` also lets `warning` serve. */
export type HealthRule = 'passing' | 'passing-or-warning';

/** A consul adapter's entry in the daemon config, besides `name` and `type` (docs/adapters/consul.md). */
export interface ConsulAdapterOptions {
  /** The agent's HTTP API, `http://host:port` or `https://…`. Default: CONSUL_HTTP_ADDR, else http://127.0.0.1:8500. */
  readonly address?: string;
  /** ACL token. Default: CONSUL_HTTP_TOKEN. Never logged. */
  readonly token?: string;
  /** File holding the ACL token, re-read when Consul refuses it. Default: CONSUL_HTTP_TOKEN_FILE. */
  readonly tokenFile?: string;
  readonly tls?: ConsulTlsOptions;
  /** Datacenters to serve; default the agent's own; `["*"]` every datacenter, watched for additions. */
  readonly datacenters?: readonly string[];
  readonly services?: ServiceSelection;
  readonly health?: HealthRule;
  /** Protocol of services that declare none (tag or meta `protocol`). */
  readonly defaultProtocol?: Protocol;
  /** How long one blocking query may wait for a change. */
  readonly wait?: string;
  /** Hostname of a Consul service: `{service}` and `{dc}` are replaced. */
  readonly hostname?: string;
  /** Bound on requests (and so sockets) open to the agent at once. */
  readonly maxConcurrentRequests?: number;
  /** With more services than request slots, every service is re-read at least this often. */
  readonly maxStaleness?: string;
  /** With `datacenters: ["*"]`, how often the list of datacenters is re-read. */
  readonly datacenterRefresh?: string;
}

export interface ConsulTlsOptions {
  /** PEM file of the CA that signed the agent's certificate. Default: CONSUL_CACERT. */
  readonly ca?: string;
  /** PEM client certificate, for agents with verify_incoming. Default: CONSUL_CLIENT_CERT. */
  readonly cert?: string;
  /** PEM key of the client certificate. Default: CONSUL_CLIENT_KEY. */
  readonly key?: string;
  /** Name to verify the agent's certificate against. Default: CONSUL_TLS_SERVER_NAME, else the address's host. */
  readonly serverName?: string;
}

/** Which Consul services become mesh services: names and tags, as globs (`*`, `?`). */
export interface ServiceSelection {
  /** Only these names (default: every name). */
  readonly include?: readonly string[];
  /** Never these names (default `["consul"]`, the servers' own RPC service). */
  readonly exclude?: readonly string[];
  /** Only instances with at least one of these tags (and only services where some instance has one). */
  readonly includeTags?: readonly string[];
  /** Never instances with one of these tags. */
  readonly excludeTags?: readonly string[];
}

export const DEFAULTS = {
  address: 'http://127.0.0.1:8500',
  health: 'passing',
  defaultProtocol: 'http',
  wait: '5m',
  hostname: '{service}.service.{dc}.consul',
  maxConcurrentRequests: 100,
  maxStaleness: '30s',
  datacenterRefresh: '1m',
  exclude: ['consul'],
} as const;

const globs = { type: 'array', items: { type: 'string', minLength: 1 } };

export const consulAdapterOptionsSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  type: 'object',
  additionalProperties: false,
  properties: {
    address: {
      type: 'string',
      format: 'http-url',
      description: 'The agent HTTP API (default CONSUL_HTTP_ADDR, else http://127.0.0.1:8500).',
    },
    token: { type: 'string', minLength: 1, description: 'ACL token (default CONSUL_HTTP_TOKEN).' },
    tokenFile: {
      type: 'string',
      minLength: 1,
      description:
        'File holding the ACL token (default CONSUL_HTTP_TOKEN_FILE); relative to the config file.',
    },
    tls: {
      type: 'object',
      additionalProperties: false,
      properties: {
        ca: { type: 'string', minLength: 1 },
        cert: { type: 'string', minLength: 1 },
        key: { type: 'string', minLength: 1 },
        serverName: { type: 'string', minLength: 1 },
      },
    },
    datacenters: {
      type: 'array',
      items: { type: 'string', pattern: '^(\\*|[A-Za-z0-9][A-Za-z0-9_-]*)$' },
      description: 'Datacenters to serve (default: the agent’s own); ["*"] for every datacenter.',
    },
    services: {
      type: 'object',
      additionalProperties: false,
      properties: { include: globs, exclude: globs, includeTags: globs, excludeTags: globs },
    },
    health: { enum: ['passing', 'passing-or-warning'], default: DEFAULTS.health },
    defaultProtocol: { enum: [...PROTOCOLS], default: DEFAULTS.defaultProtocol },
    wait: { type: 'string', format: 'duration', default: DEFAULTS.wait },
    hostname: {
      type: 'string',
      default: DEFAULTS.hostname,
      // Must name the service, and may use no placeholder but {service} and {dc}.
      allOf: [{ pattern: '\\{service\\}' }, { pattern: '^(?:[^{}]|\\{service\\}|\\{dc\\})+$' }],
    },
    maxConcurrentRequests: { type: 'integer', minimum: 4, default: DEFAULTS.maxConcurrentRequests },
    maxStaleness: { type: 'string', format: 'duration', default: DEFAULTS.maxStaleness },
    datacenterRefresh: { type: 'string', format: 'duration', default: DEFAULTS.datacenterRefresh },
  },
  // Services of several datacenters need {dc} in their hostname, or two would share one name.
  if: {
    required: ['datacenters'],
    properties: { datacenters: { anyOf: [{ minItems: 2 }, { contains: { const: '*' } }] } },
  },
  then: { properties: { hostname: { pattern: '\\{dc\\}' } } },
} as const;
