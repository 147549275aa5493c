import {
  ConfigError,
  durationMs,
  formatProblem,
  listenerConfig,
  type Registry,
  type LogLevel,
} from '@sextant/core';
import type { ReloadMetrics } from '@sextant/server';
import type { Logger } from 'pino';
import {
  diffConfig,
  isEmptyDiff,
  RESTART_ONLY,
  type ConfigDiff,
  type ListenerName,
} from '../config/config-diff';
import { loadConfig, type LoadedConfig } from '../config/load-config';
import type { RuleFiles } from '../rules/rule-files';
import type { AdapterSet } from './adapter-set';
import type { Listener, ListenerMove } from './listener';

/** What a reload that succeeded changed (the body of POST /admin/reload's 200). */
export interface ReloadChanges {
  readonly adapters: { readonly added: string[]; readonly removed: string[]; readonly restarted: string[] };
  readonly adapterOrder: boolean;
  readonly rules: boolean;
  readonly debounce: boolean;
  readonly logLevel: boolean;
  /** Listeners bound anew, with their new address. */
  readonly listeners: Readonly<Record<string, string>>;
  /** Settings that changed but apply only at the next start. */
  readonly restartRequired: readonly string[];
}

export type ReloadOutcome =
  | { readonly result: 'success'; readonly changed: boolean; readonly changes: ReloadChanges }
  | { readonly result: 'failure'; readonly errors: readonly string[] };

/** The last reload, as /debug/effective-config shows it. */
export type LastReload = ReloadOutcome & { readonly at: string; readonly trigger: string };

export interface ReloaderOptions {
  readonly configFile: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The root logger: its level is the configured one unless `--log-level` set it. */
  readonly logger: Logger;
  readonly logLevelFromCommandLine?: LogLevel;
  readonly registry: Registry;
  readonly adapters: AdapterSet;
  readonly ruleFiles: RuleFiles;
  readonly listeners: readonly Listener[];
  readonly metrics: ReloadMetrics;
}

/**
 * Reloads sextant.yaml (SIGHUP, POST /admin/reload) into the running daemon: loaded, interpolated
 * and validated as at start-up, then applied as a difference. A config that does not load is
 * refused whole and the running one stays. Listeners that move are bound first, so a bind that
 * fails refuses the reload with nothing changed; what was not changed keeps running as it was.
 * One reload at a time.
 */
export class Reloader {
  private running: LoadedConfig;
  private lastReload: LastReload | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(
    initial: LoadedConfig,
    private readonly options: ReloaderOptions,
  ) {
    this.running = initial;
  }

  /** The configuration in force (settings that need a restart keep their running values). */
  current(): LoadedConfig {
    return this.running;
  }

  last(): LastReload | undefined {
    return this.lastReload;
  }

  /** Refuses reloads from now on; resolves once the one under way is done (the daemon is stopping). */
  async close(): Promise<void> {
    this.closed = true;
    await this.queue;
  }

