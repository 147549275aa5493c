import type { AdapterStatus, RegistrySink } from '@sextant/core';

const SHOWN = 3;

/**
 * The adapter's status from its collections' states: `syncing` until every collection has been
 * listed once (with the reason when one is failing), then `ready`, or `degraded` with the API's
 * message while any fails. Collections failing the same way are named together ("services, pods:
 * the API server is unavailable") so an outage reads as one line. A status is reported when it
 * changes, and `ready` again when a relist confirms the state.
 */
export class SyncHealth<R> {
  private readonly unlisted: Set<R>;
  private readonly failures = new Map<R, string>();
  private last: { status: AdapterStatus; detail: string | undefined } = {
    status: 'syncing',
    detail: undefined,
  };

  constructor(
    private readonly sink: RegistrySink,
    members: Iterable<R>,
    private readonly describe: (member: R) => string,
  ) {
    this.unlisted = new Set(members);
  }

  /** Every collection has been listed once. */
  get synced(): boolean {
    return this.unlisted.size === 0;
  }

  listed(member: R): void {
    this.unlisted.delete(member);
  }

  failed(member: R, message: string): void {
    this.failures.set(member, message);
  }

  recovered(member: R): void {
    this.failures.delete(member);
  }

  /** Reports the status if it changed; with `confirm`, reports `ready` even if it did not. */
  publish(confirm = false): void {
    const detail = this.failures.size > 0 ? this.summary() : undefined;
    const status: AdapterStatus = !this.synced ? 'syncing' : detail !== undefined ? 'degraded' : 'ready';
    const changed = status !== this.last.status || detail !== this.last.detail;
    if (!changed && !(confirm && status === 'ready')) return;
    this.last = { status, detail };
    if (detail === undefined) this.sink.setStatus(status);
    else this.sink.setStatus(status, detail);
  }

  private summary(): string {
    const byMessage = new Map<string, string[]>();
    for (const [member, message] of this.failures) {
      const names = byMessage.get(message) ?? [];
      names.push(this.describe(member));
      byMessage.set(message, names);
    }
    const parts = [...byMessage].map(([message, names]) => `${names.join(', ')}: ${message}`);
    const shown = parts.slice(0, SHOWN).join('; ');
    return parts.length > SHOWN ? `${shown} (and ${parts.length - SHOWN} more)` : shown;
  }
}
