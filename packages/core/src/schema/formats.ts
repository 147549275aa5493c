import { isIP } from 'node:net';
import { parseByteSize } from '../byte-size';
import { formatDuration, MAX_DURATION_MS, parseDuration } from '../duration';

/** Formats every schema in Sextant may use, with the sentence a user sees when a value fails one. */
export const FORMATS: Record<string, { validate: (value: string) => boolean; message: string }> = {
  ip: { validate: (v) => isIP(v) !== 0, message: 'not an IP address' },
  duration: {
    validate: (v) => {
      const ms = parseDuration(v);
      return ms !== undefined && ms <= MAX_DURATION_MS;
    },
    message: `not a duration of at most ${formatDuration(MAX_DURATION_MS)} (write it like 100ms, 1s, 5m or 1m30s)`,
  },
  'byte-size': {
    validate: (v) => parseByteSize(v) !== undefined,
    message: 'not a size (write it like 64MiB, 512KiB or 1GiB)',
  },
  'host-port': { validate: isHostPort, message: 'not host:port (e.g. 127.0.0.1:15003 or [::1]:15003)' },
  'http-url': { validate: isHttpUrl, message: 'not an http:// or https:// URL' },
};

function isHostPort(value: string): boolean {
  const match = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]*):(\d{1,5})$/.exec(value);
  if (!match) return false;
  const port = Number(match[2]);
  return port >= 0 && port <= 65535;
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

/**
 * Each format's check alone: what validators compiled ahead of time (precompiled-validators.ts)
 * require by name, as ajv's standalone code refers to formats.
 */
export const FORMAT_CHECKS: Record<string, (value: string) => boolean> = Object.fromEntries(
  Object.entries(FORMATS).map(([name, format]) => [name, format.validate]),
);
