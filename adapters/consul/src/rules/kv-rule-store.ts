import {
  DEFAULT_RULE_NAMESPACE,
  formatRuleIdentity,
  LEGACY_KINDS,
  NETWORKING_KINDS,
  readRuleDocuments,
  RuleStoreConflict,
  RuleStoreUnavailable,
  ruleToStore,
  storedRule,
  type RuleIdentity,
  type RuleResource,
  type RuleStore,
  type StoredRule,
} from '@sextant/core';
import type { ConsulApi } from '../consul-api';
import { ConsulFault } from '../consul-fault';
import { kvSource } from './kv-rule-documents';

const KINDS: ReadonlySet<string> = new Set<string>([...NETWORKING_KINDS, ...LEGACY_KINDS]);
/** Namespaces and names are DNS labels and subdomains: nothing that could leave the prefix. */
const NAME = /^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/;
/** A Rules API write waits this long for Consul at most (each request has its own deadline too). */
const OPERATION_TIMEOUT_MS = 15_000;

/** The running adapter's connection, while it has one. */
export interface KvConnection {
  readonly api: ConsulApi;
  /** Takes credentials out of a message (the adapter's Redactor). */
  readonly redact: (text: string) => string;
}

/**
 * The Rules API's store in Consul KV (`rulesApi: { adapter: <this adapter> }`): one key per
 * resource, `<kvPrefix><namespace>/<kind>/<name>`, holding the resource as JSON (which every YAML
 * reader reads), under the prefix this adapter watches, so a write reaches this replica and every
 * other one reading the prefix through their KV watch. A write is a compare-and-set on the
 * ModifyIndex it read (`?cas=`, 0 for a new key): two replicas writing the same rule at once
 * cannot silently overwrite each other; the second is refused and told to retry. Versions are
 * core's `ruleVersion` of the content, so every replica computes the same one.
 */
export class KvRuleStore implements RuleStore {
  readonly description: string;

  constructor(
    private readonly prefix: string,
    address: string,
    private readonly connection: () => KvConnection | undefined,
  ) {
    this.description = `Consul KV prefix "${prefix}" at ${address}`;
  }

  async get(identity: RuleIdentity): Promise<StoredRule | undefined> {
    const key = this.keyOf(identity);
    if (key === undefined) return undefined;
    const entry = await this.consul((api, signal) => api.kvGet(key, signal));
    const value = (entry as { Value?: unknown } | undefined)?.Value;
    if (typeof value !== 'string') return undefined;
    const { inputs } = readRuleDocuments(value, kvSource(key));
    const input = inputs.find(
      (i) =>
        i.kind === identity.kind &&
        (i.metadata.namespace ?? DEFAULT_RULE_NAMESPACE) === identity.namespace &&
        i.metadata.name === identity.name,
    );
    if (input === undefined) return undefined;
    return storedRule(input);
  }

  async put(resource: RuleResource): Promise<StoredRule> {
    const { identity, stored } = ruleToStore(resource);
    const key = this.keyOf(identity);
    if (key === undefined)
      throw new Error(`${formatRuleIdentity(identity)} cannot be stored: not a rule name`);
    const written = await this.consul(async (api, signal) => {
      const current = await api.kvGet(key, signal);
      return api.kvPut(key, `${JSON.stringify(stored.resource, null, 2)}\n`, modifyIndexOf(current), signal);
    });
    if (!written) throw this.raced(key);
    return stored;
  }

  async delete(identity: RuleIdentity): Promise<boolean> {
    const key = this.keyOf(identity);
    if (key === undefined) return false;
    return this.consul(async (api, signal) => {
      const current = await api.kvGet(key, signal);
      if (current === undefined) return false;
      if (!(await api.kvDelete(key, modifyIndexOf(current), signal))) throw this.raced(key);
      return true;
    });
  }

  /** The key of an identity; undefined for one that is not a rule's. */
  private keyOf({ kind, namespace, name }: RuleIdentity): string | undefined {
    if (!KINDS.has(kind) || !NAME.test(namespace) || !NAME.test(name)) return undefined;
    return `${this.prefix}${namespace}/${kind}/${name}`;
  }

  private async consul<T>(operation: (api: ConsulApi, signal: AbortSignal) => Promise<T>): Promise<T> {
    const connection = this.connection();
    if (!connection) throw new RuleStoreUnavailable(`${this.description}: the consul adapter is not running`);
    try {
      return await operation(connection.api, AbortSignal.timeout(OPERATION_TIMEOUT_MS));
    } catch (error) {
      if (error instanceof ConsulFault)
        throw new RuleStoreUnavailable(connection.redact(`${this.description}: ${error.message}`));
      throw error;
    }
  }

  private raced(key: string): RuleStoreConflict {
    return new RuleStoreConflict(
      `${this.description}: key "${key}" changed while it was written (another writer); read the rule again and retry`,
    );
  }
}

/** The ModifyIndex a compare-and-set must name: 0 (create only) when there is no key. */
function modifyIndexOf(entry: unknown): number {
  const index = (entry as { ModifyIndex?: unknown } | undefined)?.ModifyIndex;
  return typeof index === 'number' && Number.isSafeInteger(index) && index > 0 ? index : 0;
}
