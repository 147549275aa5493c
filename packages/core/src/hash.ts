import { createHash } from 'node:crypto';

/**
 * JSON with object keys sorted at every level, so equal values serialise to equal
 * strings in any process: the basis of content-derived versions.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const record = value as Record<string, unknown>;
  const fields = Object.keys(record)
    .filter((key) => record[key] !== undefined)
    .sort()
    .map((key) => `${JSON.stringify(key)}:${canonicalJson(record[key])}`);
  return `{${fields.join(',')}}`;
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** A short, stable digest of a value's content (64 bits of SHA-256). */
export function contentVersion(value: unknown): string {
  return sha256Hex(canonicalJson(value)).slice(0, 16);
}
