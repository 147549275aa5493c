import type { AdapterState, AdapterStatus, InstanceInput, RuleResource, ServiceInput } from '../adapter';
import { canonicalJson } from '../hash';
import { showValue } from '../schema/show-value';
import type { Service, ServiceInstance } from '../model';
import type { RuleProblem } from '../rules/problems';
import { compareInstances, normalizeService } from './normalize';
import { SharedValues } from './shared-values';
import { entryVersion, serviceShape, serviceShapeText } from './snapshot';

/** One service as one adapter reported it. */
export interface PartitionService {
  readonly service: Service;
  readonly instances: readonly ServiceInstance[];
  /** entryVersion of (service, instances): an identical report is recognised and costs nothing. */
  readonly digest: string;
  /** serviceShape of the service. */
  readonly shape: string;
}

/** What a report changed: hostnames to re-merge, and whether the rules changed. */
export interface PartitionChange {
  readonly hostnames: readonly string[];
  readonly rules: boolean;
}

const MAX_RECENT_REJECTIONS = 20;

/**
 * Everything one adapter instance reported, kept apart from other adapters. It is never
 * emptied by a fault: only the adapter's own reports change it.
 */
export class Partition {
  readonly services = new Map<string, PartitionService>();
  /** Traffic rules the adapter reported, by origin (parsed and validated by the registry's RuleBook). */
  private readonly rulesByOrigin = new Map<string, readonly RuleResource[]>();
  /** Problems of reading each origin (replaceRules' `problems`). */
  private readonly problemsByOrigin = new Map<string, readonly RuleProblem[]>();
  status: AdapterStatus = 'syncing';
  detail: string | undefined;
  /** Whether the adapter has completed a first sync (reported `ready` at least once). */
  everReady = false;
  statusSince: number;
  /** Last data report or `ready` confirmation: how fresh the partition is known to be. */
  lastReportAt: number | undefined;
  rejectedCount = 0;
  readonly recentRejections: { at: number; message: string }[] = [];

  constructor(
    readonly name: string,
    private readonly now: () => number,
    /** Told of every input rejected, as it is. */
    private readonly onReject: (messages: readonly string[]) => void = () => {},
  ) {
    this.statusSince = now();
  }

  replaceAll(state: AdapterState): PartitionChange {
    const services = Array.isArray(state?.services) ? state.services : [];
    const instances = Array.isArray(state?.instances) ? state.instances : [];
    const byHost = new Map<string, InstanceInput[]>();
    // Adapters usually list a service's instances together: one lookup per run of them.
    let runHost: string | undefined;
    let run: InstanceInput[] | undefined;
    for (const instance of instances) {
      const hostname = instance?.hostname;
      if (run === undefined || hostname !== runHost) {
        runHost = hostname;
        run = byHost.get(hostname);
        if (!run) {
          run = [];
          byHost.set(hostname, run);
        }
      }
      run.push(instance);
    }
    const seen = new Set<string>();
    const changed: string[] = [];
    const shared = new SharedValues();
    for (const service of services) {
      const hostname = service?.hostname;
      if (seen.has(hostname)) {
        this.reject([`service "${hostname}" reported twice in one resync; the first is kept`]);
        continue;
      }
      seen.add(hostname);
      if (this.put(service, byHost.get(hostname) ?? [], shared)) changed.push(hostname);
      byHost.delete(hostname);
    }
    for (const [hostname, orphans] of byHost) {
      this.reject([`${orphans.length} instance(s) of "${String(hostname)}": no such service in the resync`]);
    }
    for (const hostname of [...this.services.keys()]) {
      if (!seen.has(hostname)) {
        this.services.delete(hostname);
        changed.push(hostname);
      }
    }
    const rules = state?.config === undefined ? false : this.setAllRules(state.config);
    return { hostnames: changed, rules };
  }

  /** Every rule the adapter reported, origins in name order (so the result does not depend on timing). */
  get rules(): readonly RuleResource[] {
    if (this.rulesByOrigin.size <= 1) return this.rulesByOrigin.values().next().value ?? [];
    return [...this.rulesByOrigin.keys()].sort().flatMap((origin) => this.rulesByOrigin.get(origin) ?? []);
  }

