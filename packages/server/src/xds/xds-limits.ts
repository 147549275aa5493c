/** What the xDS gRPC listener bounds (sextant.yaml `limits.xds`). */
export interface XdsLimits {
  /** Connections open at once; further ones are closed as they arrive. */
  readonly maxConnections: number;
  /** Streams one connection may have open at once (HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS). */
  readonly maxStreamsPerConnection: number;
  /** A connection with no stream open for this long is closed. */
  readonly idleTimeoutMs: number;
  /**
   * A connection is asked to go away (GOAWAY) after this long, ±10 %, so clients spread over
   * replicas again after one restarts; 0 for never.
   */
  readonly maxConnectionAgeMs: number;
  /** How long streams may go on after that GOAWAY before the connection is cut. */
  readonly maxConnectionAgeGraceMs: number;
  /** Names one stream may subscribe to, per resource type; past it the stream ends (RESOURCE_EXHAUSTED). */
  readonly maxNamesPerType: number;
  /** Distinct type URLs Sextant does not serve that one stream may ask for (then RESOURCE_EXHAUSTED). */
  readonly maxUnservedTypes: number;
  /**
   * Responses written to a stream and not yet taken by its connection. Beyond it, newer state
   * waits (as "this type changed", never as queued bytes) until the client reads: a client that
   * stops reading costs one pending state per type, not one response per change.
   */
  readonly maxResponsesInFlight: number;
}

/**
 * Room for 10,000 proxies twice over (Envoy and gRPC clients keep one connection, one ADS stream
 * or one per type); an xDS stream lives as long as its client, so only a connection that holds
 * none is idle; connection age as Istio sets it for its control plane.
 */
export const DEFAULT_XDS_LIMITS: XdsLimits = {
  maxConnections: 20_000,
  maxStreamsPerConnection: 100,
  idleTimeoutMs: 300_000,
  maxConnectionAgeMs: 1_800_000,
  maxConnectionAgeGraceMs: 10_000,
  maxNamesPerType: 100_000,
  maxUnservedTypes: 16,
  maxResponsesInFlight: 8,
};
