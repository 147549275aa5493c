import type {
  AdapterState,
  AdapterStatus,
  InstanceInput,
  RegistrySink,
  RuleProblem,
  RuleResource,
  ServiceInput,
} from '@sextant/core';

/** One call an adapter made on its sink, in the order made. */
export type SinkCall =
  | { readonly method: 'replaceAll'; readonly state: AdapterState }
  | {
      readonly method: 'upsertService';
      readonly service: ServiceInput;
      readonly instances: readonly InstanceInput[];
    }
  | { readonly method: 'removeService'; readonly hostname: string }
  | {
      readonly method: 'replaceRules';
      readonly origin: string;
      readonly rules: readonly RuleResource[];
      readonly problems?: readonly RuleProblem[];
    }
  | { readonly method: 'setStatus'; readonly status: AdapterStatus; readonly detail?: string };

/** A service as the adapter's reports so far leave it. */
export interface RecordedService {
  readonly service: ServiceInput;
  readonly instances: readonly InstanceInput[];
}

/**
 * A RegistrySink that records every call and keeps the state the calls add up to, optionally
 * passing each call on to another sink (a real Registry's, in the conformance suite). Adapter
 * authors can test an adapter against it alone, without a registry.
 */
export class RecordingSink implements RegistrySink {
  readonly calls: SinkCall[] = [];
  private readonly state = new Map<string, RecordedService>();
  private readonly rulesByOrigin = new Map<string, readonly RuleResource[]>();
  private readonly problemsByOrigin = new Map<string, readonly RuleProblem[]>();
  private lastStatus: { status: AdapterStatus; detail?: string } = { status: 'syncing' };

  constructor(private readonly next?: RegistrySink) {}

  /** The last status reported; `syncing` before the first. */
  get status(): AdapterStatus {
    return this.lastStatus.status;
  }

  /** The detail of the last status reported. */
  get detail(): string | undefined {
    return this.lastStatus.detail;
  }

  /** The services the adapter's reports add up to, by hostname. */
  get services(): ReadonlyMap<string, RecordedService> {
    return this.state;
  }

  /** The traffic rules the adapter's reports add up to, origins in name order (as the registry keeps them). */
  get rules(): readonly RuleResource[] {
    return [...this.rulesByOrigin.keys()].sort().flatMap((origin) => this.rulesByOrigin.get(origin) ?? []);
  }

  /** The rule problems of every origin as last reported (replaceRules' `problems`). */
  get ruleProblems(): readonly RuleProblem[] {
    return [...this.problemsByOrigin.keys()]
      .sort()
      .flatMap((origin) => this.problemsByOrigin.get(origin) ?? []);
  }

  /** Every status reported, in order. */
  statuses(): AdapterStatus[] {
    return this.calls.flatMap((call) => (call.method === 'setStatus' ? [call.status] : []));
  }

  replaceAll(state: AdapterState): void {
    this.calls.push({ method: 'replaceAll', state });
    this.state.clear();
    // Grouped in one pass, and without `hostname`, so entries look the same whichever call made them.
    const byHost = new Map<string, InstanceInput[]>();
    for (const { hostname, ...instance } of state.instances) {
      const list = byHost.get(hostname);
      if (list) list.push(instance);
      else byHost.set(hostname, [instance]);
    }
    for (const service of state.services) {
      this.state.set(service.hostname, { service, instances: byHost.get(service.hostname) ?? [] });
    }
    if (state.config !== undefined) {
      this.rulesByOrigin.clear();
      this.rulesByOrigin.set('', state.config);
    }
    this.next?.replaceAll(state);
  }

  upsertService(service: ServiceInput, instances: readonly InstanceInput[]): void {
    this.calls.push({ method: 'upsertService', service, instances });
    this.state.set(service.hostname, { service, instances });
    this.next?.upsertService(service, instances);
  }

  removeService(hostname: string): void {
    this.calls.push({ method: 'removeService', hostname });
    this.state.delete(hostname);
    this.next?.removeService(hostname);
  }

  replaceRules(origin: string, rules: readonly RuleResource[], problems?: readonly RuleProblem[]): void {
    this.calls.push({ method: 'replaceRules', origin, rules, ...(problems !== undefined && { problems }) });
    this.rulesByOrigin.set(origin, rules);
    if (problems === undefined || problems.length === 0) this.problemsByOrigin.delete(origin);
    else this.problemsByOrigin.set(origin, problems);
    if (problems === undefined) this.next?.replaceRules(origin, rules);
    else this.next?.replaceRules(origin, rules, problems);
  }

  setStatus(status: AdapterStatus, detail?: string): void {
    this.calls.push(
      detail === undefined ? { method: 'setStatus', status } : { method: 'setStatus', status, detail },
    );
    this.lastStatus = { status, detail };
    this.next?.setStatus(status, detail);
  }
}
