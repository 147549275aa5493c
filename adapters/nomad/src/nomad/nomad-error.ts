/**
 * Why a request to Nomad gave no usable answer, in words an operator acts on. Every kind is
 * retried with backoff; none of them empties what the adapter reported before.
 *
 * - `unreachable`: no HTTP answer (refused, reset, DNS, TLS handshake).
 * - `timeout`: no answer within the request's deadline (the blocking wait plus a margin).
 * - `http`: Nomad answered with an error status; `message` carries its plain-text body.
 * - `invalid`: a 200 the adapter cannot use (not JSON, wrong shape, no X-Nomad-Index).
 * - `local`: the adapter's own input is unusable (a token or certificate file cannot be read).
 */
export type NomadErrorKind = 'unreachable' | 'timeout' | 'http' | 'invalid' | 'local';

export class NomadError extends Error {
  override readonly name = 'NomadError';

  constructor(
    readonly kind: NomadErrorKind,
    message: string,
    readonly details: {
      readonly status?: number;
      readonly retryAfterMs?: number;
      readonly cause?: unknown;
    } = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
  }

  get status(): number | undefined {
    return this.details.status;
  }

  /** Nomad refused the request for lack of rights (or an unknown token). */
  get forbidden(): boolean {
    return this.status === 403;
  }
}
