/**
 * Go's `time.ParseDuration`, which Consul and Nomad use for `?wait=`: a sequence of decimal numbers with
 * units (`ns`, `us`, `µs`, `ms`, `s`, `m`, `h`), optionally signed: `5m`, `100ms`, `1m30s`, `1.5h`.
 * A bare `0` is valid; any other number needs a unit.
 */
const UNIT_MS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

const WHOLE = /^[-+]?(?:(?:\d+\.?\d*|\.\d+)(?:ns|us|µs|ms|s|m|h))+$/;
const PART = /(\d+\.?\d*|\.\d+)(ns|us|µs|ms|s|m|h)/g;

/** Milliseconds, or undefined when Go would refuse `text`. */
export function parseGoDuration(text: string): number | undefined {
  if (text === '0' || text === '+0' || text === '-0') return 0;
  if (!WHOLE.test(text)) return undefined;
  let total = 0;
  for (const match of text.matchAll(PART)) total += Number(match[1]) * (UNIT_MS[match[2] ?? ''] ?? 0);
  return text.startsWith('-') ? -total : total;
}
