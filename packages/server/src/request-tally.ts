/**
 * Requests counted by label values as plain numbers, for paths that count every request: one
 * Map lookup and an increment, where a prom-client counter builds its label key string on every
 * increment. The counter takes the counts when it is collected (see ServerMetrics).
 */
export class RequestTally<Label extends string> {
  private readonly counts = new Map<Label, Map<number, { n: number }>>();

  add(label: Label, code: number): void {
    let byCode = this.counts.get(label);
    if (!byCode) this.counts.set(label, (byCode = new Map()));
    const cell = byCode.get(code);
    if (cell) cell.n += 1;
    else byCode.set(code, { n: 1 });
  }

  /** Hands over every count added since the last call. */
  drain(into: (label: Label, code: number, count: number) => void): void {
    for (const [label, byCode] of this.counts) {
      for (const [code, cell] of byCode) {
        if (cell.n === 0) continue;
        into(label, code, cell.n);
        cell.n = 0;
      }
    }
  }
}
