/**
 * Durations as Istio reads them: the legacy jsonpb unmarshaller it uses accepts Go's
 * `time.ParseDuration` grammar (`500ms`, `1m30s`, `0.5s`, `1h`), which also covers protobuf's
 * JSON form (`1.500s`). Istio then wants every duration ≥ 1 ms and a whole number of
 * milliseconds; some fields (a route's timeout, an idle timeout) also take 0.
 */
const UNIT_NANOS: Readonly<Record<string, bigint>> = {
  ns: 1n,
  us: 1_000n,
  µs: 1_000n, // U+00B5 micro sign
  μs: 1_000n, // U+03BC Greek mu
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};
// The two micro signs escaped: a bundle's source stays ASCII (packages/sextant/scripts/bundle.js).
const COMPONENT = /^(\d*)(?:\.(\d*))?(ns|us|\u00b5s|\u03bcs|ms|s|m|h)/;
const NANOS_PER_MS = 1_000_000n;
/** Go's durations are int64 nanoseconds (about 290 years). */
const MAX_NANOS = 2n ** 63n - 1n;
/** Longer texts are not durations anyone writes; refusing them bounds the work. */
const MAX_DURATION_CHARACTERS = 64;

export type DurationReading = { readonly ms: number } | { readonly problem: string };

/** Milliseconds, or what is wrong with `text` as a duration (`zero`: whether 0 is allowed). */
export function readDuration(text: string, zero: 'allowed' | 'refused' = 'refused'): DurationReading {
  const nanos = goDurationNanos(text);
  if (nanos === undefined) {
    return { problem: 'not a duration: write it like 500ms, 7s, 1m30s or 1h' };
  }
  if (nanos < 0n) return { problem: 'a duration cannot be negative' };
  if (nanos === 0n && zero === 'allowed') return { ms: 0 };
  if (nanos < NANOS_PER_MS) return { problem: 'duration must be at least 1ms' };
  if (nanos % NANOS_PER_MS !== 0n) return { problem: 'only durations to ms precision are supported' };
  return { ms: Number(nanos / NANOS_PER_MS) };
}

/** Nanoseconds of a Go duration (`time.ParseDuration`), or undefined when it is not one. */
export function goDurationNanos(text: string): bigint | undefined {
  if (text.length === 0 || text.length > MAX_DURATION_CHARACTERS) return undefined;
  let rest = text;
  let sign = 1n;
  if (rest[0] === '-' || rest[0] === '+') {
    sign = rest[0] === '-' ? -1n : 1n;
    rest = rest.slice(1);
  }
  if (rest === '0') return 0n;
  if (rest === '') return undefined;
  let total = 0n;
  while (rest !== '') {
    const match = COMPONENT.exec(rest);
    if (!match) return undefined;
    const whole = match[1] ?? '';
    const fraction = match[2] ?? '';
    if (whole === '' && fraction === '') return undefined;
    const unit = UNIT_NANOS[match[3] ?? ''] ?? 0n;
    total += BigInt(whole === '' ? '0' : whole) * unit;
    // Go keeps the fraction's digits as far as they are significant, truncating the rest.
    if (fraction !== '') total += (BigInt(fraction) * unit) / 10n ** BigInt(fraction.length);
    if (total > MAX_NANOS) return undefined;
    rest = rest.slice(match[0].length);
  }
  return sign * total;
}
