import type { RuleResource } from '../adapter';
import { DEFAULT_RULE_NAMESPACE, type RuleIdentity } from './resource';
import { ruleVersion } from './rule-book';

/** A resource as a writable store holds it, with the version its content gives it (ruleVersion). */
export interface StoredRule {
  readonly resource: RuleResource;
  readonly version: string;
}

/**
 * Where the Rules API writes: a store that is also a rule source, so a write reaches the mesh (of
 * this replica and of every other reading the same store) through the store's watch, like any
 * other change. Implementations: a rules directory (packages/sextant); an adapter whose platform
 * stores rules offers one as `Adapter.ruleStore` (Consul KV, Kubernetes custom resources).
 */
export interface RuleStore {
  /** What the store is, for messages: `directory /etc/sextant/rules.d`. */
  readonly description: string;
  /** The stored version of a resource, read from the store now (not from what is in force). */
  get(identity: RuleIdentity): Promise<StoredRule | undefined>;
  /** Stores a resource (replacing its identity's version); resolves once it is durable. */
  put(resource: RuleResource): Promise<StoredRule>;
  /** Removes a resource; false when the store did not have it. */
  delete(identity: RuleIdentity): Promise<boolean>;
}

/**
 * The store could not be reached or refused the operation for a reason of its own (Consul down,
 * Kubernetes answering 403): the Rules API answers 503 with this message, which names the store
 * and must hold no credential.
 */
export class RuleStoreUnavailable extends Error {
  override readonly name = 'RuleStoreUnavailable';
}

/**
 * Another writer changed the resource between the store's read and its write (a lost
 * compare-and-set): the Rules API answers 412, like a failed `If-Match`, so the client reads the
 * rule again and decides.
 */
export class RuleStoreConflict extends Error {
  override readonly name = 'RuleStoreConflict';
}

/** A resource as a store keeps it (apiVersion, kind, metadata, spec), with its content's version. */
export function storedRule(input: RuleResource): StoredRule {
  const resource: RuleResource = {
    apiVersion: input.apiVersion,
    kind: input.kind,
    metadata: input.metadata,
    spec: input.spec,
  };
  return { resource, version: ruleVersion(resource) };
}

/**
 * What a store writes for a resource: its identity (namespace defaulted) and the resource reduced
 * to apiVersion, kind, name, namespace and spec, with the version a replica reading it back computes.
 */
export function ruleToStore(resource: RuleResource): { identity: RuleIdentity; stored: StoredRule } {
  const identity = {
    kind: resource.kind,
    namespace: resource.metadata.namespace ?? DEFAULT_RULE_NAMESPACE,
    name: resource.metadata.name,
  };
  const stored = storedRule({
    ...resource,
    metadata: { name: identity.name, namespace: identity.namespace },
  });
  return { identity, stored };
}
