/** Check states as Consul reports them. Maintenance mode is a `critical` check. */
export type CheckStatus = 'passing' | 'warning' | 'critical';

/** A node as a test registers it (the agent's view: a machine with an address). */
export interface FakeNodeInput {
  /** Node name, unique in its datacenter. */
  readonly node: string;
  readonly address: string;
  /** Node UUID; generated from the name when absent. */
  readonly id?: string;
  /** Node metadata (`zone`, …); `null` on the wire when absent, as Consul writes it. */
  readonly meta?: Readonly<Record<string, string>>;
  /** Give the node the agent's `serfHealth` check (default true; false for catalog-registered external nodes). */
  readonly serfHealth?: boolean;
}

/** A service instance as a test registers it on a node. */
export interface FakeServiceInput {
  /** Instance id, unique per node (not per cluster); defaults to the service name. */
  readonly id?: string;
  readonly service: string;
  readonly tags?: readonly string[];
  /** `""` or absent: clients use the node's address. */
  readonly address?: string;
  /** Absent or 0: omitted on the wire, as Consul does. */
  readonly port?: number;
  /** `null` on the wire when absent. */
  readonly meta?: Readonly<Record<string, string>> | null;
  readonly weights?: { readonly passing: number; readonly warning: number };
  /** `connect-proxy`, `mesh-gateway`, …; omitted on the wire for normal services. */
  readonly kind?: string;
}

/** A health check: node-level without `serviceId`, else bound to that instance. */
export interface FakeCheckInput {
  readonly checkId: string;
  readonly name?: string;
  readonly status: CheckStatus;
  readonly serviceId?: string;
  readonly output?: string;
  readonly notes?: string;
  /** `http`, `tcp`, `ttl`, …; `""` for agent-owned checks such as serfHealth. */
  readonly type?: string;
}

/** What an ACL token may read. */
export interface FakeTokenPolicy {
  /** Service name prefixes it may read (`""` = every service). Default: every service. */
  readonly servicePrefixes?: readonly string[];
  /**
   * Key prefixes it may read and write (`key_prefix` rules; write implies read). Absent: every
   * key, both; given, a list left out grants nothing.
   */
  readonly keyPrefixes?: { readonly read?: readonly string[]; readonly write?: readonly string[] };
  /** May read /v1/agent/self. Default true. */
  readonly agentRead?: boolean;
  /** Shown in `Permission denied` messages. Default: derived from the secret. */
  readonly accessorId?: string;
}
