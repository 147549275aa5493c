import {
  formatRuleIdentity,
  ruleVersion,
  RuleStoreUnavailable,
  type RuleIdentity,
  type RuleResource,
  type RuleStore,
  type StoredRule,
} from '@sextant/core';
import type { Redactor } from '@sextant/adapter-kit';
import { toKubeApiError, type KubeApiError } from '../api-error';
import type { KubeConnection } from '../kube-connection';
import { qualifiedName, type RuleKind } from './rule-kinds';
import { toRuleResource } from './rule-resource-kind';
import type { ServedVersions } from './served-versions';

/** A write that lost a race with another writer is read again and retried this many times. */
const CONFLICT_RETRIES = 3;

/** What the store needs of the running adapter: its connection, once it has one. */
export interface RuleStoreLink {
  connection?: KubeConnection;
  redactor?: Redactor;
}

interface StoredObject {
  readonly metadata?: {
    readonly resourceVersion?: string;
    readonly labels?: Record<string, string>;
    readonly annotations?: Record<string, string>;
  };
}

/**
 * The Rules API's store in the cluster: each rule is the custom resource of its kind, written at
 * the version the cluster serves it at (the one the adapter reads): created with POST, replaced
 * with PUT carrying the resourceVersion just read (optimistic concurrency: a 409 means another
 * writer came first, and the write is read again and retried), deleted with DELETE. The write
 * reaches this replica and every other watching the cluster through their watches. Versions are
 * those of the resource as the API server stored it, as every reader projects it (ruleVersion).
 */
export class KubeRuleStore implements RuleStore {
  constructor(
    readonly description: string,
    private readonly kinds: readonly RuleKind[],
    private readonly namespaces: readonly string[] | undefined,
    private readonly served: ServedVersions,
    private readonly link: RuleStoreLink,
  ) {}

  async get(identity: RuleIdentity): Promise<StoredRule | undefined> {
    const where = this.where(identity);
    const object = await this.call(identity, 'get', () =>
      where.connection.custom.getNamespacedCustomObject(where.params),
    );
    return object === undefined ? undefined : this.stored(where.kind, object);
  }

  async put(resource: RuleResource): Promise<StoredRule> {
    const identity = {
      kind: resource.kind,
      namespace: resource.metadata.namespace ?? 'default',
      name: resource.metadata.name,
    };
    const where = this.where(identity);
    for (let attempt = 0; ; attempt += 1) {
      const current = (await this.call(identity, 'get', () =>
        where.connection.custom.getNamespacedCustomObject(where.params),
      )) as StoredObject | undefined;
      const body = {
        apiVersion: `${where.kind.group}/${where.version}`,
        kind: where.kind.kind,
        metadata: {
          name: identity.name,
          namespace: identity.namespace,
          // An operator's labels and annotations stay; the rule is the spec.
          ...(current?.metadata?.labels && { labels: current.metadata.labels }),
          ...(current?.metadata?.annotations && { annotations: current.metadata.annotations }),
          ...(current && { resourceVersion: current.metadata?.resourceVersion }),
        },
        spec: resource.spec,
      };
      try {
        const written = current
          ? await where.connection.custom.replaceNamespacedCustomObject({ ...where.params, body })
          : await where.connection.custom.createNamespacedCustomObject({
              group: where.params.group,
              version: where.params.version,
              namespace: where.params.namespace,
              plural: where.params.plural,
              body,
            });
        return this.stored(where.kind, written);
      } catch (error) {
        const failure = toKubeApiError(error);
        // 409: Conflict (replaced since it was read) or AlreadyExists (created since): read again.
        if (failure.code === 409 && attempt < CONFLICT_RETRIES) continue;
        throw this.unavailable(identity, current ? 'update' : 'create', failure);
      }
    }
  }

  async delete(identity: RuleIdentity): Promise<boolean> {
    const where = this.where(identity);
    const answer = await this.call(identity, 'delete', () =>
      where.connection.custom.deleteNamespacedCustomObject(where.params),
    );
    return answer !== undefined;
  }

  /** Where an identity is stored; RuleStoreUnavailable when the cluster cannot hold it now. */
  private where(identity: RuleIdentity) {
    const kind = this.kinds.find((k) => k.kind === identity.kind);
    const connection = this.link.connection;
    if (!kind) {
      throw new RuleStoreUnavailable(
        `${this.description} cannot hold ${formatRuleIdentity(identity)}: it stores ${this.kinds
          .map((k) => k.kind)
          .join(', ')}`,
      );
    }
    if (this.namespaces !== undefined && !this.namespaces.includes(identity.namespace)) {
      throw new RuleStoreUnavailable(
        `${this.description} cannot hold ${formatRuleIdentity(identity)}: it reads rules only in the ` +
          `namespaces ${this.namespaces.join(', ')}`,
      );
    }
    if (!connection)
      throw new RuleStoreUnavailable(`${this.description} is not connected to its cluster yet`);
    const version = this.served.of(kind);
    if (version === undefined) {
      throw new RuleStoreUnavailable(
        `${this.description} cannot store ${formatRuleIdentity(identity)}: the cluster does not serve ` +
          `${qualifiedName(kind)} (is its CRD installed?), or has not been asked yet`,
      );
    }
    return {
      kind,
      version,
      connection,
      params: {
        group: kind.group,
        version,
        namespace: identity.namespace,
        plural: kind.plural,
        name: identity.name,
      },
    };
  }

  /** The call's answer; undefined on 404; RuleStoreUnavailable on any other failure. */
  private async call(
    identity: RuleIdentity,
    verb: string,
    request: () => Promise<unknown>,
  ): Promise<unknown> {
    try {
      return await request();
    } catch (error) {
      const failure = toKubeApiError(error);
      if (failure.code === 404) return undefined;
      throw this.unavailable(identity, verb, failure);
    }
  }

  private stored(kind: RuleKind, object: unknown): StoredRule {
    const projected = toRuleResource(kind.kind, object);
    if (!projected) {
      throw new RuleStoreUnavailable(
        `${this.description} answered with something that is not a ${kind.kind}`,
      );
    }
    // The version is of the content alone, as every replica's reader computes it.
    const { source: _source, ...resource } = projected;
    return { resource, version: ruleVersion(resource) };
  }

  private unavailable(identity: RuleIdentity, verb: string, failure: KubeApiError): RuleStoreUnavailable {
    const kind = this.kinds.find((k) => k.kind === identity.kind);
    const needs = failure.code === 403 && kind ? ` (needs ${verb} on ${qualifiedName(kind)})` : '';
    const message = `${this.description}: ${verb} ${formatRuleIdentity(identity)} failed${needs}: ${failure.message}`;
    return new RuleStoreUnavailable(this.link.redactor ? this.link.redactor.redact(message) : message);
  }
}
