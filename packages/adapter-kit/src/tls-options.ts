/**
 * The `tls` option of an adapter that talks HTTPS to its platform. Each platform has environment
 * variables for the same four settings (CONSUL_CACERT, NOMAD_CLIENT_CERT, …); the adapter applies
 * them as defaults when it resolves its settings, since their names are its own.
 */
export interface TlsOptions {
  /** PEM file of the CA that signed the platform's certificate. */
  readonly ca?: string;
  /** PEM client certificate, for a platform that verifies its clients. Needs `key`. */
  readonly cert?: string;
  /** PEM key of the client certificate. Needs `cert`. */
  readonly key?: string;
  /** Name to verify the platform's certificate against, when it is not the address's host. */
  readonly serverName?: string;
}

const nonEmpty = { type: 'string', minLength: 1 } as const;

/** JSON Schema (draft-07) of TlsOptions, for an adapter's `optionsSchema`. */
export const tlsOptionsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: { ca: nonEmpty, cert: nonEmpty, key: nonEmpty, serverName: nonEmpty },
} as const;

/** The TLS settings an adapter resolved from its options and environment: absolute paths. */
export interface TlsSetting {
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: string;
  readonly serverName?: string;
}
