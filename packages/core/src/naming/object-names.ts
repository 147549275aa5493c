import { sha256Hex } from '../hash';
import { formatServiceKey, type ServiceKey } from './service-key';

/**
 * Envoy v1 caps the names of clusters, virtual hosts and listeners at 60 bytes
 * (`--max-obj-name-len`), and Envoy ≤1.4 rejected `:` in cluster names.
 */
export const V1_MAX_NAME_BYTES = 60;

const HASH_CHARS = 16;

/**
 * A name Envoy v1 accepts: the name itself when it fits and has no `:`; otherwise a
 * readable prefix (`:` replaced by `_`) and `~` plus 64 bits of the full name's SHA-256,
 * never over 60 bytes. Deterministic, so every replica and every poll agrees.
 */
export function v1ObjectName(name: string): string {
  if (Buffer.byteLength(name) <= V1_MAX_NAME_BYTES && !name.includes(':')) return name;
  const suffix = `~${sha256Hex(name).slice(0, HASH_CHARS)}`;
  const prefix = truncateBytes(name.replace(/:/g, '_'), V1_MAX_NAME_BYTES - suffix.length);
  return prefix + suffix;
}

/** v1 inbound cluster: the proxy's own application on `port`. */
export function v1InboundClusterName(port: number): string {
  return `in.${port}`;
}

/** v1 outbound cluster for a service key, shortened when Envoy v1 would refuse it. */
export function v1OutboundClusterName(key: ServiceKey): string {
  return v1ObjectName(`out.${formatServiceKey(key)}`);
}

/** v3 outbound cluster: `outbound|<port>|<subset>|<hostname>` (subset may be empty). */
export function v3OutboundClusterName(port: number, hostname: string, subset = ''): string {
  return `outbound|${port}|${subset}|${hostname}`;
}

/** v3 inbound cluster: `inbound|<port>||<hostname>`. */
export function v3InboundClusterName(port: number, hostname: string): string {
  return `inbound|${port}||${hostname}`;
}

/** The longest prefix of `text` that fits in `maxBytes` of UTF-8 without splitting a character. */
function truncateBytes(text: string, maxBytes: number): string {
  let bytes = 0;
  let end = 0;
  for (const char of text) {
    const size = Buffer.byteLength(char);
    if (bytes + size > maxBytes) break;
    bytes += size;
    end += char.length;
  }
  return text.slice(0, end);
}