  /** Reloads after any reload under way; `trigger` says what asked, for the log. */
  reload(trigger: string): Promise<ReloadOutcome> {
    const next = this.queue.then(() => this.reloadNow(trigger));
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async reloadNow(trigger: string): Promise<ReloadOutcome> {
    const { logger } = this.options;
    if (this.closed) return { result: 'failure', errors: ['sextant is stopping: nothing was reloaded'] };
    let outcome: ReloadOutcome;
    try {
      outcome = await this.apply();
    } catch (error) {
      outcome = {
        result: 'failure',
        errors: [`reload failed: ${(error as Error)?.message ?? String(error)}`],
      };
    }
    this.lastReload = { ...outcome, at: new Date().toISOString(), trigger };
    this.options.metrics.count(outcome.result);
    if (outcome.result === 'failure') {
      logger.error(
        { trigger, file: this.options.configFile, problems: outcome.errors },
        `configuration reload refused; the running configuration stays:\n${outcome.errors.map((e) => `  ${e}`).join('\n')}`,
      );
    } else {
      const { changes } = outcome;
      logger.info({ trigger, file: this.options.configFile, changes }, 'configuration reloaded');
      if (changes.restartRequired.length > 0) {
        logger.warn(
          { restartRequired: changes.restartRequired },
          `${changes.restartRequired.join(', ')} changed: restart sextant to apply`,
        );
      }
    }
    return outcome;
  }

  private async apply(): Promise<ReloadOutcome> {
    const { configFile, env, logger } = this.options;
    let next: LoadedConfig;
    try {
      next = await loadConfig(configFile, { env, logger });
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      return { result: 'failure', errors: error.problems.map(formatProblem) };
    }
    const diff = diffConfig(this.running, next);
    const moves = await this.moveListeners(next, diff.listeners);
    if (!moves.ok) return { result: 'failure', errors: moves.errors };

    try {
      const { added, removed, changed, reordered } = diff.adapters;
      if (added.length + removed.length + changed.length > 0 || reordered) {
        await this.options.adapters.apply(next.adapters, changed);
      }
      if (diff.rules) await this.options.ruleFiles.setPatterns(next.config.rules, next.baseDir);
      if (diff.debounce) {
        this.options.registry.setDebounce({
          afterMs: durationMs(next.config.debounce.after),
          maxMs: durationMs(next.config.debounce.max),
        });
      }
      if (diff.logLevel && this.options.logLevelFromCommandLine === undefined)
        logger.level = next.config.log.level;
    } catch (error) {
      // Nothing moves unless everything else was applied.
      await Promise.all(moves.moved.map(([, move]) => move.rollback().catch(() => undefined)));
      throw error;
    }

    const bound: Record<string, string> = {};
    for (const [name, move] of moves.moved) {
      bound[name] = move.bound;
      // Not awaited: the old admin listener may be the one answering this reload, and it closes
      // once that answer is sent.
      move
        .commit()
        .catch((error: unknown) =>
          logger.warn({ err: error, listener: name }, 'closing the old address failed'),
        );
      logger.info({ listener: name, address: move.bound }, `${name} listening (moved by a reload)`);
    }
    // What needs a restart keeps its running value: the effective config says what is in force.
    const kept = Object.fromEntries(RESTART_ONLY.map((key) => [key, this.running.config[key]]));
    this.running = { ...next, config: { ...next.config, ...kept } };
    return { result: 'success', changed: !isEmptyDiff(diff), changes: describe(diff, bound) };
  }

  /** Binds every moved listener's new address; on any failure, closes those bound and says why. */
  private async moveListeners(
    next: LoadedConfig,
    names: readonly ListenerName[],
  ): Promise<{ ok: true; moved: [string, ListenerMove][] } | { ok: false; errors: string[] }> {
    const moved: [string, ListenerMove][] = [];
    for (const name of names) {
      const listener = this.options.listeners.find((l) => l.name === name);
      if (listener === undefined) continue;
      const address = listenerConfig(next.config.listen[name]).address;
      try {
        moved.push([name, await listener.move(address)]);
      } catch (error) {
        await Promise.all(moved.map(([, move]) => move.rollback().catch(() => undefined)));
        return {
          ok: false,
          errors: [`${next.file}: listen.${name}: cannot listen on ${address}: ${(error as Error).message}`],
        };
      }
    }
    return { ok: true, moved };
  }
}

function describe(diff: ConfigDiff, listeners: Record<string, string>): ReloadChanges {
  return {
    adapters: {
      added: [...diff.adapters.added],
      removed: [...diff.adapters.removed],
      restarted: [...diff.adapters.changed],
    },
    adapterOrder: diff.adapters.reordered,
    rules: diff.rules,
    debounce: diff.debounce,
    logLevel: diff.logLevel,
    listeners,
    restartRequired: diff.restartRequired,
  };
}
