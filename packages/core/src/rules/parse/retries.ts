import { showValue } from '../../schema/show-value';
import type { RetryPolicy } from '../model';
import type { Fields } from './fields';

/** The `retryOn` tokens Istio accepts (`supportedRetryOnPolicies`); HTTP status codes are accepted too. */
export const RETRY_ON_TOKENS = [
  '5xx',
  'gateway-error',
  'reset',
  'reset-before-request',
  'connect-failure',
  'retriable-4xx',
  'refused-stream',
  'retriable-status-codes',
  'retriable-headers',
  'envoy-ratelimited',
  'http3-post-connect-failure',
  'cancelled',
  'deadline-exceeded',
  'internal',
  'resource-exhausted',
  'unavailable',
] as const;

/**
 * What a retry policy without `retryOn` retries on: Istio's default (`retry.go`) less
 * `retriable-status-codes`, which retries on nothing without codes listed (since Istio 1.24, 503
 * is no longer among them: retrying it re-sent non-idempotent requests).
 */
export const DEFAULT_RETRY_ON: readonly string[] = [
  'connect-failure',
  'refused-stream',
  'unavailable',
  'cancelled',
];

const HTTP_RETRY = {
  known: ['attempts', 'perTryTimeout', 'retryOn', 'backoff'],
  unsupported: {
    retryRemoteLocalities: 'retrying in other localities (retryRemoteLocalities) is not supported',
    retryIgnorePreviousHosts:
      'choosing whether retries skip hosts already tried (retryIgnorePreviousHosts) is not supported',
  },
} as const;

/** HTTPRetry at `parent.<name>`: `attempts: 0` disables retries, and then nothing else may be set. */
export function readRetries(parent: Fields, name: string): RetryPolicy | undefined {
  const fields = parent.message(name, HTTP_RETRY);
  if (!fields) return undefined;
  const attempts =
    fields.integer('attempts', { min: 0, max: 2 ** 31 - 1 }) ?? (fields.has('attempts') ? undefined : 0);
  const perTryTimeoutMs = fields.duration('perTryTimeout');
  const backoffMs = fields.duration('backoff');
  const retryOn = fields.has('retryOn') ? readRetryOn(fields) : [...DEFAULT_RETRY_ON];
  if (attempts === undefined || retryOn === undefined) return undefined;
  if (attempts === 0) {
    const others = ['perTryTimeout', 'retryOn', 'backoff'].filter((field) => fields.has(field));
    if (others.length > 0) {
      fields.ctx.error(
        fields.at(others[0] ?? ''),
        'conflicting-fields',
        `http retry policy configured when attempts are set to 0 (disabled): remove ${others.join(', ')} or set attempts`,
      );
      return undefined;
    }
    return { attempts: 0, retryOn: [], origin: fields.ctx.origin(fields.path) };
  }
  return {
    attempts,
    ...(perTryTimeoutMs !== undefined && { perTryTimeoutMs }),
    retryOn,
    ...(backoffMs !== undefined && { backoffMs }),
    origin: fields.ctx.origin(fields.path),
  };
}

/** `retryOn`, a comma-separated list of tokens and HTTP status codes. */
function readRetryOn(fields: Fields): string[] | undefined {
  const text = fields.string('retryOn');
  if (text === undefined) return undefined;
  const tokens = text.split(',').map((token) => token.trim());
  const wrong = tokens.find((token) => !isRetryOn(token));
  if (wrong !== undefined) {
    fields.ctx.error(
      fields.at('retryOn'),
      'invalid-value',
      `${showValue(wrong)} is not a retry condition: use HTTP status codes or ${RETRY_ON_TOKENS.join(', ')}`,
    );
    return undefined;
  }
  return tokens;
}

function isRetryOn(token: string): boolean {
  if ((RETRY_ON_TOKENS as readonly string[]).includes(token)) return true;
  return /^[1-5]\d\d$/.test(token);
}
