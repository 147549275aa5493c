import type { AdapterStatus, RegistrySink } from '@sextant/core';
import type { SkippedInstances } from './service-report';

const SHOWN = 3;
/** `ready` is confirmed at most this often: enough for /debug/registry's age, not a report per answer. */
const CONFIRM_INTERVAL_MS = 1000;

const SKIP_REASONS: readonly [keyof SkippedInstances, string][] = [
  ['noPort', 'without a port'],
  ['notIp', 'with a DNS name for an address'],
  ['duplicates', 'registered twice at one address:port'],
  ['unknownProtocol', 'declaring an unknown protocol (service protocol used)'],
  ['malformed', 'malformed'],
];

/**
 * The one status line the adapter shows (/readyz, /debug/registry): `syncing` until the first
 * complete sync, saying what it waits for or why it cannot get it; then `ready`, or `degraded`
 * with the reasons while Consul fails. A status is reported when it changes; `ready` is also
 * re-confirmed as answers keep arriving, so the age shown stays honest.
 */
export class AdapterStatusReporter {
  private startupProblem: string | undefined;
  private readonly faults = new Map<string, string>();
  /** Config entries that cannot be translated to rules (rules.configEntries): shown, but not a fault. */
  private ruleProblems: readonly string[] = [];
  private synced = false;
  private waitingFor = 'the first answers from Consul';
  private last: { status: AdapterStatus; detail: string | undefined } | undefined;
  private lastConfirmedAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly sink: RegistrySink,
    private readonly skipped: () => SkippedInstances,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Something that keeps the adapter from starting at all (a bad address, an unreadable token file). */
  setStartupProblem(problem: string | undefined): void {
    this.startupProblem = problem;
    this.update();
  }

  /** What the first sync waits for, while nothing is failing. */
  setWaitingFor(what: string): void {
    this.waitingFor = what;
    this.update();
  }

  /** A fault under `key` (a datacenter, a watch), or its end with undefined. */
  setFault(key: string, message: string | undefined): void {
    if (message === undefined) this.faults.delete(key);
    else this.faults.set(key, message);
    this.update();
  }

  /** The config entries that cannot be translated, as lines naming entry and field; [] when none. */
  setRuleProblems(lines: readonly string[]): void {
    this.ruleProblems = lines;
    this.update();
  }

  markSynced(): void {
    this.synced = true;
    this.update();
  }

  /** Consul answered normally: re-confirm `ready` if that is the status. */
  confirm(): void {
    if (this.last?.status !== 'ready' || this.now() - this.lastConfirmedAt < CONFIRM_INTERVAL_MS) return;
    this.report('ready', this.last.detail);
  }

  /** The skipped-instances summary may have changed. */
  refresh(): void {
    this.update();
  }

  private update(): void {
    const faults = [...(this.startupProblem ? [this.startupProblem] : []), ...this.faults.values()];
    let status: AdapterStatus;
    let detail: string | undefined;
    if (!this.synced) {
      status = 'syncing';
      detail = faults.length > 0 ? summarize(faults) : `waiting for ${this.waitingFor}`;
    } else if (faults.length > 0) {
      status = 'degraded';
      detail = `${summarize(faults)}; serving the last state read`;
    } else {
      status = 'ready';
      detail = skippedSummary(this.skipped());
    }
    if (this.ruleProblems.length > 0) {
      const rules = `config entries not translated: ${summarize(this.ruleProblems)}`;
      detail = detail === undefined ? rules : `${detail}; ${rules}`;
    }
    if (this.last?.status === status && this.last.detail === detail) return;
    this.report(status, detail);
  }

  private report(status: AdapterStatus, detail: string | undefined): void {
    this.last = { status, detail };
    if (status === 'ready') this.lastConfirmedAt = this.now();
    this.sink.setStatus(status, detail);
  }
}

function summarize(faults: readonly string[]): string {
  const shown = faults.slice(0, SHOWN).join('; ');
  return faults.length > SHOWN ? `${shown} (and ${faults.length - SHOWN} more)` : shown;
}

/** `3 instances skipped: 2 without a port, 1 with a DNS name for an address`, or undefined. */
function skippedSummary(skipped: SkippedInstances): string | undefined {
  const parts = SKIP_REASONS.filter(([key]) => skipped[key] > 0).map(
    ([key, why]) => `${skipped[key]} ${why}`,
  );
  if (parts.length === 0) return undefined;
  const total = SKIP_REASONS.reduce((sum, [key]) => sum + skipped[key], 0);
  return `${total} instance${total === 1 ? '' : 's'} skipped: ${parts.join(', ')}`;
}