  /** The problems of every origin, origins in name order. */
  get ruleProblems(): readonly RuleProblem[] {
    return [...this.problemsByOrigin.keys()]
      .sort()
      .flatMap((origin) => this.problemsByOrigin.get(origin) ?? []);
  }

  replaceRules(
    origin: string,
    rules: readonly RuleResource[],
    problems: readonly RuleProblem[] = [],
  ): PartitionChange {
    const changedRules = this.setRules(String(origin), rules);
    const valid = Array.isArray(problems) ? problems : [];
    const changedProblems = canonicalJson(valid) !== canonicalJson(this.problemsByOrigin.get(origin) ?? []);
    if (valid.length === 0) this.problemsByOrigin.delete(origin);
    else this.problemsByOrigin.set(origin, valid);
    return { hostnames: [], rules: changedRules || changedProblems };
  }

  upsert(service: ServiceInput, instances: readonly InstanceInput[]): PartitionChange {
    return { hostnames: this.put(service, instances) ? [service.hostname] : [], rules: false };
  }

  remove(hostname: string): PartitionChange {
    return { hostnames: this.services.delete(hostname) ? [hostname] : [], rules: false };
  }

  setStatus(status: AdapterStatus, detail: string | undefined): void {
    const now = this.now();
    if (status !== this.status) this.statusSince = now;
    this.status = status;
    this.detail = detail;
    if (status === 'ready') {
      this.everReady = true;
      this.lastReportAt = now;
    }
  }

  /** Stores one service; returns whether anything changed. */
  private put(
    input: ServiceInput,
    instances: readonly InstanceInput[],
    shared = new SharedValues(),
  ): boolean {
    const normalized = normalizeService(input, instances, this.name, shared);
    if (normalized.rejected.length > 0) this.reject(normalized.rejected);
    if (!normalized.service) return false;
    // normalizeService made the list: sorting it in place changes nobody else's.
    const sorted = (normalized.instances as ServiceInstance[]).sort(compareInstances);
    const shapeText = serviceShapeText(normalized.service);
    const digest = entryVersion(normalized.service, sorted, shapeText);
    const hostname = normalized.service.hostname;
    if (this.services.get(hostname)?.digest === digest) return false;
    const shape = serviceShape(normalized.service, shapeText);
    this.services.set(hostname, { service: normalized.service, instances: sorted, digest, shape });
    return true;
  }

  private setAllRules(rules: readonly RuleResource[]): boolean {
    const before = this.rules;
    const others = [...this.rulesByOrigin.keys()].filter((origin) => origin !== '');
    for (const origin of others) this.rulesByOrigin.delete(origin);
    this.problemsByOrigin.clear();
    const changed = this.setRules('', rules);
    return changed || (others.length > 0 && canonicalJson(before) !== canonicalJson(this.rules));
  }

  private setRules(origin: string, rules: readonly RuleResource[]): boolean {
    const valid = (Array.isArray(rules) ? rules : []).filter((resource) => {
      const ok =
        typeof resource?.apiVersion === 'string' &&
        typeof resource.kind === 'string' &&
        typeof resource.metadata?.name === 'string' &&
        (resource.metadata.namespace === undefined || typeof resource.metadata.namespace === 'string');
      if (!ok) {
        this.reject([`rule ${showValue(resource, 80)}: needs apiVersion, kind and metadata.name`]);
      }
      return ok;
    });
    const previous = this.rulesByOrigin.get(origin) ?? [];
    if (canonicalJson(valid) === canonicalJson(previous)) return false;
    if (valid.length === 0) this.rulesByOrigin.delete(origin);
    else this.rulesByOrigin.set(origin, valid);
    return true;
  }

  private reject(messages: readonly string[]): void {
    const at = this.now();
    this.rejectedCount += messages.length;
    for (const message of messages) this.recentRejections.push({ at, message });
    this.recentRejections.splice(0, Math.max(0, this.recentRejections.length - MAX_RECENT_REJECTIONS));
    this.onReject(messages);
  }
}
