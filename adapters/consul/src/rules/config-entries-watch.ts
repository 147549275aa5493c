import { Backoff, sleep, type HostnameTemplate, type SharedTokenBucket } from '@sextant/adapter-kit';
import type { Logger, RegistrySink } from '@sextant/core';
import type { AdapterStatusReporter } from '../adapter-status';
import { BlockingWatch } from '../blocking-watch';
import type { ConsulApi } from '../consul-api';
import { ConsulFault } from '../consul-fault';
import { FaultGate, type GateBackoffs } from '../fault-gate';
import type { RequestBudget } from '../request-budget';
import type { DatacenterSelection } from '../settings';
import { ConfigEntryBook } from './config-entry-book';
import { formatEntryProblem } from './translate/entry-problems';
import { CONFIG_ENTRY_KINDS } from './translate/read-entries';

/** The origin of these rules in the registry (RegistrySink.replaceRules). */
export const CONFIG_ENTRIES_ORIGIN = 'config-entries';

export interface ConfigEntriesWatchOptions {
  readonly api: ConsulApi;
  readonly sink: RegistrySink;
  readonly status: AdapterStatusReporter;
  readonly budget: RequestBudget;
  readonly rateLimit: SharedTokenBucket;
  readonly selection: DatacenterSelection;
  readonly hostname: HostnameTemplate;
  readonly logger: Logger;
  readonly onDenied: () => void;
  readonly gateBackoffs?: () => GateBackoffs;
}

/**
 * Consul's L7 config entries as traffic rules (`rules.configEntries`, docs/adapters/consul.md):
 * one blocking list per kind (service-router, -splitter, -resolver, -defaults) in the agent's
 * datacenter (or the first one listed), translated as a whole once every kind has answered, and
 * reported as the adapter's `config-entries` rules. The lists take their turns in the adapter's
 * request slots like health watches (so the bound on sockets holds), pass one FaultGate of their
 * own (an outage costs one probe per backoff; the rules reported stay as they were), follow
 * Consul's index rules, and read again from 0 after an outage. What cannot be translated is shown
 * in the adapter's status and logged, naming the entry and field.
 */
export class ConfigEntriesWatch {
  private readonly book = new ConfigEntryBook();
  private shownProblems = '';

  constructor(private readonly options: ConfigEntriesWatchOptions) {}

  async run(signal: AbortSignal): Promise<void> {
    const datacenter = await this.datacenter(signal);
    if (datacenter === undefined || signal.aborted) return;
    const { api, budget, status, logger } = this.options;
    const watches: BlockingWatch<unknown[]>[] = [];
    const gate = new FaultGate(
      {
        failing: (fault) => status.setFault('config entries', `config entries: ${fault.message}`),
        recovered: () => {
          status.setFault('config entries', undefined);
          for (const watch of watches) watch.resync();
        },
      },
      this.options.gateBackoffs?.(),
    );
    for (const kind of CONFIG_ENTRY_KINDS) {
      budget.addWatch();
      watches.push(
        new BlockingWatch<unknown[]>(
          {
            name: `${datacenter} config ${kind}`,
            fetch: (index, waitMs, requestSignal) =>
              api.configEntries(kind, { datacenter, index, waitMs, signal: requestSignal }),
            onAnswer: (body) => {
              this.book.setKind(kind, body);
              this.report(datacenter);
            },
            onOwnFault: (fault) =>
              status.setFault(`config ${kind}`, fault && `config entries (${kind}): ${fault.message}`),
            gate,
            slots: budget.slots,
            waitMs: () => budget.healthWaitMs(),
            rateLimit: this.options.rateLimit,
            logger,
          },
          signal,
        ).start(),
      );
    }
    await aborted(signal);
    await Promise.all(watches.map((watch) => watch.done));
    for (let i = 0; i < watches.length; i += 1) budget.removeWatch();
    gate.dispose();
  }

  private report(datacenter: string): void {
    if (!this.book.complete) return;
    const { rules, problems } = this.book.translate({
      hostname: (service) => this.options.hostname.render({ service, dc: datacenter }),
    });
    this.options.sink.replaceRules(CONFIG_ENTRIES_ORIGIN, rules);
    const lines = problems.map(formatEntryProblem);
    const shown = lines.join('\n');
    if (shown === this.shownProblems) return;
    this.shownProblems = shown;
    this.options.status.setRuleProblems(lines);
    if (lines.length > 0) {
      this.options.logger.warn(
        { problems: lines },
        'some Consul config entries cannot be translated to traffic rules',
      );
    }
  }

  /** The datacenter whose entries are read: the one listed first, else the agent's own (retried until known). */
  private async datacenter(signal: AbortSignal): Promise<string | undefined> {
    const { selection, api, status } = this.options;
    if (selection.kind === 'listed') return selection.names[0];
    const backoff = new Backoff(500, 30_000);
    while (!signal.aborted) {
      try {
        const name = await api.agentDatacenter(signal);
        status.setFault('config entries', undefined);
        return name;
      } catch (error) {
        if (signal.aborted) return undefined;
        const fault = error instanceof ConsulFault ? error : new ConsulFault('invalid', String(error));
        status.setFault(
          'config entries',
          `config entries: cannot learn the agent's datacenter: ${fault.message}`,
        );
        if (fault.kind === 'denied') this.options.onDenied();
        await sleep(backoff.next(), signal);
      }
    }
    return undefined;
  }
}

function aborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}
