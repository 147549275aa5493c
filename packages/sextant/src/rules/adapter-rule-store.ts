import {
  RuleStoreUnavailable,
  type RuleIdentity,
  type RuleResource,
  type RuleStore,
  type StoredRule,
} from '@sextant/core';

/**
 * The Rules API's store when `rulesApi.adapter` names an adapter: that adapter's platform store
 * (Consul KV, Kubernetes custom resources), looked up at each call because a reload or a restart
 * after a failure replaces the adapter instance.
 */
export class AdapterRuleStore implements RuleStore {
  readonly description: string;

  constructor(
    private readonly adapter: string,
    private readonly storeOf: (adapter: string) => RuleStore | undefined,
  ) {
    this.description = `the rule store of adapter "${adapter}"`;
  }

  get(identity: RuleIdentity): Promise<StoredRule | undefined> {
    return this.store().get(identity);
  }

  put(resource: RuleResource): Promise<StoredRule> {
    return this.store().put(resource);
  }

  delete(identity: RuleIdentity): Promise<boolean> {
    return this.store().delete(identity);
  }

  private store(): RuleStore {
    const store = this.storeOf(this.adapter);
    if (!store) {
      throw new RuleStoreUnavailable(
        `adapter "${this.adapter}" offers no rule store (it is not running, or its type keeps no rules; ` +
          'see rulesApi in docs/configuration.md)',
      );
    }
    return store;
  }
}
