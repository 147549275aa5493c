import { canonicalJson } from '../hash';
import type { ServiceInstance } from '../model';
import { compareInstances } from './normalize';
import type { PartitionService } from './partition';
import { entryVersion, type ServiceEntry } from './snapshot';

/** The same hostname reported differently by two adapters: visible on /debug/registry. */
export interface MergeConflict {
  readonly hostname: string;
  /** The adapter listed first, whose service attributes are used. */
  readonly winner: string;
  /** Adapters whose attributes differ from the winner's, and which attributes. */
  readonly differences: readonly { readonly adapter: string; readonly fields: readonly string[] }[];
  /** Instances (same address, port and port name) reported by more than one adapter; the first is kept. */
  readonly duplicateInstances: number;
}

export interface MergeResult {
  readonly entry: ServiceEntry;
  readonly conflict?: MergeConflict;
}

/**
 * Merges one hostname across the adapters that report it, given in configured order:
 * attributes from the first, instances from all (deduplicated by address, port and port name).
 */
export function mergeService(
  holders: readonly { adapter: string; reported: PartitionService }[],
): MergeResult | undefined {
  const [first, ...rest] = holders;
  if (!first) return undefined;
  const winner = first.reported;
  if (rest.length === 0) {
    return {
      entry: {
        service: winner.service,
        instances: winner.instances,
        version: winner.digest,
        shape: winner.shape,
      },
    };
  }

  const differences: { adapter: string; fields: string[] }[] = [];
  for (const { adapter, reported } of rest) {
    const fields = (['ports', 'labels', 'addresses'] as const).filter(
      (field) => canonicalJson(reported.service[field]) !== canonicalJson(winner.service[field]),
    );
    if (fields.length > 0) differences.push({ adapter, fields });
  }

  const seen = new Set<string>();
  const instances: ServiceInstance[] = [];
  let duplicateInstances = 0;
  for (const { reported } of holders) {
    for (const instance of reported.instances) {
      const id = `${instance.portName} ${instance.address} ${instance.port}`;
      if (seen.has(id)) {
        duplicateInstances += 1;
        continue;
      }
      seen.add(id);
      instances.push(instance);
    }
  }
  instances.sort(compareInstances);
  const entry = {
    service: winner.service,
    instances,
    version: entryVersion(winner.service, instances),
    shape: winner.shape,
  };
  const conflicted = differences.length > 0 || duplicateInstances > 0;
  return {
    entry,
    conflict: conflicted
      ? { hostname: winner.service.hostname, winner: first.adapter, differences, duplicateInstances }
      : undefined,
  };
}
