import type { RuleResource } from '@sextant/core';
import { objectKey } from '../projections';
import { callOptions, page, type ListChunk, type ResourceKind } from '../resource-kinds';
import { collectionPath, qualifiedName, ruleSource, type RuleKind } from './rule-kinds';

interface CustomObjectList {
  readonly items?: readonly unknown[];
  readonly metadata?: { readonly resourceVersion?: string; readonly continue?: string };
}

/**
 * A rule kind at one version, as the reflector lists and watches it: through client-node's
 * CustomObjectsApi (whose answers are the API's JSON, unconverted), projected to the rule resource
 * the sink takes.
 */
export function ruleResourceKind(kind: RuleKind, version: string): ResourceKind<RuleResource> {
  return {
    resource: qualifiedName(kind),
    namespaced: true,
    metadataOnly: false,
    async list(connection, request) {
      const options = callOptions(request.signal);
      const where = { group: kind.group, version, plural: kind.plural, ...page(request) };
      const list = (
        request.namespace === undefined
          ? await connection.custom.listClusterCustomObject(where, options)
          : await connection.custom.listNamespacedCustomObject(
              { ...where, namespace: request.namespace },
              options,
            )
      ) as CustomObjectList;
      const continueToken = list.metadata?.continue;
      const chunk: ListChunk = {
        items: list.items ?? [],
        resourceVersion: list.metadata?.resourceVersion ?? '',
        ...(continueToken !== undefined && continueToken !== '' && { continueToken }),
      };
      return chunk;
    },
    path: (namespace) => collectionPath(kind, version, namespace),
    project: (object) => {
      const resource = toRuleResource(kind.kind, object);
      const key = objectKey(object);
      return resource && key !== undefined ? { key, view: resource } : undefined;
    },
  };
}

/**
 * What the model reads of a stored rule: its apiVersion, kind, name, namespace, an HTTPRoute's
 * creation time (a precedence tie-break among routes; set once, it never changes) and spec (labels,
 * annotations, status and the rest of the server's metadata are no part of a rule, and would
 * change its version on every write). Undefined for an object that is not one (no name or namespace).
 */
export function toRuleResource(kind: string, object: unknown): RuleResource | undefined {
  const o = object as {
    apiVersion?: unknown;
    metadata?: { name?: unknown; namespace?: unknown; creationTimestamp?: unknown };
    spec?: unknown;
  };
  const name = o?.metadata?.name;
  const namespace = o?.metadata?.namespace;
  if (typeof name !== 'string' || typeof namespace !== 'string' || typeof o.apiVersion !== 'string')
    return undefined;
  return {
    apiVersion: o.apiVersion,
    kind,
    metadata: {
      name,
      namespace,
      ...(kind === 'HTTPRoute' &&
        typeof o.metadata?.creationTimestamp === 'string' && {
          creationTimestamp: o.metadata.creationTimestamp,
        }),
    },
    spec: o.spec ?? null,
    source: ruleSource(kind, namespace, name),
  };
}
