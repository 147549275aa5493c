import type { RegistrySink, RuleResource } from '@sextant/core';
import { ViewStore } from '../view-store';
import { qualifiedName, type RuleKind } from './rule-kinds';

/**
 * The rules read from the cluster, one store per kind, each reported to the sink as its own
 * origin (`virtualservices.networking.istio.io`): a change to one kind re-reports that kind only.
 */
export class RuleState {
  private readonly stores = new Map<string, ViewStore<RuleResource>>();
  private readonly dirty = new Set<string>();

  constructor(kinds: readonly RuleKind[]) {
    for (const kind of kinds) {
      const origin = qualifiedName(kind);
      this.stores.set(origin, new ViewStore<RuleResource>(() => this.dirty.add(origin)));
    }
  }

  storeOf(kind: RuleKind): ViewStore<RuleResource> {
    const store = this.stores.get(qualifiedName(kind));
    if (!store) throw new Error(`no store for ${qualifiedName(kind)}`);
    return store;
  }

  get hasDirty(): boolean {
    return this.dirty.size > 0;
  }

  /** Reports every kind (the first sync); returns how many rules. */
  reportAll(sink: RegistrySink): number {
    this.dirty.clear();
    let count = 0;
    for (const origin of this.stores.keys()) count += this.report(sink, origin);
    return count;
  }

  /** Reports the kinds changed since the last report. */
  reportChanges(sink: RegistrySink): void {
    const origins = [...this.dirty];
    this.dirty.clear();
    for (const origin of origins) this.report(sink, origin);
  }

  private report(sink: RegistrySink, origin: string): number {
    const store = this.stores.get(origin);
    if (!store) return 0;
    // In key order, so the report does not depend on the order events came in.
    const rules = store
      .keys()
      .sort()
      .flatMap((key) => store.get(key) ?? []);
    sink.replaceRules(origin, rules);
    return rules.length;
  }
}
