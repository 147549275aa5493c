import { clientText } from '../client-text';
import type { Logger } from '../logger';

/** How many distinct problems are remembered as already logged; the oldest is forgotten first. */
const MAX_REMEMBERED = 1000;

/**
 * Warns about inputs the registry rejected (an instance without an IP address, a port name the
 * service does not have…) once per distinct problem: adapters report their whole state again on
 * every wake-up, and the same bad entry must not fill the log. Counts and the latest reasons stay
 * on /debug/registry and the metrics.
 */
export class RejectionLog {
  private readonly logged = new Set<string>();

  constructor(private readonly logger: Logger) {}

  report(adapter: string, problems: readonly string[]): void {
    for (const raw of problems) {
      // Problems quote platform data: cut and escaped before they are kept or logged.
      const problem = clientText(raw);
      const key = `${adapter}\u0000${problem}`;
      if (this.logged.has(key)) continue;
      this.logged.add(key);
      if (this.logged.size > MAX_REMEMBERED) {
        const oldest = this.logged.values().next().value;
        if (oldest !== undefined) this.logged.delete(oldest);
      }
      this.logger.warn(
        { adapter, problem },
        `adapter ${adapter} reported input that was rejected: ${problem}`,
      );
    }
  }
}
