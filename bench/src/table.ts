/** Prints rows as an aligned Markdown table (pasteable into an issue or a doc). */
export function printTable(rows: readonly Record<string, string | number>[]): void {
  const first = rows[0];
  if (!first) return;
  const columns = Object.keys(first);
  const cell = (value: string | number | undefined) =>
    typeof value === 'number' ? formatNumber(value) : (value ?? '');
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => String(cell(r[c])).length)));
  const line = (values: string[]) => `| ${values.map((v, i) => v.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  console.log(line(columns));
  console.log(line(widths.map((w) => '-'.repeat(w))));
  for (const row of rows) console.log(line(columns.map((c) => String(cell(row[c])))));
  console.log('');
}

function formatNumber(value: number): string {
  if (Number.isInteger(value)) return String(value);
  return value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2);
}

/** Milliseconds since `start` (a process.hrtime.bigint() reading). */
export function elapsedMs(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/** Resident set size in MiB. */
export function rssMiB(): number {
  return process.memoryUsage().rss / 1024 / 1024;
}

/** Median of a list of numbers. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

/** The p-th percentile (0–100) of a list of numbers, nearest rank. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return 0;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1] ?? 0;
}

/**
 * One figure of a benchmark beside its baseline and goal, for `npm run bench -- all`. A benchmark
 * module exports `summary(): Promise<SummaryRow[]>` to take part.
 */
export interface SummaryRow {
  /** What is measured, e.g. `10k × 10: spawn → ready`. */
  readonly measure: string;
  /** The figure, with its unit. */
  readonly figure: string;
  /** What the figure is read against, named and with its unit (`raw Node server 41,000 req/s`). */
  readonly baseline: string;
  /** figure / baseline, where that means something (else ''). */
  readonly ratio: string;
  readonly goal: string;
  readonly met: boolean;
}

/** Prints summary rows as one table. */
export function printSummary(rows: readonly SummaryRow[]): void {
  printTable(
    rows.map((row) => ({
      measure: row.measure,
      figure: row.figure,
      baseline: row.baseline,
      ratio: row.ratio,
      goal: row.goal,
      met: row.met ? 'yes' : 'NO',
    })),
  );
}

/** A ratio as `3.1×`. */
export function times(ratio: number): string {
  return `${ratio >= 10 ? ratio.toFixed(0) : ratio.toFixed(2)}×`;
}
