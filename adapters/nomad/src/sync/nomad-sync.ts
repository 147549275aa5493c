import type { SharedTokenBucket } from '@sextant/adapter-kit';
import {
  canonicalJson,
  type AdapterStatus,
  type HostedInstanceInput,
  type Logger,
  type RegistrySink,
  type ServiceInput,
} from '@sextant/core';
import { toMeshService, type MeshService } from '../mesh/to-mesh-service';
import type { NomadError } from '../nomad/nomad-error';
import type { Registration, ServiceEvent, ServiceStub } from '../nomad/wire';
import type { NomadSettings } from '../settings';
import { registrationsRead, serviceListRead, type ReadContext } from '../watch/nomad-reads';
import { ServiceEvents } from '../watch/service-events';
import { WatchLoop, type WatchTiming } from '../watch/watch-loop';
import { FaultBook } from './fault-book';

/** A blocking watch on `/v1/services` for one namespace (or `*`), and the last list it read. */
interface ListWatch {
  readonly id: string;
  readonly loop: WatchLoop<ServiceStub[]>;
  readonly leave: () => void;
  stubs?: readonly ServiceStub[];
}

/** A blocking watch on `/v1/service/<name>` in one namespace, and the registrations it last read. */
interface ServiceWatch {
  readonly id: string;
  readonly namespace: string;
  readonly name: string;
  readonly hostname: string;
  readonly loop: WatchLoop<Registration[]>;
  readonly leave: () => void;
  registrations?: readonly Registration[];
  /** Canonical text of `registrations`: an answer with the same text changed nothing. */
  canonical?: string;
}

export interface SyncDependencies {
  readonly settings: NomadSettings;
  readonly reads: ReadContext;
  /** The budget of re-reads after early answers, shared by every watch (`rateLimit`). */
  readonly rateLimit: SharedTokenBucket;
  readonly sink: RegistrySink;
  readonly logger: Logger;
  /** Tests shorten how long a silent event stream is trusted. */
  readonly streamIdleTimeoutMs?: number;
}

/**
 * Nomad's service registrations, kept in the registry. A blocking watch on the service list (one
 * for `*`, or one per configured namespace) decides which (namespace, service) pairs exist; each
 * selected pair gets its own blocking watch on its registrations, started and stopped as pairs
 * come and go. Nothing is reported until every list and every service has answered once; then
 * the whole state goes out at once (replaceAll) with `ready`. After that, only hostnames whose
 * mapped service actually changed are reported: Nomad's index is table-wide and its lists come
 * shuffled, so a wake-up is compared with what was reported before anything is sent.
 *
 * Faults are kept per watch: before the first sync they leave the adapter `syncing` with the
 * reasons, after it `degraded`, and the last state of a failing watch stays reported (a 403 on
 * one namespace degrades the adapter while the other namespaces are still served and updated).
 *
 * From the first sync on, Nomad's event stream (when `eventStream` is on) says which
 * registrations each write touched. An event that differs from what a watch last read is a real
 * change: that watch's next read goes ahead of the others, so a storm of wake-ups that change
 * nothing (or more watches than request slots) does not hold it back. The stream only hints;
 * the watches' reads are still what is reported.
 */
export class NomadSync {
  private readonly lists = new Map<string, ListWatch>();
  private readonly services = new Map<string, ServiceWatch>();
  private readonly keysByHostname = new Map<string, Set<string>>();
  /** Digest of what was last reported per hostname. */
  private readonly reported = new Map<string, string>();
  private readonly stopping = new Set<Promise<void>>();
  private readonly faults = new FaultBook();
  private status: { status: AdapterStatus; detail?: string } = { status: 'syncing' };
  private synced = false;
  private events: Promise<void> | undefined;
  private readonly timing: WatchTiming;

  constructor(
    private readonly deps: SyncDependencies,
    private readonly signal: AbortSignal,
  ) {
    this.timing = { rateLimit: deps.rateLimit, retry: deps.settings.retry };
  }

  /** Watches until the signal aborts; resolves once every watch has stopped. */
  async run(): Promise<void> {
    if (this.signal.aborted) return;
    const aborted = new Promise<void>((resolve) =>
      this.signal.addEventListener('abort', () => resolve(), { once: true }),
    );
    const namespaces = this.deps.settings.namespaces;
    for (const scope of namespaces === '*' ? ['*'] : namespaces) this.startList(scope);
    await aborted;
    const watches = [...this.lists.values(), ...this.services.values()];
    await Promise.all([...watches.map((watch) => watch.loop.stop()), ...this.stopping, this.events]);
    for (const watch of watches) watch.leave();
  }

  // ---- watches ------------------------------------------------------------------------------

