/**
 * The daemon configuration file (docs/configuration.md documents every key).
 * Adapter entries carry `name`, `type` and the adapter's own options, which its
 * factory's optionsSchema validates.
 */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** TLS of one listener (docs/security.md). Paths are relative to the config file. */
export interface ListenerTlsConfig {
  /** PEM certificate chain the listener presents. */
  readonly certFile: string;
  /** PEM private key of certFile. */
  readonly keyFile: string;
  /** PEM CA bundle that client certificates are verified against. */
  readonly clientCAFile?: string;
  /** Refuse clients without a certificate the clientCAFile verifies; default true when clientCAFile is set. */
  readonly requireClientCert?: boolean;
}

/** A listener written out: its address and, for HTTPS (or gRPC over TLS), its certificates. */
export interface ListenerConfig {
  readonly address: string;
  readonly tls?: ListenerTlsConfig;
}

/** `host:port` (plaintext) or a ListenerConfig. */
export type ListenSetting = string | ListenerConfig;

export interface ListenConfig {
  /** v1 REST discovery (and v3 REST-JSON). */
  readonly discovery: ListenSetting;
  /** Health, readiness, metrics and debug endpoints. */
  readonly admin: ListenSetting;
  /** v3 xDS over gRPC: ADS (state of the world and delta) and the per-type services. */
  readonly xds: ListenSetting;
}

/** A listen setting in its long form, whichever form the file used. */
export function listenerConfig(setting: ListenSetting): ListenerConfig {
  return typeof setting === 'string' ? { address: setting } : setting;
}

/** What one HTTP listener bounds. Durations as written in the file (`30s`). */
export interface HttpLimitsConfig {
  readonly maxConnections: number;
  readonly requestTimeout: string;
  readonly headersTimeout: string;
  readonly idleTimeout: string;
}

/** What the xDS gRPC listener bounds, and what each of its streams may hold. */
export interface XdsLimitsConfig {
  readonly maxConnections: number;
  readonly maxStreamsPerConnection: number;
  readonly idleTimeout: string;
  /** `0s`: never. */
  readonly maxConnectionAge: string;
  readonly maxConnectionAgeGrace: string;
  /** Resource names one stream may subscribe to, per type. */
  readonly maxNamesPerType: number;
  /** Distinct unserved type URLs one stream may ask for. */
  readonly maxUnservedTypes: number;
  /** Responses written to a stream and not yet taken by its connection, before newer state waits. */
  readonly maxResponsesInFlight: number;
}

/** Bounds on what clients can make the daemon hold (docs/operations.md, "Limits and hardening"). */
export interface LimitsConfig {
  /** Budget of the render caches (rendered resources and response bodies), e.g. `128MiB`. */
  readonly renderCache: string;
  readonly discovery: HttpLimitsConfig;
  readonly admin: HttpLimitsConfig;
  readonly xds: XdsLimitsConfig;
  /** REST pollers, and closed xDS streams, /debug/proxies remembers at most (each). */
  readonly trackedClients: number;
}

export interface AdminConfig {
  /** Host names (besides localhost and loopback addresses) an admin listener on loopback answers to. */
  readonly allowedHosts: readonly string[];
  /** How long /debug/proxies keeps listing a client after it disconnected or stopped polling. */
  readonly proxyRetention: string;
  /** File holding the bearer token every admin request but /healthz and /readyz must carry. */
  readonly tokenFile?: string;
}

/** `strict`: a client certificate's SPIFFE identity must match the node id it asks for. */
export const NODE_AUTHORIZATION_MODES = ['strict', 'off'] as const;
export type NodeAuthorizationMode = (typeof NODE_AUTHORIZATION_MODES)[number];

export interface SecurityConfig {
  /** Unset: strict on the discovery and xDS listeners that require client certificates, off elsewhere. */
  readonly nodeAuthorization?: NodeAuthorizationMode;
  readonly meshTls: MeshTlsConfig;
}

/** The mesh's mTLS conventions, as proxies are sent them (docs/security.md, Mesh mTLS). */
export interface MeshTlsConfig {
  /** Where each proxy's host keeps its workload certificate files (`sextant agent` writes them). */
  readonly certsDir: string;
  /** SPIFFE trust domain of the mesh's identities. */
  readonly trustDomain: string;
  /** PeerAuthentications without a selector in this namespace are mesh-wide. */
  readonly rootNamespace: string;
}

/**
 * The mesh CA (docs/security.md, "A CA for the mesh"): signs workload certificates on the xDS
 * listener. Its certificate and key are the operator's (certFile, keyFile) or a root generated
 * in `directory` on the first start. Paths are relative to the config file.
 */
export interface CaConfig {
  /** The trust domain of the identities it issues: `spiffe://<trustDomain>/ns/<ns>/sa/<sa>`. */
  readonly trustDomain: string;
  readonly certFile?: string;
  readonly keyFile?: string;
  /** Certificates from certFile's issuer up to the root, served after certFile. */
  readonly chainFile?: string;
  readonly directory?: string;
  /** Validity of a workload certificate when the request asks for none. */
  readonly workloadCertTTL: string;
  /** The longest validity a request may ask for; workloadCertTTL when unset. */
  readonly maxWorkloadCertTTL?: string;
  /** The `type: kubernetes` adapter whose API server reviews service-account tokens; the only one by default. */
  readonly kubernetesAdapter?: string;
}

export interface AdapterConfig {
  /** Unique instance name; defaults to `type` when only one adapter has that type. */
  readonly name?: string;
  /** Built-in (`file`, `consul`, `kubernetes`, `nomad`), an npm package name, or a path. */
  readonly type: string;
  readonly [option: string]: unknown;
}

