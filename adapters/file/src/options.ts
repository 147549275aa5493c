import { durationMs, type FileSizeLimit } from '@sextant/core';

/** A file adapter's entry in the daemon config, besides `name` and `type`. */
export interface FileAdapterOptions {
  /** The services file (YAML or JSON); a relative path is relative to the config file. */
  readonly path: string;
  /** How often to re-read the file in case a change notification was missed. Default `2s`. */
  readonly pollInterval?: string;
  /** The largest services file read, in bytes. Default 64 MiB. */
  readonly maxFileSize?: number;
}

export const DEFAULT_POLL_INTERVAL = '2s';

/** Re-reading more often than this would busy the daemon for no gain: notifications do the fast path. */
export const MIN_POLL_INTERVAL_MS = 100;

/**
 * 64 MiB: a file of 100,000 services, each with two ports, three instances, labels and locality,
 * is 53 MB as YAML (one of 100,000 services with two instances is 48 MB as indented JSON).
 * Reading one that size takes seconds and some 750 MB of memory.
 */
export const DEFAULT_MAX_FILE_SIZE = 64 * 1024 * 1024;

/** 256 MiB: far past any real services file, and below the longest string V8 can hold. */
export const MAX_MAX_FILE_SIZE = 256 * 1024 * 1024;

export const fileAdapterOptionsSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  type: 'object',
  additionalProperties: false,
  required: ['path'],
  properties: {
    path: {
      type: 'string',
      minLength: 1,
      description: 'The services file (YAML or JSON); a relative path is relative to the config file.',
    },
    pollInterval: {
      type: 'string',
      format: 'duration',
      default: DEFAULT_POLL_INTERVAL,
      description: `How often to re-read the file in case a change notification was missed (at least ${MIN_POLL_INTERVAL_MS}ms).`,
    },
    maxFileSize: {
      type: 'integer',
      minimum: 1,
      maximum: MAX_MAX_FILE_SIZE,
      default: DEFAULT_MAX_FILE_SIZE,
      description:
        'The largest services file read, in bytes; a larger one is refused unread (the adapter turns degraded).',
    },
  },
} as const;

export function pollIntervalMs(options: FileAdapterOptions): number {
  return Math.max(MIN_POLL_INTERVAL_MS, durationMs(options.pollInterval ?? DEFAULT_POLL_INTERVAL));
}

export function fileSizeLimit(options: FileAdapterOptions): FileSizeLimit {
  return { maxBytes: options.maxFileSize ?? DEFAULT_MAX_FILE_SIZE, setting: 'option maxFileSize' };
}