  private startList(scope: string): void {
    const id = `list ${scope}`;
    const loop = new WatchLoop<ServiceStub[]>(
      scope === '*' ? 'the service list' : `the service list of namespace ${scope}`,
      serviceListRead(this.deps.reads, scope),
      {
        onValue: (stubs) => this.onList(id, stubs),
        onFault: (error) => this.onFault(id, error, scope === '*' ? undefined : scope),
      },
      this.timing,
      this.deps.logger,
    );
    this.lists.set(id, { id, loop, leave: this.deps.reads.slots.join() });
    loop.start();
  }

  private startService(namespace: string, name: string): void {
    const id = serviceId(namespace, name);
    const hostname = this.deps.settings.mapping.hostname.render({ service: name, namespace });
    const loop = new WatchLoop<Registration[]>(
      `service ${name} in namespace ${namespace}`,
      registrationsRead(this.deps.reads, namespace, name),
      {
        onValue: (registrations) => this.onRegistrations(id, registrations),
        onFault: (error) => this.onFault(id, error, namespace, name),
      },
      this.timing,
      this.deps.logger,
    );
    this.services.set(id, { id, namespace, name, hostname, loop, leave: this.deps.reads.slots.join() });
    let keys = this.keysByHostname.get(hostname);
    if (!keys) this.keysByHostname.set(hostname, (keys = new Set()));
    keys.add(id);
    this.deps.logger.debug({ namespace, service: name }, 'watching a Nomad service');
    loop.start();
  }

  private stopService(watch: ServiceWatch): void {
    this.services.delete(watch.id);
    const keys = this.keysByHostname.get(watch.hostname);
    keys?.delete(watch.id);
    if (keys?.size === 0) this.keysByHostname.delete(watch.hostname);
    this.faults.clear(watch.id);
    const stopped = watch.loop.stop().finally(() => {
      watch.leave();
      this.stopping.delete(stopped);
    });
    this.stopping.add(stopped);
    this.deps.logger.debug(
      { namespace: watch.namespace, service: watch.name },
      'no longer watching a Nomad service',
    );
    if (this.synced) this.publish(watch.hostname);
  }

  // ---- answers ------------------------------------------------------------------------------

  private onList(id: string, stubs: readonly ServiceStub[]): void {
    if (this.signal.aborted) return;
    const list = this.lists.get(id);
    if (!list) return;
    list.stubs = stubs;
    this.faults.clear(id);
    this.reconcileWatches();
    this.afterAnswer(true);
  }

  private onRegistrations(id: string, registrations: readonly Registration[]): void {
    if (this.signal.aborted) return;
    const watch = this.services.get(id);
    if (!watch) return;
    this.faults.clear(id);
    const canonical = JSON.stringify(registrations);
    if (canonical !== watch.canonical) {
      watch.registrations = registrations;
      watch.canonical = canonical;
      if (this.synced) this.publish(watch.hostname);
    }
    this.afterAnswer(false);
  }

  /**
   * The events of one write. Each names a registration; one that differs from what its
   * service's watch last read (new, changed, or gone) is a real change, and that watch reads
   * next. A registration of a selected service not watched yet wakes the service list instead.
   * Re-registrations that change nothing hint nothing.
   */
  private onServiceEvents(events: readonly ServiceEvent[]): void {
    if (this.signal.aborted) return;
    for (const { type, registration } of events) {
      const watch = this.services.get(serviceId(registration.namespace, registration.service));
      if (!watch) {
        if (
          type === 'ServiceRegistration' &&
          this.deps.settings.mapping.selection.wantsService(registration.service, registration.tags)
        ) {
          this.listFor(registration.namespace)?.loop.hint();
        }
        continue;
      }
      const known = watch.registrations?.find((r) => r.id === registration.id);
      const changed =
        type === 'ServiceDeregistration'
          ? known !== undefined
          : known === undefined || JSON.stringify(known) !== JSON.stringify(registration);
      if (changed) watch.loop.hint();
    }
  }

  /** The list watch covering a namespace, if the adapter watches that namespace. */
  private listFor(namespace: string): ListWatch | undefined {
    return this.lists.get('list *') ?? this.lists.get(`list ${namespace}`);
  }

  private onFault(id: string, error: NomadError, namespace?: string, service?: string): void {
    if (this.signal.aborted) return;
    const reason = faultReason(error, namespace, service);
    if (this.faults.set(id, reason))
      this.deps.logger.debug({ watch: id, reason }, 'a Nomad watch is failing');
    this.updateStatus(false);
  }

  /** Starts watches for selected pairs the lists show, and stops those of pairs they no longer show. */
  private reconcileWatches(): void {
    const wanted = new Map<string, ServiceStub>();
    const selection = this.deps.settings.mapping.selection;
    for (const list of this.lists.values()) {
      for (const stub of list.stubs ?? []) {
        if (selection.wantsService(stub.name, stub.tags))
          wanted.set(serviceId(stub.namespace, stub.name), stub);
      }
    }
    for (const [id, stub] of wanted) if (!this.services.has(id)) this.startService(stub.namespace, stub.name);
    for (const [id, watch] of [...this.services]) if (!wanted.has(id)) this.stopService(watch);
  }

