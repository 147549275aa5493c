import { Backoff, sleep } from '@sextant/adapter-kit';
import type { Logger, RuleResource } from '@sextant/core';
import { KubeApiError, toKubeApiError } from '../api-error';
import type { KubeConnection } from '../kube-connection';
import {
  Reflector,
  type ReflectorListener,
  type ReflectorTiming,
  type WatchedCollection,
} from '../reflector';
import type { ViewStore } from '../view-store';
import { qualifiedName, type RuleKind } from './rule-kinds';
import { ruleResourceKind } from './rule-resource-kind';
import type { ServedVersions } from './served-versions';

/**
 * The rules of one kind (in all namespaces, or one), mirrored into its store. First it finds the
 * version the cluster serves: a one-item list at each version in turn, a 404 meaning "not at this
 * one". Found, a reflector lists and watches it there (the same 410 relist, backoff and credential
 * handling as every other collection) until a 404 says the CRD went away; then it looks again.
 * Not served at any version, the CRD is not installed: the kind has no rules, which is a complete
 * answer (it counts as listed, and is not a fault), and it looks again every `crdRecheckMs`, so a
 * CRD installed later is picked up. A 403 is a fault naming the RBAC the adapter lacks; the rules
 * last read stay (a 403 before any were read counts as an answer: none, so the first sync does
 * not wait for a permission that may never come).
 */
export class RuleCollection implements WatchedCollection {
  readonly description: string;
  private readonly backoff: Backoff;
  private absentLogged = false;
  /** Told the adapter its first answer (listed, absent, or forbidden). */
  private answered = false;

  constructor(
    private readonly kind: RuleKind,
    private readonly namespace: string | undefined,
    private readonly connection: KubeConnection,
    private readonly store: ViewStore<RuleResource>,
    private readonly served: ServedVersions,
    private readonly listener: ReflectorListener,
    private readonly timing: ReflectorTiming,
    private readonly signal: AbortSignal,
    private readonly logger: Logger,
    private readonly random: () => number = Math.random,
  ) {
    const name = qualifiedName(kind);
    this.description = namespace === undefined ? name : `${name} in namespace ${namespace}`;
    this.backoff = new Backoff(timing.backoff.initialMs, timing.backoff.maxMs, random);
  }

  /** Mirrors the kind until the signal aborts; resolves with every request and timer closed. */
  async run(): Promise<void> {
    while (!this.signal.aborted) {
      const found = await this.findVersion();
      if (this.signal.aborted) return;
      if (found instanceof KubeApiError) {
        this.fail(found, 'list');
        // Refused by RBAC before anything was read: the cluster's services are served without
        // this kind's rules (`degraded`, naming the permission), rather than not at all.
        if (found.code === 403 && !this.answered) this.firstAnswer();
        await sleep(this.backoff.next(found.retryAfterMs), this.signal);
      } else if (found === undefined) {
        this.absent();
        const recheckMs = this.timing.crdRecheckMs * (0.9 + 0.2 * this.random());
        await sleep(recheckMs, this.signal);
      } else {
        await this.mirror(found);
        // The CRD went away (or stopped serving the version): look again, not in a tight loop.
        if (!this.signal.aborted) await sleep(this.backoff.next(), this.signal);
      }
    }
  }

  /** The first version the cluster serves the kind at; undefined when none (no CRD); or why it cannot tell. */
  private async findVersion(): Promise<string | KubeApiError | undefined> {
    for (const version of this.kind.versions) {
      const generation = this.connection.generation;
      try {
        await ruleResourceKind(this.kind, version).list(this.connection, {
          ...(this.namespace !== undefined && { namespace: this.namespace }),
          limit: 1,
          signal: this.signal,
        });
        return version;
      } catch (error) {
        const failure = toKubeApiError(error);
        if (failure.code === 404) continue;
        if (failure.unauthorized) this.refreshCredentials(generation);
        return failure;
      }
    }
    return undefined;
  }

  /** No CRD: no rules of this kind (what was read before it was deleted is gone too). */
  private absent(): void {
    this.served.forget(this.kind);
    for (const key of this.store.keys(this.namespace)) this.store.delete(key);
    if (!this.absentLogged) {
      this.absentLogged = true;
      this.logger.info(
        { resource: this.description, versions: this.kind.versions },
        'the cluster does not serve this kind of rule (CRD not installed): none read; looking again from time to time',
      );
    }
    this.backoff.reset();
    this.listener.changed();
    this.firstAnswer();
    this.listener.recovered(this);
  }

  private firstAnswer(): void {
    this.answered = true;
    this.listener.listed(this);
  }

  /** Mirrors the kind at `version` until a 404 says it is no longer served there (or the signal aborts). */
  private async mirror(version: string): Promise<void> {
    this.served.found(this.kind, version);
    this.absentLogged = false;
    this.logger.info({ resource: this.description, version }, 'reading rules');
    const gone = new AbortController();
    const stop = () => gone.abort();
    this.signal.addEventListener('abort', stop, { once: true });
    // The reflector's reports, as this collection's: it is the member the adapter's health knows.
    const listener: ReflectorListener = {
      listed: () => this.firstAnswer(),
      recovered: () => this.listener.recovered(this),
      changed: () => this.listener.changed(),
      failed: (_reflector, error, operation) => {
        if (error.code === 404) {
          this.logger.info({ resource: this.description, version }, 'no longer served; looking for it again');
          gone.abort();
          return;
        }
        this.fail(error, operation);
      },
    };
    try {
      await new Reflector(
        ruleResourceKind(this.kind, version),
        this.namespace,
        this.connection,
        this.store,
        listener,
        this.timing,
        gone.signal,
        this.logger,
        this.random,
      ).run();
    } finally {
      this.signal.removeEventListener('abort', stop);
    }
  }

  /** A 403 says which permission is missing, in RBAC's words; anything else as the server said it. */
  private fail(error: KubeApiError, operation: 'list' | 'watch'): void {
    if (error.code !== 403) return this.listener.failed(this, error, operation);
    const user = /User "[^"]*"/.exec(error.message)?.[0];
    const message =
      `forbidden: ${operation} ${qualifiedName(this.kind)} (needs get,list,watch)` +
      (user ? ` for ${user}` : '');
    this.listener.failed(this, new KubeApiError(message, 403, error.reason, error.retryAfterMs), operation);
  }

  private refreshCredentials(generation: number): void {
    try {
      this.connection.refreshCredentials(generation);
    } catch {
      // The reason shows in the next failure's message; the last credentials stay in use.
    }
  }
}
