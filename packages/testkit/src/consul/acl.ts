import { createHash } from 'node:crypto';
import { ConsulHttpError } from './request-params';
import type { FakeTokenPolicy } from './types';

/** What one request may read, once its token is resolved. */
export interface ReadRights {
  /** The request carried a valid token (Consul then says when it filtered results). */
  readonly authenticated: boolean;
  readonly accessorId: string;
  canReadService(name: string): boolean;
  readonly agentRead: boolean;
  /** `key_prefix "…" { policy = "read" }` (or write) covers the key. */
  canReadKey(key: string): boolean;
  /** `key_prefix "…" { policy = "write" }` covers the key. */
  canWriteKey(key: string): boolean;
}

const ALL: ReadRights = {
  authenticated: false,
  accessorId: '00000000-0000-0000-0000-000000000002',
  canReadService: () => true,
  agentRead: true,
  canReadKey: () => true,
  canWriteKey: () => true,
};

/**
 * ACLs as a reader meets them (platform-apis.md §1.6): an unknown secret is a 403 `ACL not found`;
 * a missing one is the anonymous token, which the default policy governs; list endpoints drop what
 * a token cannot read instead of refusing.
 */
export class AclTable {
  private readonly tokens = new Map<string, FakeTokenPolicy>();
  enabled = false;
  defaultPolicy: 'allow' | 'deny' = 'allow';

  setToken(secret: string, policy: FakeTokenPolicy = {}): void {
    this.enabled = true;
    this.tokens.set(secret, policy);
  }

  removeToken(secret: string): void {
    this.tokens.delete(secret);
  }

  /** The rights of a request's token; throws the 403 Consul gives an unknown secret. */
  resolve(secret: string | undefined): ReadRights {
    if (!this.enabled) return ALL;
    if (secret === undefined) {
      return this.defaultPolicy === 'allow'
        ? ALL
        : {
            ...ALL,
            canReadService: () => false,
            agentRead: false,
            canReadKey: () => false,
            canWriteKey: () => false,
          };
    }
    const policy = this.tokens.get(secret);
    if (!policy) throw new ConsulHttpError(403, 'ACL not found');
    const prefixes = policy.servicePrefixes ?? [''];
    const kv = policy.keyPrefixes;
    const writeKeys = kv ? (kv.write ?? []) : [''];
    const readKeys = kv ? [...(kv.read ?? []), ...writeKeys] : [''];
    return {
      authenticated: true,
      accessorId: policy.accessorId ?? accessorFor(secret),
      canReadService: (name) => prefixes.some((prefix) => name.startsWith(prefix)),
      agentRead: policy.agentRead ?? true,
      canReadKey: (key) => readKeys.some((prefix) => key.startsWith(prefix)),
      canWriteKey: (key) => writeKeys.some((prefix) => key.startsWith(prefix)),
    };
  }
}

/** The 403 of an explicit denial, worded as Consul 1.11+ words it. */
export function permissionDenied(rights: ReadRights, permission: string, resource: string): ConsulHttpError {
  return new ConsulHttpError(
    403,
    `Permission denied: token with AccessorID '${rights.accessorId}' lacks permission '${permission}' on "${resource}"`,
  );
}

function accessorFor(secret: string): string {
  const hex = createHash('sha256').update(`accessor:${secret}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
