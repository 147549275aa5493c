/** What each HTTP listener bounds (sextant.yaml `limits.discovery` and `limits.admin`). */
export interface HttpLimits {
  /** Connections open at once; further ones are closed as they arrive. */
  readonly maxConnections: number;
  /** The whole request, headers and body, must arrive within this; else 408 and the connection is closed. */
  readonly requestTimeoutMs: number;
  /** The request's headers must arrive within this. */
  readonly headersTimeoutMs: number;
  /** A connection without traffic for this long is closed, between keep-alive requests too. */
  readonly idleTimeoutMs: number;
}

/**
 * Room for a fleet of 10,000 pollers (Envoy v1 keeps about one connection to its discovery
 * cluster) twice over; a request of a few KB arrives in milliseconds; Envoy v1 polls at most
 * every refresh_delay plus the same again in jitter (30 s + 30 s by default), so an idle
 * keep-alive connection is kept a little longer than that.
 */
export const DEFAULT_HTTP_LIMITS: HttpLimits = {
  maxConnections: 20_000,
  requestTimeoutMs: 30_000,
  headersTimeoutMs: 10_000,
  idleTimeoutMs: 75_000,
};
