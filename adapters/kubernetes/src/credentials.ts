import type { KubeConfig } from '@kubernetes/client-node';
import type { Redactor } from '@sextant/adapter-kit';

/** Keys of an auth-provider's config (`oidc`, `gcp`, `azure`) that hold secrets rather than settings. */
const SECRET_AUTH_PROVIDER_KEYS = ['access-token', 'id-token', 'refresh-token', 'client-secret', 'token'];

/**
 * Tells the redactor every credential a kubeconfig (or service account) holds as text: the users'
 * bearer tokens, basic-auth passwords and auth-provider tokens. Tokens that only exist at request
 * time (token files, exec plugins, refreshed auth-provider tokens) are told as they are sent
 * (`rememberAuthorization`). Client keys are never sent, so no answer can echo them.
 */
export function rememberKubeConfigCredentials(config: KubeConfig, redactor: Redactor): void {
  for (const user of config.users) {
    redactor.add(user.token);
    redactor.add(user.password);
    const providerConfig = (user.authProvider?.config ?? {}) as Record<string, unknown>;
    for (const key of SECRET_AUTH_PROVIDER_KEYS) {
      const value = providerConfig[key];
      if (typeof value === 'string') redactor.add(value);
    }
  }
}

/**
 * Tells the redactor the credential in an `Authorization` header about to be sent: a bearer token,
 * or a basic-auth pair as sent (base64) and as written (`user:password`, and the password).
 */
export function rememberAuthorization(header: unknown, redactor: Redactor): void {
  const value = Array.isArray(header) ? header[0] : header;
  if (typeof value !== 'string') return;
  const [scheme = '', credential = ''] = value.trim().split(/\s+/, 2);
  if (credential === '') return;
  redactor.add(credential);
  if (scheme.toLowerCase() === 'basic')
    rememberBasicAuth(Buffer.from(credential, 'base64').toString('utf8'), redactor);
}

/** A `user:password` pair (https.request's `auth`): the pair, its base64 form and the password. */
export function rememberBasicAuth(pair: string | undefined, redactor: Redactor): void {
  if (pair === undefined) return;
  redactor.add(pair);
  redactor.add(Buffer.from(pair).toString('base64'));
  const colon = pair.indexOf(':');
  if (colon >= 0) redactor.add(pair.slice(colon + 1));
}
