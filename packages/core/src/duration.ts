/**
 * Durations as operators write them, in Go's grammar (Consul and Nomad use it too):
 * `100ms`, `1s`, `5m`, `1m30s`, `1.5h`. A bare number has no unit and is not a duration.
 */
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const WHOLE = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h))+$/;
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;

/**
 * The longest duration a setting may have: 24 days, just under the longest delay Node's timers
 * take (2^31 - 1 ms). Past that a timer fires after 1 ms, so `pollInterval: 99999h` would
 * re-read a file a thousand times a second.
 */
export const MAX_DURATION_MS = 24 * 24 * 3_600_000;

/** Milliseconds, or undefined when `text` is not a duration. */
export function parseDuration(text: string): number | undefined {
  if (!WHOLE.test(text)) return undefined;
  let total = 0;
  for (const match of text.matchAll(PART)) {
    total += Number(match[1]) * (UNIT_MS[match[2] ?? ''] ?? 0);
  }
  return Math.round(total);
}

/** Like parseDuration, for values a schema already checked. */
export function durationMs(text: string): number {
  const ms = parseDuration(text);
  if (ms === undefined) throw new Error(`not a duration: "${text}"`);
  return ms;
}

/** The shortest exact spelling of a whole number of milliseconds (`1500` → `1500ms`, `60000` → `1m`). */
export function formatDuration(ms: number): string {
  for (const [unit, size] of [
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}
