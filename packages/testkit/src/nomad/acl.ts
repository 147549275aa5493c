/**
 * Nomad's ACLs as the service endpoints apply them. Reading registrations needs the namespace
 * capability `read-job`; deleting one needs `submit-job`. A listing over `namespace=*` silently
 * leaves out what the token cannot read; a concrete namespace the token cannot read is refused
 * with 403 `Permission denied`; an unknown secret with 403 `ACL token not found`.
 */

/** Namespaces a policy grants a capability on: `*` for all. */
export type NamespaceGrant = '*' | readonly string[];

export interface TokenPolicy {
  /** Namespaces with `read-job`. */
  readonly read: NamespaceGrant;
  /** Namespaces with `submit-job` (deleting registrations). Default none. */
  readonly submit?: NamespaceGrant;
}

export interface AclOptions {
  /** Secret ID → what it may do. */
  readonly tokens?: Readonly<Record<string, TokenPolicy>>;
  /** What a request without a token may do. Default nothing. */
  readonly anonymous?: TokenPolicy;
}

export const PERMISSION_DENIED = 'Permission denied';
export const TOKEN_NOT_FOUND = 'ACL token not found';

/** What the request's token may do, or why it is refused outright. */
export type Resolved =
  | {
      readonly ok: true;
      readonly canRead: (namespace: string) => boolean;
      readonly canSubmit: (namespace: string) => boolean;
    }
  | { readonly ok: false; readonly message: string };

const ALLOW_ALL: Resolved = { ok: true, canRead: () => true, canSubmit: () => true };
const NOTHING: TokenPolicy = { read: [] };

export class AclSystem {
  private readonly tokens = new Map<string, TokenPolicy>();
  private anonymous: TokenPolicy;

  /** `undefined` options: ACLs disabled, everything allowed. */
  constructor(private options: AclOptions | undefined) {
    for (const [secret, policy] of Object.entries(options?.tokens ?? {})) this.tokens.set(secret, policy);
    this.anonymous = options?.anonymous ?? NOTHING;
  }

  get enabled(): boolean {
    return this.options !== undefined;
  }

  /** Turns ACLs on (if off) and creates or replaces a token's policy. */
  setToken(secret: string, policy: TokenPolicy): void {
    this.options ??= {};
    this.tokens.set(secret, policy);
  }

  /** Deletes a token: its secret is unknown from now on. */
  revokeToken(secret: string): void {
    this.tokens.delete(secret);
  }

  setAnonymous(policy: TokenPolicy): void {
    this.options ??= {};
    this.anonymous = policy;
  }

  resolve(secret: string | undefined): Resolved {
    if (!this.enabled) return ALLOW_ALL;
    const policy = secret === undefined || secret === '' ? this.anonymous : this.tokens.get(secret);
    if (!policy) return { ok: false, message: TOKEN_NOT_FOUND };
    return {
      ok: true,
      canRead: (namespace) => grants(policy.read, namespace),
      canSubmit: (namespace) => grants(policy.submit ?? [], namespace),
    };
  }
}

function grants(grant: NamespaceGrant, namespace: string): boolean {
  return grant === '*' || grant.includes(namespace);
}