/** The retry policy of routes that do not say (`defaults.retries`). */
export interface DefaultRetries {
  /** 0: no retries unless a rule asks. */
  readonly attempts: number;
  /** Envoy `retry_on` tokens. */
  readonly retryOn: readonly string[];
  readonly perTryTimeout?: string;
}

export interface DaemonConfig {
  readonly listen: ListenConfig;
  /** Traffic rules files: files, directories (their .yaml, .yml, .json files) and globs (`rules/*.yaml`). */
  readonly rules: readonly string[];
  /** The Rules API's writable store; without one the API reads and validates only. */
  /** Where the Rules API writes: a rules directory, or the platform store of the adapter named. */
  readonly rulesApi: { readonly directory?: string; readonly adapter?: string };
  readonly defaults: { readonly retries: DefaultRetries };
  readonly debounce: { readonly after: string; readonly max: string };
  /** How often the names of resolution DNS ServiceEntries are looked up again. */
  readonly dns: { readonly refresh: string };
  readonly log: { readonly level: LogLevel };
  readonly limits: LimitsConfig;
  readonly admin: AdminConfig;
  readonly security: SecurityConfig;
  readonly ca?: CaConfig;
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

const nonEmpty = { type: 'string', minLength: 1 } as const;

/** `host:port`, or `{ address, tls }` for a listener with certificates. */
function listenSettingSchema(byDefault: string) {
  return {
    default: byDefault,
    if: { type: 'string' },
    then: { format: 'host-port' },
    else: {
      type: 'object',
      additionalProperties: false,
      required: ['address'],
      properties: {
        address: { type: 'string', format: 'host-port' },
        tls: {
          type: 'object',
          additionalProperties: false,
          required: ['certFile', 'keyFile'],
          properties: {
            certFile: nonEmpty,
            keyFile: nonEmpty,
            clientCAFile: nonEmpty,
            requireClientCert: { type: 'boolean' },
          },
        },
      },
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
        discovery: listenSettingSchema('127.0.0.1:15003'),
        admin: listenSettingSchema('127.0.0.1:15000'),
        xds: listenSettingSchema('127.0.0.1:15010'),
      },
    },
    rules: { type: 'array', default: [], items: { type: 'string', minLength: 1 } },
    rulesApi: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        directory: { type: 'string', minLength: 1 },
        adapter: { type: 'string', pattern: ADAPTER_NAME_PATTERN },
      },
    },
    defaults: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        retries: {
          type: 'object',
          additionalProperties: false,
          // Only failures where the request never reached the upstream: safe for non-idempotent methods.
          default: { attempts: 2, retryOn: ['connect-failure', 'refused-stream', 'reset-before-request'] },
          required: ['attempts'],
          properties: {
            attempts: { type: 'integer', minimum: 0, maximum: 10 },
            retryOn: {
              type: 'array',
              default: ['connect-failure', 'refused-stream', 'reset-before-request'],
              items: {
                type: 'string',
                pattern: '^([a-z0-9-]+|[1-5][0-9][0-9])$',
                patternDescription: 'an Envoy retry_on token (connect-failure, 5xx, …) or an HTTP status',
              },
            },
            perTryTimeout: { type: 'string', format: 'duration' },
          },
        },
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
    dns: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        refresh: { type: 'string', format: 'duration', default: '30s' },
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
        renderCache: { type: 'string', format: 'byte-size', default: '128MiB' },
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
            maxNamesPerType: { type: 'integer', minimum: 1, maximum: 10_000_000, default: 100_000 },
            maxUnservedTypes: { type: 'integer', minimum: 0, maximum: 1000, default: 16 },
            maxResponsesInFlight: { type: 'integer', minimum: 1, maximum: 1000, default: 8 },
          },
        },
        trackedClients: { type: 'integer', minimum: 1, maximum: 1_000_000, default: 20_000 },
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
        tokenFile: nonEmpty,
        proxyRetention: { type: 'string', format: 'duration', default: '10m' },
      },
    },
    security: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        nodeAuthorization: { enum: [...NODE_AUTHORIZATION_MODES] },
        meshTls: {
          type: 'object',
          additionalProperties: false,
          default: {},
          properties: {
            certsDir: {
              type: 'string',
              default: '/etc/sextant/certs',
              pattern: '^/[^\\0]*$',
              patternDescription: "an absolute path on the proxies' hosts",
            },
            trustDomain: {
              type: 'string',
              default: 'cluster.local',
              pattern: '^[a-z0-9]([a-z0-9.-]{0,253}[a-z0-9])?$',
              patternDescription: 'a SPIFFE trust domain (lower-case letters, digits, "." and "-")',
            },
            rootNamespace: {
              type: 'string',
              default: 'istio-system',
              pattern: '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$',
              patternDescription: 'a namespace name (lower-case letters, digits and "-", at most 63)',
            },
          },
        },
      },
    },
    ca: {
      type: 'object',
      additionalProperties: false,
      properties: {
        trustDomain: {
          type: 'string',
          default: 'cluster.local',
          maxLength: 253,
          pattern: '^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$',
          patternDescription: 'a trust domain of lower-case letters, digits, "." and "-", e.g. cluster.local',
        },
        certFile: nonEmpty,
        keyFile: nonEmpty,
        chainFile: nonEmpty,
        directory: nonEmpty,
        workloadCertTTL: { type: 'string', format: 'duration', default: '24h' },
        maxWorkloadCertTTL: { type: 'string', format: 'duration' },
        kubernetesAdapter: { type: 'string', pattern: ADAPTER_NAME_PATTERN },
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
