/** Longest redirect target shown: a Location is whatever the other side chose to send. */
const MAX_TARGET_LENGTH = 200;

/**
 * Whether an HTTP status is a redirect. Platform clients never follow one: HTTP clients re-send
 * custom token headers (`X-Nomad-Token`, `X-Consul-Token`) to any host a redirect names, and
 * `Authorization` to another port or subdomain, so following would hand the credential to whoever
 * can make the platform's address answer 3xx. A redirect is a fault, retried with backoff like any
 * other, and reported with its target (`redirectRefusal`) so an operator can fix the address.
 */
export function isRedirect(status: number): boolean {
  return status >= 300 && status < 400;
}

/**
 * The fault message of a redirect not followed:
 * `Nomad answered 307 redirecting to http://other:4646/v1/services; redirects are not followed so
 * the token is not sent elsewhere`. A relative `location` is resolved against the request's URL,
 * as a client following it would. The target is shown without its query (a proxy echoes the
 * request's own, whose index changes with every retry: the status line must not) and without
 * user information.
 */
export function redirectRefusal(
  platform: string,
  status: number,
  location: string | null | undefined,
  /** The URL requested; without it, a relative `location` is shown as it came. */
  requestUrl: string | URL | undefined,
  /** What the request carried: a `token`, or `credentials` (a bearer token, a password). */
  credential: 'token' | 'credentials' = 'token',
): string {
  const why = `redirects are not followed so the ${credential} ${credential === 'token' ? 'is' : 'are'} not sent elsewhere`;
  if (location === undefined || location === null || location.trim() === '') {
    return `${platform} answered ${status}, a redirect without a Location; ${why}`;
  }
  let target: string;
  try {
    const url = requestUrl === undefined ? new URL(location.trim()) : new URL(location.trim(), requestUrl);
    target = `${url.protocol}//${url.host}${url.pathname}`;
  } catch {
    target = JSON.stringify(location);
  }
  if (target.length > MAX_TARGET_LENGTH) target = `${target.slice(0, MAX_TARGET_LENGTH)}…`;
  return `${platform} answered ${status} redirecting to ${target}; ${why}`;
}
