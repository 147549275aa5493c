import { sha256Hex, type HostedInstanceInput, type RegistrySink } from '@sextant/core';
import type { BuiltService, ClusterState } from './cluster-state';

/**
 * Reports services to the sink, each only when what the model would hold for it changed: it keeps
 * the digest of every service last reported, so a dirty service that comes out the same (a pod's
 * status changed, a slice was rewritten in another order) costs a digest and no report.
 */
export class ServiceReporter {
  private readonly reported = new Map<string, { readonly hostname: string; readonly digest: string }>();

  constructor(
    private readonly state: ClusterState,
    private readonly sink: RegistrySink,
  ) {}

  /** The whole cluster as one `replaceAll`: the first sync. Clears what is dirty. */
  reportAll(): { services: number; instances: number } {
    this.state.takeDirty();
    this.reported.clear();
    const services: BuiltService['service'][] = [];
    const instances: HostedInstanceInput[] = [];
    for (const key of this.state.serviceKeys()) {
      const built = this.state.build(key);
      if (!built) continue;
      services.push(built.service);
      for (const instance of built.instances)
        instances.push({ ...instance, hostname: built.service.hostname });
      this.reported.set(key, { hostname: built.service.hostname, digest: digest(built) });
    }
    this.sink.replaceAll({ services, instances });
    return { services: services.length, instances: instances.length };
  }

  /** Reports the services changed since the last report; returns how many reports it made. */
  reportChanges(): number {
    let reports = 0;
    for (const key of this.state.takeDirty()) {
      const built = this.state.build(key);
      const previous = this.reported.get(key);
      if (!built) {
        if (previous) {
          this.reported.delete(key);
          this.sink.removeService(previous.hostname);
          reports += 1;
        }
        continue;
      }
      const next = digest(built);
      if (previous?.digest === next) continue;
      this.reported.set(key, { hostname: built.service.hostname, digest: next });
      this.sink.upsertService(built.service, built.instances);
      reports += 1;
    }
    return reports;
  }
}

/**
 * What a report carried, to recognise the same report again. Plain JSON, not canonical JSON: a
 * service is built the same way every time, so equal content serialises equally, and the rare
 * false "changed" (labels in another order) costs one upsert that the registry recognises.
 */
function digest(built: BuiltService): string {
  return sha256Hex(JSON.stringify(built)).slice(0, 32);
}
