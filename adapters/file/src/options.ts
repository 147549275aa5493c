import { durationMs } from '@sextant/core';

/** A file adapter's entry in the daemon config, besides `name` and `type`. */
export interface FileAdapterOptions {
  /** The services file (YAML or JSON); a relative path is relative to the config file. */
  readonly path: string;
  /** How often to re-read the file in case a change notification was missed. Default `2s`. */
  readonly pollInterval?: string;
}

export const DEFAULT_POLL_INTERVAL = '2s';

/** Re-reading more often than this would busy the daemon for no gain: notifications do the fast path. */
export const MIN_POLL_INTERVAL_MS = 100;

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
  },
} as const;

export function pollIntervalMs(options: FileAdapterOptions): number {
  return Math.max(MIN_POLL_INTERVAL_MS, durationMs(options.pollInterval ?? DEFAULT_POLL_INTERVAL));
}
