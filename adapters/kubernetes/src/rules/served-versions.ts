import type { RuleKind } from './rule-kinds';

/**
 * The version the cluster serves each kind of rule at, as the collections found it: where the
 * rule store writes. A kind absent here is not served (no CRD), or not looked for yet.
 */
export class ServedVersions {
  private readonly versions = new Map<string, string>();

  found(kind: RuleKind, version: string): void {
    this.versions.set(kind.kind, version);
  }

  forget(kind: RuleKind): void {
    this.versions.delete(kind.kind);
  }

  of(kind: RuleKind): string | undefined {
    return this.versions.get(kind.kind);
  }
}