  private afterAnswer(fromList: boolean): void {
    if (!this.synced && this.complete()) {
      this.firstSync();
      this.updateStatus(false);
      return;
    }
    // A list answering while nothing fails confirms the whole state is current.
    this.updateStatus(fromList);
  }

  private complete(): boolean {
    for (const list of this.lists.values()) if (list.stubs === undefined) return false;
    for (const watch of this.services.values()) if (watch.registrations === undefined) return false;
    return true;
  }

  // ---- reports ------------------------------------------------------------------------------

  private firstSync(): void {
    this.synced = true;
    this.deps.reads.blocking.open();
    if (this.deps.settings.eventStream) this.followEvents();
    const services: ServiceInput[] = [];
    const instances: HostedInstanceInput[] = [];
    for (const hostname of [...this.keysByHostname.keys()].sort()) {
      const mapped = this.map(hostname);
      if (!mapped) continue;
      services.push(mapped.service);
      for (const instance of mapped.instances) instances.push({ ...instance, hostname });
      this.reported.set(hostname, digest(mapped));
      this.warnAbout(hostname, mapped);
    }
    this.deps.sink.replaceAll({ services, instances });
    this.deps.logger.info({ services: services.length, instances: instances.length }, 'synced with Nomad');
    // Complete is complete even if a watch fails meanwhile: ready first, then degraded if so.
    this.report('ready');
  }

  private followEvents(): void {
    const namespaces = this.deps.settings.namespaces;
    this.events = new ServiceEvents(
      {
        client: this.deps.reads.client,
        // One stream for every namespace watched: one namespace asks for just that one.
        namespace: namespaces !== '*' && namespaces.length === 1 ? (namespaces[0] as string) : '*',
        retryInitialMs: this.deps.settings.retry.initialMs,
        logger: this.deps.logger,
        onEvents: (events) => this.onServiceEvents(events),
        ...(this.deps.streamIdleTimeoutMs !== undefined && { idleTimeoutMs: this.deps.streamIdleTimeoutMs }),
      },
      this.signal,
    ).run();
  }

  /** Reports one hostname if what it maps to differs from what was reported last. */
  private publish(hostname: string): void {
    const mapped = this.map(hostname);
    const now = mapped && digest(mapped);
    if (now === this.reported.get(hostname)) return;
    if (mapped && now) {
      this.deps.sink.upsertService(mapped.service, mapped.instances);
      this.reported.set(hostname, now);
      this.warnAbout(hostname, mapped);
    } else {
      this.deps.sink.removeService(hostname);
      this.reported.delete(hostname);
    }
  }

  private map(hostname: string): MeshService | undefined {
    const ids = [...(this.keysByHostname.get(hostname) ?? [])].sort();
    const registrations = ids.flatMap((id) => this.services.get(id)?.registrations ?? []);
    return toMeshService(hostname, registrations, this.deps.settings.mapping);
  }

  private warnAbout(hostname: string, mapped: MeshService): void {
    if (mapped.notes.length > 0)
      this.deps.logger.warn({ hostname, notes: mapped.notes }, 'Nomad tags of a service need attention');
  }

  private updateStatus(confirm: boolean): void {
    const reasons = this.faults.summary();
    if (!this.synced) this.report('syncing', reasons);
    else if (reasons !== undefined) this.report('degraded', reasons);
    else if (confirm || this.status.status !== 'ready') this.report('ready');
  }

  private report(status: AdapterStatus, detail?: string): void {
    if (status !== 'ready' && status === this.status.status && detail === this.status.detail) return;
    this.status = { status, detail };
    this.deps.sink.setStatus(status, detail);
  }
}

function serviceId(namespace: string, name: string): string {
  return `service ${namespace}/${name}`;
}

/** What reported mapping a hostname had: equal digests, nothing to report. */
function digest(mapped: MeshService): string {
  return canonicalJson({ service: mapped.service, instances: mapped.instances });
}

/**
 * A fault in words that group well: transport faults are the same for every watch (Nomad is
 * down), so they carry no scope; Nomad's refusals are per namespace (ACLs are); answers that make
 * no sense name the watch.
 */
function faultReason(error: NomadError, namespace: string | undefined, service: string | undefined): string {
  const where = namespace === undefined ? 'listing services' : `namespace ${namespace}`;
  if (error.kind === 'http') return `${where}: ${error.message}`;
  if (error.kind === 'invalid')
    return service === undefined
      ? `${where}: ${error.message}`
      : `${where}, service ${service}: ${error.message}`;
  return error.message;
}
