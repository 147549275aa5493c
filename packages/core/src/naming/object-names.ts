import { isIPv4, isIPv6 } from 'node:net';
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

/** A v3 cluster name taken apart: what `v3OutboundClusterName` or `v3InboundClusterName` built. */
export interface V3ClusterName {
  readonly direction: 'inbound' | 'outbound';
  readonly port: number;
  readonly subset: string;
  readonly hostname: string;
}

/** The parts of an `outbound|…` or `inbound|…` cluster name; undefined for any other name. */
export function parseV3ClusterName(name: string): V3ClusterName | undefined {
  const match = /^(outbound|inbound)\|(\d{1,5})\|([^|]*)\|([^|]+)$/.exec(name);
  if (!match) return undefined;
  const port = Number(match[2]);
  const direction = match[1] as V3ClusterName['direction'];
  const subset = match[3] ?? '';
  const hostname = match[4] ?? '';
  if (port < 1 || port > 65535 || (direction === 'inbound' && subset !== '')) return undefined;
  // Only the canonical spelling: `outbound|080||h` is not the name of any cluster.
  if (String(port) !== match[2]) return undefined;
  return { direction, port, subset, hostname };
}

/** The name of a v3 listener on an address: `0.0.0.0_9080`, `10.0.0.5_9080`, `[fd00::5]_9080`. */
export function v3ListenerName(ip: string, port: number): string {
  return `${isIPv6(ip) ? `[${ip}]` : ip}_${port}`;
}

/** The address a listener name built by `v3ListenerName` denotes; undefined for any other name. */
export function parseV3ListenerName(
  name: string,
): { readonly ip: string; readonly port: number } | undefined {
  const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([0-9.]+))_(\d{1,5})$/.exec(name);
  if (!match) return undefined;
  const ip = match[1] ?? match[2] ?? '';
  const port = Number(match[3]);
  const wellFormed = match[1] !== undefined ? isIPv6(ip) : isIPv4(ip);
  if (!wellFormed || port < 1 || port > 65535 || String(port) !== match[3]) return undefined;
  return { ip, port };
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
