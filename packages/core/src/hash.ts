import { createHash, hash } from 'node:crypto';

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

/**
 * The first 64 bits of the SHA-256 of `data` as 16 hex digits: what versions are made of. A string
 * of its own: the same digits sliced from the whole digest's hex would keep all 64 of them alive
 * (V8 slices rather than copies), and a mesh holds a version per service, shape and resource
 * (some 4 MB at 10,000 services).
 */
export function shortDigest(data: string | Uint8Array): string {
  return hash('sha256', data, 'buffer').toString('hex', 0, 8);
}

/** A short, stable digest of a value's content (64 bits of SHA-256). */
export function contentVersion(value: unknown): string {
  return shortDigest(canonicalJson(value));
}
