export interface RepeatedEventsOptions {
  /** How long after a kind is logged its repeats are only counted. */
  readonly windowMs?: number;
  /** How many kinds are remembered; the one logged longest ago is forgotten first. */
  readonly maxKinds?: number;
  readonly now?: () => number;
}

/**
 * Rate-limits the log lines of repeated identical events: the same NACK from every proxy of a
 * fleet, the same failing request sent in a loop. The first event of a kind is logged; its
 * repeats within the window are only counted, and the first one logged after the window says
 * how many were left out. At most `maxKinds` kinds are remembered, so memory stays bounded
 * whatever clients send (a kind should be built from client text already cut to size).
 */
export class RepeatedEvents {
  private readonly kinds = new Map<string, { loggedAt: number; leftOut: number }>();
  private readonly windowMs: number;
  private readonly maxKinds: number;
  private readonly now: () => number;

  constructor(options: RepeatedEventsOptions = {}) {
    this.windowMs = options.windowMs ?? 60_000;
    this.maxKinds = options.maxKinds ?? 1000;
    this.now = options.now ?? Date.now;
  }

  /**
   * Whether to log this event of `kind`: undefined to leave it out, else how many events of the
   * kind were left out since the last one logged.
   */
  admit(kind: string): number | undefined {
    const now = this.now();
    const seen = this.kinds.get(kind);
    if (seen && now - seen.loggedAt < this.windowMs) {
      seen.leftOut += 1;
      return undefined;
    }
    // Deleted and set again, so the Map's order is the order kinds were last logged in.
    this.kinds.delete(kind);
    this.kinds.set(kind, { loggedAt: now, leftOut: 0 });
    if (this.kinds.size > this.maxKinds) {
      const oldest = this.kinds.keys().next().value;
      if (oldest !== undefined) this.kinds.delete(oldest);
    }
    return seen?.leftOut ?? 0;
  }
}

/** The log fields saying how many repeats of an event were left out, if any were. */
export function leftOutFields(leftOut: number): { repeatsLeftOut?: number } {
  return leftOut > 0 ? { repeatsLeftOut: leftOut } : {};
}
