import { durationMs, type HttpLimitsConfig, type XdsLimitsConfig } from '@sextant/core';
import type { HttpLimits, XdsLimits } from '@sextant/server';

/** sextant.yaml `limits.discovery` / `limits.admin` as the HTTP server takes them. */
export function httpLimits(config: HttpLimitsConfig): HttpLimits {
  return {
    maxConnections: config.maxConnections,
    requestTimeoutMs: durationMs(config.requestTimeout),
    headersTimeoutMs: durationMs(config.headersTimeout),
    idleTimeoutMs: durationMs(config.idleTimeout),
  };
}

/** sextant.yaml `limits.xds` as the xDS server takes it. */
export function xdsLimits(config: XdsLimitsConfig): XdsLimits {
  return {
    maxConnections: config.maxConnections,
    maxStreamsPerConnection: config.maxStreamsPerConnection,
    idleTimeoutMs: durationMs(config.idleTimeout),
    maxConnectionAgeMs: durationMs(config.maxConnectionAge),
    maxConnectionAgeGraceMs: durationMs(config.maxConnectionAgeGrace),
    maxNamesPerType: config.maxNamesPerType,
    maxUnservedTypes: config.maxUnservedTypes,
    maxResponsesInFlight: config.maxResponsesInFlight,
  };
}
