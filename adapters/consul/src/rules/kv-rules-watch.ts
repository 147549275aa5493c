import type { SharedTokenBucket } from '@sextant/adapter-kit';
import { formatProblem, type Logger, type RegistrySink } from '@sextant/core';
import type { AdapterStatusReporter } from '../adapter-status';
import { BlockingWatch } from '../blocking-watch';
import type { ConsulApi } from '../consul-api';
import type { ConsulFault } from '../consul-fault';
import { FaultGate, type GateBackoffs } from '../fault-gate';
import { KvRuleDocuments, type KvRuleEntry } from './kv-rule-documents';

/** The origin of KV rules in the adapter's reports (RegistrySink.replaceRules). */
export const KV_RULES_ORIGIN = 'kv';

export interface KvRulesWatchOptions {
  readonly api: ConsulApi;
  /** Ends in `/`. */
  readonly prefix: string;
  readonly sink: RegistrySink;
  readonly status: AdapterStatusReporter;
  readonly waitMs: number;
  /** The adapter's budget of re-reads after early answers, shared with the catalog and health watches. */
  readonly rateLimit: SharedTokenBucket;
  readonly logger: Logger;
  /** Consul refused the token: re-read a token file before the next try. */
  readonly onDenied: () => void;
  readonly gateBackoffs?: () => GateBackoffs;
}

/**
 * Traffic rules under a KV prefix of the agent's datacenter (docs/adapters/consul.md, "Traffic
 * rules"): one blocking query on `?recurse` (404 = no keys), each answer reported whole as the
 * adapter's `kv` rules with the problems of keys that do not read. It follows the adapter's watch
 * rules (BlockingWatch: index resets, the shared re-read budget) behind a FaultGate of its own:
 * while Consul fails, the rules last reported stay and the adapter shows `degraded`; when Consul
 * answers again, the prefix is read again from index 0.
 */
export class KvRulesWatch {
  private readonly gate: FaultGate;
  private readonly watch: BlockingWatch<unknown[]>;
  private readonly documents = new KvRuleDocuments();
  private readonly logger: Logger;
  private failingFor: string | undefined;
  private shownProblems = '';
  private resolveFirstRead: () => void = () => undefined;
  /** Resolves at the first answer (or when stopped before it): `ready` waits for it. */
  readonly firstRead: Promise<void>;

  constructor(
    private readonly options: KvRulesWatchOptions,
    signal: AbortSignal,
  ) {
    this.logger = options.logger.child({ kvPrefix: options.prefix });
    this.firstRead = new Promise((resolve) => (this.resolveFirstRead = resolve));
    signal.addEventListener('abort', () => this.resolveFirstRead(), { once: true });
    this.gate = new FaultGate(
      { failing: (fault, retryInMs) => this.failing(fault, retryInMs), recovered: () => this.recovered() },
      options.gateBackoffs?.(),
    );
    this.watch = new BlockingWatch<unknown[]>(
      {
        name: `kv ${options.prefix}`,
        fetch: (index, waitMs, requestSignal) =>
          options.api.kvList(options.prefix, { datacenter: undefined, index, waitMs, signal: requestSignal }),
        onAnswer: (body) => this.onAnswer(body),
        onOwnFault: (fault) => options.status.setFault(this.statusKey, fault && this.describe(fault)),
        gate: this.gate,
        waitMs: () => options.waitMs,
        rateLimit: options.rateLimit,
        logger: this.logger,
      },
      signal,
    );
  }

  private get statusKey(): string {
    return `kv ${this.options.prefix}`;
  }

  start(): this {
    this.watch.start();
    return this;
  }

  /** Resolves once its last request has settled (after the signal aborts). */
  async stopped(): Promise<void> {
    await this.watch.done;
    this.gate.dispose();
  }

  private onAnswer(body: unknown[]): void {
    const { rules, problems, keys } = this.documents.read(entriesOf(body));
    this.options.sink.replaceRules(KV_RULES_ORIGIN, rules, problems);
    const shown = problems.map(formatProblem).join('\n');
    if (shown !== this.shownProblems) {
      if (problems.length > 0)
        this.logger.warn({ problems: problems.map(formatProblem) }, 'rules in Consul KV have problems');
      else this.logger.info({ keys, rules: rules.length }, 'rules in Consul KV read');
    }
    this.shownProblems = shown;
    this.resolveFirstRead();
  }

  private describe(fault: ConsulFault): string {
    return `rules under KV prefix "${this.options.prefix}": ${fault.reason}`;
  }

  private failing(fault: ConsulFault, retryInMs: number): void {
    if (fault.reason !== this.failingFor) {
      this.logger.warn(
        { reason: fault.reason, retryInMs: Math.round(retryInMs) },
        'Consul KV reads failing; keeping the rules last read',
      );
    }
    this.failingFor = fault.reason;
    this.options.status.setFault(this.statusKey, this.describe(fault));
    if (fault.kind === 'denied') this.options.onDenied();
  }

  private recovered(): void {
    this.failingFor = undefined;
    this.logger.info('Consul KV answers again; reading the rules again');
    this.options.status.setFault(this.statusKey, undefined);
    this.watch.resync();
  }
}

/** The entries of an answer; anything without a string Key is not an entry and is left out. */
function entriesOf(body: unknown[]): KvRuleEntry[] {
  const entries: KvRuleEntry[] = [];
  for (const item of body) {
    if (typeof item !== 'object' || item === null) continue;
    const { Key: key, Value: value } = item as { Key?: unknown; Value?: unknown };
    if (typeof key !== 'string') continue;
    entries.push({ key, value: typeof value === 'string' ? value : null });
  }
  return entries;
}
