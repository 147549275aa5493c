import type { Problems } from './errors';
import { compileHeaderMatchers, type RequestTest } from './header-match';
import type { FaultOutcome } from './outcome';
import {
  arrayField,
  durationField,
  field,
  fractionalPercent,
  fractionOf,
  objectField,
  oneofMember,
  stringField,
  stringsField,
  uintField,
  type JsonObject,
} from './proto-fields';
import type { RequestView } from './request';

/** envoy.extensions.filters.http.fault.v3.HTTPFault */
export const HTTP_FAULT_TYPE = 'envoy.extensions.filters.http.fault.v3.HTTPFault';

type Percent = { numerator: number; denominator: number };

/** An HTTPFault, read. `fixedMs`/`httpStatus`/`grpcStatus` absent means "from the request's headers". */
export interface FaultConfig {
  readonly delay?: { readonly fixedMs?: number; readonly percent: Percent };
  readonly abort?: { readonly httpStatus?: number; readonly grpcStatus?: number; readonly percent: Percent };
  readonly upstreamCluster: string;
  readonly headers: RequestTest;
  readonly downstreamNodes: readonly string[];
}

/**
 * Reads an HTTPFault for Envoy or for a gRPC client. Envoy treats a missing `percentage` as 0 %
 * (a default FractionalPercent); gRPC clients refuse the resource (gRFC A33; grpc-js-xds
 * `parseHTTPFaultConfig` returns null, which fails validation). The delay kind and the abort kind
 * are required oneofs; `http_status` must be in [200, 600).
 */
export function parseHttpFault(
  config: JsonObject,
  rules: 'envoy' | 'grpc',
  path: string,
  problems: Problems,
): FaultConfig {
  const percent = (part: JsonObject, partPath: string): Percent => {
    const value = field(part, 'percentage');
    if (value === undefined) {
      if (rules === 'grpc')
        problems.add(`${partPath}.percentage`, 'gRPC clients require an explicit percentage');
      return { numerator: 0, denominator: 100 };
    }
    return fractionalPercent(value, `${partPath}.percentage`);
  };
  let delay: FaultConfig['delay'];
  const delayConfig = objectField(config, 'delay', path);
  if (delayConfig) {
    const delayPath = `${path}.delay`;
    const kind = oneofMember(delayConfig, ['fixed_delay', 'header_delay'] as const);
    if (kind === undefined) problems.add(delayPath, 'needs fixed_delay or header_delay');
    const fixedMs = kind === 'fixed_delay' ? durationField(delayConfig, 'fixed_delay', delayPath) : undefined;
    delay = { ...(fixedMs !== undefined ? { fixedMs } : {}), percent: percent(delayConfig, delayPath) };
  }
  let abort: FaultConfig['abort'];
  const abortConfig = objectField(config, 'abort', path);
  if (abortConfig) {
    const abortPath = `${path}.abort`;
    const kind = oneofMember(abortConfig, ['http_status', 'grpc_status', 'header_abort'] as const);
    if (kind === undefined) problems.add(abortPath, 'needs http_status, grpc_status or header_abort');
    const httpStatus = kind === 'http_status' ? uintField(abortConfig, 'http_status', abortPath) : undefined;
    if (rules === 'envoy' && httpStatus !== undefined && (httpStatus < 200 || httpStatus >= 600)) {
      problems.add(`${abortPath}.http_status`, `${httpStatus} is not in [200, 600)`);
    }
    const grpcStatus = kind === 'grpc_status' ? uintField(abortConfig, 'grpc_status', abortPath) : undefined;
    abort = {
      ...(httpStatus !== undefined ? { httpStatus } : {}),
      ...(grpcStatus !== undefined ? { grpcStatus } : {}),
      percent: percent(abortConfig, abortPath),
    };
  }
  return {
    ...(delay ? { delay } : {}),
    ...(abort ? { abort } : {}),
    upstreamCluster: stringField(config, 'upstream_cluster', path) ?? '',
    headers:
      rules === 'envoy'
        ? compileHeaderMatchers(arrayField(config, 'headers', path), 'envoy', `${path}.headers`, problems)
        : () => true,
    downstreamNodes: stringsField(config, 'downstream_nodes', path),
  };
}

