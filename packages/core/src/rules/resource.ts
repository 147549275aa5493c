import type { RuleResource } from '../adapter';
import type { FieldPath } from '../schema/path';
import type { SourceDocument } from '../schema/yaml-source';

/**
 * A traffic rule as a source reports it: one Kubernetes-style resource (`apiVersion`, `kind`,
 * `metadata`, `spec`) and where it came from. Sources (rules files, an adapter's platform store,
 * the Rules API) produce these; core parses and validates each into the typed model.
 */
export interface RuleInput extends Omit<RuleResource, 'source'> {
  readonly location: RuleLocation;
}

/**
 * Where a rule resource came from, precisely enough to point at a field: a file (with its parsed
 * document, for line and column), or a place on a platform (`consul-kv:sextant/rules/vs.yaml`,
 * `kubernetes:VirtualService default/reviews`).
 */
export interface RuleLocation {
  /** A file path, or `<store>:<key>` for a resource that did not come from a file. */
  readonly source: string;
  /** The parsed document the resource is in, for line:column (files and stores that hold YAML/JSON). */
  readonly document?: SourceDocument;
  /** Index of the document in a multi-document file (`---`), 0-based. */
  readonly documentIndex?: number;
  /** Path of the resource inside its document (`items[2]` for a `kind: List`); empty for a whole document. */
  readonly at: FieldPath;
}

/** The identity of a rule: two resources with the same kind, namespace and name are the same rule. */
export interface RuleIdentity {
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
}

/** The namespace of a rule without one: short host names resolve in it. */
export const DEFAULT_RULE_NAMESPACE = 'default';

/** `VirtualService default/reviews`, as every message about a rule names it. */
export function formatRuleIdentity({ kind, namespace, name }: RuleIdentity): string {
  return `${kind} ${namespace}/${name}`;
}

/** A stable map key for an identity. */
export function ruleKey({ kind, namespace, name }: RuleIdentity): string {
  return `${kind}/${namespace}/${name}`;
}
