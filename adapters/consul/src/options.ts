import {
  rateLimitOptionsSchema,
  serviceSelectionSchema,
  tlsOptionsSchema,
  tokenOptionsSchema,
  type RateLimitOptions,
  type ServiceSelectionOptions,
  type TlsOptions,
} from '@sextant/adapter-kit';
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
  /**
   * All watches together: re-reads after a blocking query answered early, `burst` back to back,
   * then one per `interval`. Default 100 and `20ms` (50 a second).
   */
  readonly rateLimit?: RateLimitOptions;
  /** With `datacenters: ["*"]`, how often the list of datacenters is re-read. */
  readonly datacenterRefresh?: string;
  /** Traffic rules stored in Consul (docs/adapters/consul.md, "Traffic rules"). */
  readonly rules?: ConsulRulesOptions;
}

/** Where the adapter reads traffic rules in Consul (docs/adapters/consul.md, "Traffic rules"). */
export interface ConsulRulesOptions {
  /**
   * Read every key under this KV prefix (`sextant/rules/`) of the agent's datacenter, one rule
   * document (YAML or JSON) per key, and offer the prefix as the Rules API's store. Absent: no KV.
   */
  readonly kvPrefix?: string;
  /**
   * Translate Consul's own service-router, service-splitter, service-resolver and service-defaults
   * config entries into traffic rules (origin `config-entries`). Default false.
   */
  readonly configEntries?: boolean;
}

/**
 * TLS to the agent. Defaults: `ca` CONSUL_CACERT, `cert` CONSUL_CLIENT_CERT (for agents with
 * verify_incoming), `key` CONSUL_CLIENT_KEY, `serverName` CONSUL_TLS_SERVER_NAME, else the
 * address's host.
 */
export type ConsulTlsOptions = TlsOptions;

/**
 * Which Consul services become mesh services: names and tags, as globs (`*`, `?`). `exclude`
 * defaults to `["consul"]`, the servers' own RPC service (DEFAULTS.exclude).
 */
export type ServiceSelection = ServiceSelectionOptions;

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
  // Room for a write that wakes a hundred watches at once, and for a steady 50 wake-ups a
  // second across the catalog; Consul's agents answer far more.
  rateLimit: { burst: 100, interval: '20ms' },
} as const;

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
    ...tokenOptionsSchema({
      token: 'ACL token (default CONSUL_HTTP_TOKEN).',
      tokenFile: 'File holding the ACL token (default CONSUL_HTTP_TOKEN_FILE); relative to the config file.',
    }),
    tls: tlsOptionsSchema,
    datacenters: {
      type: 'array',
      items: {
        type: 'string',
        pattern: '^(\\*|[A-Za-z0-9][A-Za-z0-9_-]*)$',
        patternDescription: 'a datacenter name (letters, digits, "_" and "-") or "*"',
      },
      description: 'Datacenters to serve (default: the agent’s own); ["*"] for every datacenter.',
    },
    services: serviceSelectionSchema,
    health: { enum: ['passing', 'passing-or-warning'], default: DEFAULTS.health },
    defaultProtocol: { enum: [...PROTOCOLS], default: DEFAULTS.defaultProtocol },
    wait: { type: 'string', format: 'duration', default: DEFAULTS.wait },
    hostname: {
      type: 'string',
      default: DEFAULTS.hostname,
      // Must name the service, and may use no placeholder but {service} and {dc}.
      allOf: [
        { pattern: '\\{service\\}', patternDescription: 'a template containing {service}' },
        {
          pattern: '^(?:[^{}]|\\{service\\}|\\{dc\\})+$',
          patternDescription: 'a template whose only placeholders are {service} and {dc}',
        },
      ],
    },
    maxConcurrentRequests: { type: 'integer', minimum: 4, default: DEFAULTS.maxConcurrentRequests },
    maxStaleness: { type: 'string', format: 'duration', default: DEFAULTS.maxStaleness },
    datacenterRefresh: { type: 'string', format: 'duration', default: DEFAULTS.datacenterRefresh },
    rateLimit: rateLimitOptionsSchema(DEFAULTS.rateLimit),
    rules: {
      type: 'object',
      additionalProperties: false,
      properties: {
        kvPrefix: {
          type: 'string',
          minLength: 1,
          maxLength: 256,
          pattern: '^[^/]',
          patternDescription: 'a KV prefix without a leading "/" (sextant/rules/)',
          description: 'KV prefix whose keys hold traffic rules, one document per key (sextant/rules/).',
        },
        configEntries: {
          type: 'boolean',
          default: false,
          description:
            'Translate Consul service-router/-splitter/-resolver/-defaults config entries into traffic rules.',
        },
      },
    },
  },
  // Services of several datacenters need {dc} in their hostname, or two would share one name.
  if: {
    required: ['datacenters'],
    properties: { datacenters: { anyOf: [{ minItems: 2 }, { contains: { const: '*' } }] } },
  },
  then: {
    properties: {
      hostname: {
        pattern: '\\{dc\\}',
        patternDescription: 'a template containing {dc}, which several datacenters need',
      },
    },
  },
} as const;