const DELAY_HEADER = 'x-envoy-fault-delay-request';
const DELAY_PERCENT_HEADER = 'x-envoy-fault-delay-request-percentage';
const ABORT_HTTP_HEADER = 'x-envoy-fault-abort-request';
const ABORT_GRPC_HEADER = 'x-envoy-fault-abort-grpc-request';
const ABORT_PERCENT_HEADER = 'x-envoy-fault-abort-request-percentage';
const DOWNSTREAM_NODE_HEADER = 'x-envoy-downstream-service-node';

/**
 * The fault one filter injects into a request bound for `cluster`, if any.
 *
 * Envoy (`FaultFilter::decodeHeaders`): the filter acts only when `upstream_cluster` is empty or
 * names the routed cluster, the `x-envoy-downstream-service-node` header is one of
 * `downstream_nodes` (when listed), and `headers` match. gRPC clients ignore those three
 * conditions (gRFC A33 defers them) and turn an HTTP status into a gRPC code. Header-driven delays
 * and aborts read `x-envoy-fault-*` request headers, whose percentage can only lower the configured
 * one. Delay and abort are drawn independently.
 */
export function injectedFault(
  filter: string,
  config: FaultConfig,
  request: RequestView,
  cluster: string,
  rules: 'envoy' | 'grpc',
): FaultOutcome | undefined {
  if (rules === 'envoy') {
    if (config.upstreamCluster !== '' && config.upstreamCluster !== cluster) return undefined;
    if (config.downstreamNodes.length > 0) {
      const node = request.values(DOWNSTREAM_NODE_HEADER)[0];
      if (node === undefined || !config.downstreamNodes.includes(node)) return undefined;
    }
    if (!config.headers(request)) return undefined;
  }
  const number = (header: string): number | undefined => {
    const value = request.values(header)[0];
    return value !== undefined && /^\d+$/.test(value) ? Number(value) : undefined;
  };
  const share = (percent: Percent, header: string): number => {
    const capped = number(header);
    return fractionOf(
      capped === undefined ? percent : { ...percent, numerator: Math.min(capped, percent.numerator) },
    );
  };
  let delay: FaultOutcome['delay'];
  if (config.delay) {
    const ms = config.delay.fixedMs ?? number(DELAY_HEADER);
    const fraction = share(config.delay.percent, DELAY_PERCENT_HEADER);
    if (ms !== undefined && fraction > 0) delay = { ms, fraction };
  }
  let abort: FaultOutcome['abort'];
  if (config.abort) {
    const fromHeaders = config.abort.httpStatus === undefined && config.abort.grpcStatus === undefined;
    let httpStatus = fromHeaders ? number(ABORT_HTTP_HEADER) : config.abort.httpStatus;
    if (fromHeaders && httpStatus !== undefined && (httpStatus < 200 || httpStatus >= 600))
      httpStatus = undefined;
    let grpcStatus = fromHeaders ? number(ABORT_GRPC_HEADER) : config.abort.grpcStatus;
    if (rules === 'grpc' && httpStatus !== undefined) {
      grpcStatus ??= grpcStatusForHttp(httpStatus);
      httpStatus = undefined;
    }
    const fraction = share(config.abort.percent, ABORT_PERCENT_HEADER);
    if ((httpStatus !== undefined || grpcStatus !== undefined) && fraction > 0) {
      abort = {
        ...(httpStatus !== undefined ? { httpStatus } : {}),
        ...(grpcStatus !== undefined ? { grpcStatus } : {}),
        fraction,
      };
    }
  }
  if (!delay && !abort) return undefined;
  return { filter, ...(delay ? { delay } : {}), ...(abort ? { abort } : {}) };
}

/** gRPC's HTTP-to-status mapping (doc/http-grpc-status-mapping.md), which A33 applies to http_status aborts. */
export function grpcStatusForHttp(status: number): number {
  switch (status) {
    case 400:
      return 13; // INTERNAL
    case 401:
      return 16; // UNAUTHENTICATED
    case 403:
      return 7; // PERMISSION_DENIED
    case 404:
      return 12; // UNIMPLEMENTED
    case 429:
    case 502:
    case 503:
    case 504:
      return 14; // UNAVAILABLE
    default:
      return 2; // UNKNOWN
  }
}
