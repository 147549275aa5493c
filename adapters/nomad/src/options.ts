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

/** A nomad adapter's entry in the daemon config, besides `name` and `type` (docs/adapters/nomad.md). */
export interface NomadAdapterOptions {
  /** Nomad's HTTP API. Default `$NOMAD_ADDR`, else `http://127.0.0.1:4646`. */
  readonly address?: string;
  /** ACL token secret. Default `$NOMAD_TOKEN`. Never logged. */
  readonly token?: string;
  /** File holding the token, re-read when Nomad refuses it, so rotation needs no restart. */
  readonly tokenFile?: string;
  /** Sent with every request, and the locality region of every instance. Default `$NOMAD_REGION`. */
  readonly region?: string;
  /** `*` (every namespace the token can read) or a list. Default `*`. */
  readonly namespaces?: '*' | readonly string[];
  /** Let any Nomad server answer (`?stale`), not only the leader. Default false. */
  readonly stale?: boolean;
  readonly tls?: NomadTlsOptions;
  /** How long one blocking query may wait for a change. Default and maximum `5m`. */
  readonly wait?: string;
  /** Hostname of a service: `{service}` and `{namespace}` are replaced. Default `{service}.{namespace}.nomad`. */
  readonly hostname?: string;
  /** Protocol of services without a `protocol=` tag. Default `http`. */
  readonly defaultProtocol?: Protocol;
  /** The port clients dial, for services without a `port=` tag. Default 80. */
  readonly servicePort?: number;
  readonly services?: NomadServiceSelection;
  /** Ask Nomad for registrations in pages of this many, following `X-Nomad-NextToken`. Default: all at once. */
  readonly perPage?: number;
  /** Bound on requests (and so connections) open to Nomad at once. Default 64. */
  readonly maxConcurrentRequests?: number;
  /** With more watches than request slots, every service is re-read at least this often. Default `30s`. */
  readonly maxStaleness?: string;
  /**
   * All watches together: re-reads after a blocking query answered early, `burst` back to back,
   * then one per `interval`. Default 100 and `20ms` (50 a second).
   */
  readonly rateLimit?: RateLimitOptions;
  /** Follow `/v1/event/stream?topic=Service` to learn which service changed. Default true. */
  readonly eventStream?: boolean;
  /** Backoff after a failed request: `initial`, doubling (with jitter) up to `max`. Default `1s`, `30s`. */
  readonly retry?: { readonly initial?: string; readonly max?: string };
}

/**
 * TLS to Nomad. Defaults: `ca` `$NOMAD_CACERT`; `cert` and `key` (for Nomad's
 * `verify_https_client`) `$NOMAD_CLIENT_CERT`, `$NOMAD_CLIENT_KEY`; `serverName`
 * (`server.<region>.nomad`) `$NOMAD_TLS_SERVER_NAME`.
 */
export type NomadTlsOptions = TlsOptions;

/**
 * Which registrations become mesh instances, by service name and tag, as globs (`*`, `?`). An
 * empty `include` or `includeTags` restricts nothing, as if absent.
 */
export type NomadServiceSelection = ServiceSelectionOptions;

export const DEFAULTS = {
  address: 'http://127.0.0.1:4646',
  namespaces: '*',
  wait: '5m',
  hostname: '{service}.{namespace}.nomad',
  defaultProtocol: 'http',
  servicePort: 80,
  // Nomad refuses a client IP more than 100 connections by default (limits.http_max_conns_per_client).
  maxConcurrentRequests: 64,
  maxStaleness: '30s',
  // Room for a write that wakes a hundred watches at once (Nomad's index is table-wide), and for
  // a steady 50 wake-ups a second across the cluster.
  rateLimit: { burst: 100, interval: '20ms' },
  eventStream: true,
  retry: { initial: '1s', max: '30s' },
} as const;

/** Nomad's maximum blocking wait: longer requests are clamped to it. */
export const MAX_WAIT_MS = 5 * 60_000;

export const nomadAdapterOptionsSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  type: 'object',
  additionalProperties: false,
  properties: {
    address: {
      type: 'string',
      format: 'http-url',
      description: `Nomad's HTTP API (default NOMAD_ADDR, else ${DEFAULTS.address}).`,
    },
    ...tokenOptionsSchema({
      token: 'ACL token secret (default NOMAD_TOKEN).',
      tokenFile: 'File holding the ACL token; relative to the config file.',
    }),
    region: { type: 'string', minLength: 1, description: 'Nomad region (default NOMAD_REGION).' },
    namespaces: {
      anyOf: [
        { const: '*' },
        {
          type: 'array',
          minItems: 1,
          uniqueItems: true,
          items: {
            type: 'string',
            pattern: '^[A-Za-z0-9-]{1,128}$',
            patternDescription: 'a namespace name (letters, digits and "-", at most 128)',
          },
        },
      ],
      default: DEFAULTS.namespaces,
    },
    stale: { type: 'boolean', default: false },
    tls: tlsOptionsSchema,
    wait: { type: 'string', format: 'duration', default: DEFAULTS.wait },
    hostname: {
      type: 'string',
      default: DEFAULTS.hostname,
      // Must name the service, and may use no placeholder but {service} and {namespace}.
      allOf: [
        { pattern: '\\{service\\}', patternDescription: 'a template containing {service}' },
        {
          pattern: '^(?:[A-Za-z0-9_.-]|\\{service\\}|\\{namespace\\})+$',
          patternDescription: 'a template of letters, digits, ".", "_", "-", {service} and {namespace}',
        },
      ],
    },
    defaultProtocol: { enum: [...PROTOCOLS], default: DEFAULTS.defaultProtocol },
    servicePort: { type: 'integer', minimum: 1, maximum: 65535, default: DEFAULTS.servicePort },
    services: serviceSelectionSchema,
    perPage: { type: 'integer', minimum: 1 },
    maxConcurrentRequests: { type: 'integer', minimum: 4, default: DEFAULTS.maxConcurrentRequests },
    maxStaleness: { type: 'string', format: 'duration', default: DEFAULTS.maxStaleness },
    rateLimit: rateLimitOptionsSchema(DEFAULTS.rateLimit),
    eventStream: { type: 'boolean', default: DEFAULTS.eventStream },
    retry: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        initial: { type: 'string', format: 'duration', default: DEFAULTS.retry.initial },
        max: { type: 'string', format: 'duration', default: DEFAULTS.retry.max },
      },
    },
  },
  // Services of several namespaces need {namespace} in their hostname, or two would share one name.
  if: {
    properties: { namespaces: { anyOf: [{ const: '*' }, { type: 'array', minItems: 2 }] } },
  },
  then: {
    properties: {
      hostname: {
        pattern: '\\{namespace\\}',
        patternDescription: 'a template containing {namespace}, which several namespaces need',
      },
    },
  },
} as const;
