import type { HostedInstanceInput, RegistrySink, ServiceInput } from '@sextant/core';
import type { ServiceReport, SkippedInstances } from './service-report';

interface Reported {
  readonly digest: string;
  readonly state: NonNullable<ServiceReport['state']>;
}

/**
 * What the adapter has told the registry, per hostname. Reports identical to the last one are
 * dropped here (Consul wakes watchers for writes that change nothing this service's mesh view
 * shows), so the registry only hears about real changes. Until the first complete sync everything
 * is held back; `goLive` then reports it all at once.
 */
export class MeshReporter {
  private readonly reported = new Map<string, Reported>();
  private readonly skipped = new Map<string, SkippedInstances>();
  /** The sum of `skipped`, kept up to date per report: summing on every answer would cost O(services). */
  private readonly totals: SkippedInstances = noneSkipped();
  private live = false;

  constructor(private readonly sink: RegistrySink) {}

  /** One service's latest answer. */
  report(report: ServiceReport): void {
    this.setSkipped(report.hostname, report.skipped);
    const previous = this.reported.get(report.hostname);
    if (!report.state) {
      if (previous) this.remove(report.hostname);
      return;
    }
    if (previous?.digest === report.digest) return;
    this.reported.set(report.hostname, { digest: report.digest, state: report.state });
    if (this.live) this.sink.upsertService(report.state.service, report.state.instances);
  }

  /** The service is gone from Consul (or from the selection, or its datacenter). */
  remove(hostname: string): void {
    this.setSkipped(hostname, undefined);
    if (!this.reported.delete(hostname)) return;
    if (this.live) this.sink.removeService(hostname);
  }

  /** The first complete picture: everything at once. */
  goLive(): void {
    if (this.live) return;
    this.live = true;
    const services: ServiceInput[] = [];
    const instances: HostedInstanceInput[] = [];
    for (const [hostname, { state }] of [...this.reported].sort(([a], [b]) => (a < b ? -1 : 1))) {
      services.push(state.service);
      for (const instance of state.instances) instances.push({ ...instance, hostname });
    }
    this.sink.replaceAll({ services, instances });
  }

  /** Instances left out, summed over every service, by reason. */
  skippedTotals(): SkippedInstances {
    return { ...this.totals };
  }

  private setSkipped(hostname: string, counts: SkippedInstances | undefined): void {
    const previous = this.skipped.get(hostname);
    for (const key of SKIP_KEYS) this.totals[key] += (counts?.[key] ?? 0) - (previous?.[key] ?? 0);
    if (counts) this.skipped.set(hostname, counts);
    else this.skipped.delete(hostname);
  }
}

function noneSkipped(): SkippedInstances {
  return { noPort: 0, notIp: 0, proxies: 0, duplicates: 0, unknownProtocol: 0, malformed: 0 };
}

const SKIP_KEYS = Object.keys(noneSkipped()) as (keyof SkippedInstances)[];
