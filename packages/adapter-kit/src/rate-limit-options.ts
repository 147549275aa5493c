/**
 * The `rateLimit` option of an adapter built on blocking queries: one budget for every watch of
 * the adapter (see SharedTokenBucket), `burst` requests back to back, then one per `interval`.
 */
export interface RateLimitOptions {
  readonly burst?: number;
  /** A duration: `20ms`, `1s`. */
  readonly interval?: string;
}

/** JSON Schema (draft-07) of the `rateLimit` option, with the adapter's defaults. */
export function rateLimitOptionsSchema(defaults: { readonly burst: number; readonly interval: string }) {
  return {
    type: 'object',
    additionalProperties: false,
    default: {},
    description: 'All watches together: `burst` requests back to back, then one per `interval`.',
    properties: {
      burst: { type: 'integer', minimum: 1, default: defaults.burst },
      interval: { type: 'string', format: 'duration', default: defaults.interval },
    },
  } as const;
}
