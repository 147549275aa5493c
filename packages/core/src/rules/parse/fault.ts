import type { FaultInjection } from '../model';
import type { Fields } from './fields';
import type { Dialect } from './rule-context';

/** gRPC status code names, as Istio's `abort.grpcStatus` takes them (`UNAVAILABLE`, not 14). */
export const GRPC_STATUS_NAMES = [
  'OK',
  'CANCELLED',
  'UNKNOWN',
  'INVALID_ARGUMENT',
  'DEADLINE_EXCEEDED',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED',
  'FAILED_PRECONDITION',
  'ABORTED',
  'OUT_OF_RANGE',
  'UNIMPLEMENTED',
  'INTERNAL',
  'UNAVAILABLE',
  'DATA_LOSS',
  'UNAUTHENTICATED',
] as const;

const FAULT = { known: ['delay', 'abort'] } as const;
const OVERRIDE_HEADER = {
  overrideHeaderName: 'choosing the fault by a request header (overrideHeaderName) is not supported',
};

function delaySpec(dialect: Dialect) {
  return {
    known: dialect === 'istio' ? ['fixedDelay', 'percentage', 'percent'] : ['fixedDelay', 'percent'],
    unsupported: {
      exponentialDelay: 'exponentialDelay is not supported (Istio refuses it too)',
      ...(dialect === 'legacy' && OVERRIDE_HEADER),
    },
  };
}

function abortSpec(dialect: Dialect) {
  return {
    known:
      dialect === 'istio'
        ? ['httpStatus', 'grpcStatus', 'percentage', 'percent']
        : ['httpStatus', 'grpcStatus', 'percent'],
    unsupported: {
      http2Error: 'http2Error is not supported (Istio refuses it too)',
      ...(dialect === 'legacy' && OVERRIDE_HEADER),
    },
  };
}

/**
 * A fault (`delay` and/or `abort`) at `parent.<name>`. Istio's HTTPFaultInjection and the legacy
 * RouteRule `httpFault` differ only in how the share of requests is written: Istio's
 * `percentage: { value }` (its integer `percent` is a deprecated spelling), the legacy `percent`
 * (a float).
 */
export function readFault(parent: Fields, name: string, dialect: Dialect): FaultInjection | undefined {
  const fields = parent.message(name, FAULT);
  if (!fields) return undefined;
  const ctx = fields.ctx;
  if (!fields.has('delay') && !fields.has('abort')) {
    ctx.error(fields.path, 'missing-field', 'HTTP fault injection must have an abort and/or a delay');
    return undefined;
  }
  let valid = true;
  let delay: FaultInjection['delay'];
  const delayFields = fields.message('delay', delaySpec(dialect));
  if (delayFields) {
    const fixedDelayMs = delayFields.duration('fixedDelay');
    if (!delayFields.has('fixedDelay')) delayFields.require('fixedDelay');
    const percent = readPercent(delayFields, dialect, 'delay');
    if (fixedDelayMs !== undefined && percent !== undefined) delay = { fixedDelayMs, percent };
    else valid = false;
  } else if (fields.has('delay')) valid = false;
  let abort: FaultInjection['abort'];
  const abortFields = fields.message('abort', abortSpec(dialect));
  if (abortFields) {
    const httpStatus = abortFields.integer('httpStatus', { min: 200, max: 599 });
    const grpcStatus = abortFields.oneOf('grpcStatus', GRPC_STATUS_NAMES, 'gRPC status name');
    const percent = readPercent(abortFields, dialect, 'abort');
    const given = ['httpStatus', 'grpcStatus'].filter((field) => abortFields.has(field));
    if (given.length !== 1) {
      ctx.error(
        abortFields.path,
        given.length === 0 ? 'missing-field' : 'conflicting-fields',
        'an abort takes one of httpStatus or grpcStatus',
      );
      valid = false;
    } else if ((httpStatus === undefined && grpcStatus === undefined) || percent === undefined) {
      valid = false;
    } else {
      abort = {
        ...(httpStatus !== undefined && { httpStatus }),
        ...(grpcStatus !== undefined && { grpcStatus }),
        percent,
      };
    }
  } else if (fields.has('abort')) valid = false;
  if (!valid) return undefined;
  return { ...(delay && { delay }), ...(abort && { abort }), origin: ctx.origin(fields.path) };
}

/** The share of requests a delay or abort applies to; none given is 0 (never), as Istio documents. */
function readPercent(fields: Fields, dialect: Dialect, what: 'delay' | 'abort'): number | undefined {
  const ctx = fields.ctx;
  if (dialect === 'legacy') {
    if (fields.has('percent')) return fields.number('percent', { min: 0, max: 100 });
  } else {
    if (fields.has('percentage') && fields.has('percent')) {
      ctx.error(
        fields.at('percent'),
        'conflicting-fields',
        'give percentage or the deprecated percent, not both',
      );
      return undefined;
    }
    if (fields.has('percentage')) return fields.percentage('percentage');
    if (fields.has('percent')) {
      const percent = fields.integer('percent', { min: 0, max: 100 });
      if (percent !== undefined) {
        ctx.warn(
          fields.at('percent'),
          'deprecated-field',
          `percent is a deprecated spelling (removed from Istio's API in 2020): read as percentage: { value: ${percent} }`,
          { atKey: true },
        );
      }
      return percent;
    }
  }
  const field = dialect === 'legacy' ? 'percent' : 'percentage';
  ctx.warn(
    fields.path,
    'fault-never-applies',
    `no ${field} given: the ${what} applies to no request (write ${field === 'percent' ? 'percent: 100' : 'percentage: { value: 100 }'} for every request)`,
  );
  return 0;
}
