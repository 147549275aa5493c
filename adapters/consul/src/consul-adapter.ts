import {
  Backoff,
  readTlsFiles,
  Redactor,
  SharedTokenBucket,
  sleep,
  TokenSource,
  type TlsMaterial,
} from '@sextant/adapter-kit';
import {
  formatProblem,
  type Adapter,
  type AdapterContext,
  type Logger,
  type RegistrySink,
  type RuleStore,
} from '@sextant/core';
import { AdapterStatusReporter } from './adapter-status';
import { ConsulApi } from './consul-api';
import { DatacenterSet } from './datacenter-set';
import type { GateBackoffs } from './fault-gate';
import { MeshReporter } from './mesh-reporter';
import type { ConsulAdapterOptions } from './options';
import { RequestBudget } from './request-budget';
import { ConfigEntriesWatch } from './rules/config-entries-watch';
import { KvRuleStore, type KvConnection } from './rules/kv-rule-store';
import { KvRulesWatch, type KvRulesWatchOptions } from './rules/kv-rules-watch';
import { resolveSettings, type ConsulSettings } from './settings';

/** Knobs that are not options: tests shorten the fault backoffs. */
export interface ConsulAdapterTuning {
  readonly gateBackoffs?: () => GateBackoffs;
}

/**
 * Consul's catalog and health, live (docs/adapters/consul.md). Nothing it meets on the way
 * (bad environment, unreadable files, Consul down or refusing) makes `run` throw: it says why in
 * its status, keeps the last state reported, and retries.
 */
export class ConsulAdapter implements Adapter {
  /** With `rules.kvPrefix`: the Rules API's store in KV, working while `run` is connected. */
  readonly ruleStore?: RuleStore;
  private connection: KvConnection | undefined;

  constructor(
    private readonly options: ConsulAdapterOptions,
    private readonly context: AdapterContext,
    private readonly tuning: ConsulAdapterTuning = {},
  ) {
    const resolved = resolveSettings(options, context);
    if (resolved.valid && resolved.value.rulesKvPrefix !== undefined) {
      this.ruleStore = new KvRuleStore(
        resolved.value.rulesKvPrefix,
        resolved.value.address.origin,
        () => this.connection,
      );
    }
  }

  async run(platformSink: RegistrySink, signal: AbortSignal): Promise<void> {
    // Everything the adapter shows or logs goes through the redactor: Consul (or a proxy in front
    // of it) may echo the token in an error, and the error is passed on as it came.
    const redactor = new Redactor();
    const sink = redactor.sink(platformSink);
    const logger = redactor.logger(this.context.logger);
    const mesh = new MeshReporter(sink);
    const status = new AdapterStatusReporter(sink, () => mesh.skippedTotals());
    const resolved = resolveSettings(this.options, this.context);
    if (!resolved.valid) {
      const problem = resolved.problems.map(formatProblem).join('; ');
      logger.error({ problems: resolved.problems.map(formatProblem) }, 'the consul adapter cannot start');
      status.setStartupProblem(problem);
      await new Promise<void>((resolve) => {
        if (signal.aborted) resolve();
        else signal.addEventListener('abort', () => resolve(), { once: true });
      });
      return;
    }
    const settings = resolved.value;
    const token = new TokenSource(settings.token, redactor);
    const tls = await this.loadFiles(settings, token, status, logger, signal);
    if (signal.aborted) return;
    const api = new ConsulApi({
      address: settings.address,
      maxSockets: settings.maxConcurrentRequests,
      ...(tls && { tls }),
      token: () => token.latest(),
    });
    logger.info(
      { address: settings.address.origin, token: settings.token.kind === 'none' ? 'none' : 'set' },
      'watching Consul',
    );
    const reloads: Promise<void>[] = [];
    const onDenied = () => {
      // Re-read a token file (it may have been rotated); a file that cannot be read keeps the token.
      if (settings.token.kind === 'file')
        reloads.push(token.changedSince(token.latest()).then(() => undefined));
    };
    this.connection = { api, redact: (text) => redactor.redact(text) };
    const rateLimit = new SharedTokenBucket(settings.rateLimit.burst, settings.rateLimit.intervalMs);
    const budget = new RequestBudget(settings);
    const kvRules = this.kvRules(
      settings,
      { api, sink, status, rateLimit, logger, onDenied, budget },
      signal,
    );
    try {
      const configEntries =
        settings.configEntries &&
        new ConfigEntriesWatch({
          api,
          sink,
          status,
          budget,
          rateLimit,
          selection: settings.datacenters,
          hostname: settings.hostname,
          logger,
          onDenied,
          ...(this.tuning.gateBackoffs && { gateBackoffs: this.tuning.gateBackoffs }),
        }).run(signal);
      await new DatacenterSet({
        selection: settings.datacenters,
        api,
        mesh,
        status,
        logger,
        onDenied,
        watcherContext: {
          api,
          budget,
          mesh,
          status,
          rules: {
            health: settings.health,
            defaultProtocol: settings.defaultProtocol,
            filter: settings.filter,
          },
          hostname: settings.hostname,
          waitMs: settings.waitMs,
          rateLimit,
          logger,
          onDenied,
          ...(this.tuning.gateBackoffs && { gateBackoffs: this.tuning.gateBackoffs }),
        },
        ...(kvRules && {
          alsoBeforeReady: {
            what: `the rules under KV prefix "${kvRules.prefix}"`,
            done: kvRules.watch.firstRead,
          },
        }),
      }).run(signal);
      await configEntries;
    } finally {
      this.connection = undefined;
      await kvRules?.watch.stopped();
      await Promise.all(reloads);
      api.close();
    }
  }

  /** The watch of the rules under `rules.kvPrefix`, started; undefined without one. */
  private kvRules(
    settings: ConsulSettings,
    shared: Omit<KvRulesWatchOptions, 'prefix' | 'waitMs'> & { readonly budget: RequestBudget },
    signal: AbortSignal,
  ): { readonly prefix: string; readonly watch: KvRulesWatch } | undefined {
    const prefix = settings.rulesKvPrefix;
    if (prefix === undefined) return undefined;
    shared.budget.reserveRuleWatch();
    const watch = new KvRulesWatch(
      {
        ...shared,
        prefix,
        waitMs: settings.waitMs,
        ...(this.tuning.gateBackoffs && { gateBackoffs: this.tuning.gateBackoffs }),
      },
      signal,
    ).start();
    return { prefix, watch };
  }

  /** The token file and TLS files, retried until they can be read (a secret may be mounted late). */
  private async loadFiles(
    settings: ConsulSettings,
    token: TokenSource,
    status: AdapterStatusReporter,
    logger: Logger,
    signal: AbortSignal,
  ): Promise<TlsMaterial | undefined> {
    const backoff = new Backoff(1000, 30_000);
    let logged: string | undefined;
    while (!signal.aborted) {
      try {
        const [tls] = await Promise.all([settings.tls && readTlsFiles(settings.tls), token.get()]);
        status.setStartupProblem(undefined);
        return tls;
      } catch (error) {
        const message = (error as Error).message;
        if (message !== logged) logger.error({ reason: message }, 'the consul adapter cannot start yet');
        logged = message;
        status.setStartupProblem(message);
        await sleep(backoff.next(), signal);
      }
    }
    return undefined;
  }
}
