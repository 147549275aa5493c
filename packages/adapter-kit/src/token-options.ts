/**
 * The `token` and `tokenFile` options of an adapter whose platform takes a bearer token (an ACL
 * token). A file is what rotation needs: the adapter re-reads it when the platform refuses the
 * token (see TokenSource), so a token rewritten by Vault agent or a sidecar needs no restart.
 */
export interface TokenOptions {
  /** The token itself. Never logged. */
  readonly token?: string;
  /** A file holding the token, relative to the config file. */
  readonly tokenFile?: string;
}

/**
 * JSON Schema (draft-07) properties `token` and `tokenFile`, to spread into an adapter's
 * `optionsSchema.properties`. The descriptions name the platform's environment variables.
 */
export function tokenOptionsSchema(descriptions: { readonly token: string; readonly tokenFile: string }) {
  return {
    token: { type: 'string', minLength: 1, description: descriptions.token },
    tokenFile: { type: 'string', minLength: 1, description: descriptions.tokenFile },
  } as const;
}

/** Where the token comes from, once the adapter resolved its options and environment. */
export type TokenSetting =
  | { readonly kind: 'none' }
  | { readonly kind: 'value'; readonly value: string }
  /** An absolute path. */
  | { readonly kind: 'file'; readonly path: string };
