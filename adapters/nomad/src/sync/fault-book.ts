const SHOWN = 3;

/**
 * What is failing right now, one entry per watch, as one line for the adapter status. Watches
 * failing for the same reason (Nomad is down: every watch says so) are one entry, and the line
 * names no counts, so it changes only when the reasons do, not with each watch that hits them.
 */
export class FaultBook {
  private readonly faults = new Map<string, string>();

  /** Records a watch's fault; returns whether that changed anything. */
  set(watch: string, reason: string): boolean {
    if (this.faults.get(watch) === reason) return false;
    this.faults.set(watch, reason);
    return true;
  }

  /** A watch succeeded (or stopped); returns whether it had a fault. */
  clear(watch: string): boolean {
    return this.faults.delete(watch);
  }

  get size(): number {
    return this.faults.size;
  }

  /** The distinct reasons, sorted, the first three and how many more; undefined when nothing fails. */
  summary(): string | undefined {
    const reasons = [...new Set(this.faults.values())].sort();
    if (reasons.length === 0) return undefined;
    const shown = reasons.slice(0, SHOWN).join('; ');
    return reasons.length > SHOWN ? `${shown} (and ${reasons.length - SHOWN} more)` : shown;
  }
}
