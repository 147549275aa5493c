/**
 * The daemon configuration file (docs/configuration.md documents every key).
 * Adapter entries carry `name`, `type` and the adapter's own options, which its
 * factory's optionsSchema validates.
 */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface ListenConfig {
  /** v1 REST discovery (and v3 REST-JSON). */
  readonly discovery: string;
  /** Health, readiness, metrics and debug endpoints. */
  readonly admin: string;
  /** v3 xDS over gRPC: ADS (state of the world and delta) and the per-type services. */
  readonly xds: string;
}

/** What one HTTP listener bounds. Durations as written in the file (`30s`). */
export interface HttpLimitsConfig {
  readonly maxConnections: number;
  readonly requestTimeout: string;
  readonly headersTimeout: string;
  readonly idleTimeout: string;
}

/** What the xDS gRPC listener bounds. */
export interface XdsLimitsConfig {
  readonly maxConnections: number;
  readonly maxStreamsPerConnection: number;
  readonly idleTimeout: string;
  /** `0s`: never. */
  readonly maxConnectionAge: string;
  readonly maxConnectionAgeGrace: string;
}

export interface LimitsConfig {
  readonly discovery: HttpLimitsConfig;
  readonly admin: HttpLimitsConfig;
  readonly xds: XdsLimitsConfig;
}

export interface AdminConfig {
  /** Host names (besides localhost and loopback addresses) an admin listener on loopback answers to. */
  readonly allowedHosts: readonly string[];
}

export interface AdapterConfig {
  /** Unique instance name; defaults to `type` when only one adapter has that type. */
  readonly name?: string;
  /** Built-in (`file`, `consul`, `kubernetes`, `nomad`), an npm package name, or a path. */
  readonly type: string;
  readonly [option: string]: unknown;
}

export interface DaemonConfig {
  readonly listen: ListenConfig;
  readonly debounce: { readonly after: string; readonly max: string };
  readonly log: { readonly level: LogLevel };
  readonly limits: LimitsConfig;
  readonly admin: AdminConfig;
  readonly adapters: readonly AdapterConfig[];
}

export const ADAPTER_NAME_PATTERN = '^[a-z0-9]([a-z0-9._-]*[a-z0-9])?$';

const connectionCap = (byDefault: number) =>
  ({ type: 'integer', minimum: 1, maximum: 1_000_000, default: byDefault }) as const;

function httpLimitsSchema(maxConnections: number) {
  return {
    type: 'object',
    additionalProperties: false,
    default: {},
    properties: {
      maxConnections: connectionCap(maxConnections),
      requestTimeout: { type: 'string', format: 'duration', default: '30s' },
      headersTimeout: { type: 'string', format: 'duration', default: '10s' },
      idleTimeout: { type: 'string', format: 'duration', default: '75s' },
    },
  } as const;
}

export const daemonConfigSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['adapters'],
  properties: {
    listen: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        discovery: { type: 'string', format: 'host-port', default: '127.0.0.1:15003' },
        admin: { type: 'string', format: 'host-port', default: '127.0.0.1:15000' },
        xds: { type: 'string', format: 'host-port', default: '127.0.0.1:15010' },
      },
    },
    debounce: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        after: { type: 'string', format: 'duration', default: '100ms' },
        max: { type: 'string', format: 'duration', default: '1s' },
      },
    },
    log: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: { level: { enum: [...LOG_LEVELS], default: 'info' } },
    },
    limits: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        discovery: httpLimitsSchema(20_000),
        admin: httpLimitsSchema(256),
        xds: {
          type: 'object',
          additionalProperties: false,
          default: {},
          properties: {
            maxConnections: connectionCap(20_000),
            maxStreamsPerConnection: { type: 'integer', minimum: 1, maximum: 1_000_000, default: 100 },
            idleTimeout: { type: 'string', format: 'duration', default: '5m' },
            maxConnectionAge: { type: 'string', format: 'duration', default: '30m' },
            maxConnectionAgeGrace: { type: 'string', format: 'duration', default: '10s' },
          },
        },
      },
    },
    admin: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        allowedHosts: {
          type: 'array',
          default: [],
          items: {
            type: 'string',
            pattern: '^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?\\.?$',
            patternDescription: 'a host name (no port, no scheme), e.g. sextant.internal',
          },
        },
      },
    },
    adapters: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        required: ['type'],
        properties: {
          name: {
            type: 'string',
            pattern: ADAPTER_NAME_PATTERN,
            patternDescription:
              'a name of lower-case letters, digits, ".", "_" and "-" that starts and ends with a letter or digit',
          },
          type: { type: 'string', minLength: 1 },
        },
      },
    },
  },
} as const;
