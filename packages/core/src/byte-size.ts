/**
 * Sizes as operators write them: `512KiB`, `128MiB`, `2GiB`, or SI `64MB`, or plain bytes
 * (`1048576`). Binary units are powers of 1024, SI units powers of 1000.
 */
const UNIT_BYTES: Record<string, number> = {
  '': 1,
  B: 1,
  KB: 1e3,
  MB: 1e6,
  GB: 1e9,
  KiB: 1024,
  MiB: 1024 ** 2,
  GiB: 1024 ** 3,
};
const SIZE = /^(\d+(?:\.\d+)?)\s*(B|KB|MB|GB|KiB|MiB|GiB)?$/;

/** Bytes, or undefined when `text` is not a size (or is more than 2^53 bytes). */
export function parseByteSize(text: string): number | undefined {
  const match = SIZE.exec(text);
  if (!match) return undefined;
  const bytes = Math.round(Number(match[1]) * (UNIT_BYTES[match[2] ?? ''] ?? 1));
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}

/** Like parseByteSize, for values a schema already checked. */
export function byteSize(text: string): number {
  const bytes = parseByteSize(text);
  if (bytes === undefined) throw new Error(`not a size: "${text}"`);
  return bytes;
}
