import { Redactor, REDACTED } from '@sextant/adapter-kit';
import type { LoadedConfig } from './load-config';

/**
 * Option names whose values are credentials, by their last word (`token`, `apiKey`,
 * `client_secret`, `basicAuth`): their values are never shown. `tokenFile` ends in `file`: the
 * path is shown, and the file was never read into the configuration anyway.
 */
const CREDENTIAL_WORDS = new Set([
  'token',
  'password',
  'passwd',
  'secret',
  'key',
  'apikey',
  'credential',
  'credentials',
  'passphrase',
  'auth',
  'authorization',
]);

/** Whether an option of this name holds a credential. */
export function isCredentialName(name: string): boolean {
  const words = name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((word) => word !== '');
  const last = words[words.length - 1];
  return last !== undefined && CREDENTIAL_WORDS.has(last);
}

/**
 * The running configuration as /debug/effective-config shows it: after interpolation and the
 * schema's defaults, adapters with their options, and no credential. Values of credential-named
 * options become `<redacted>`, and so does every other occurrence of those values (a token pasted
 * into a URL too), through the adapter kit's Redactor; so do passwords in URLs.
 */
export function effectiveConfig(loaded: LoadedConfig): Record<string, unknown> {
  const redactor = new Redactor();
  const view = {
    ...loaded.config,
    adapters: loaded.adapters.map((a) => ({ name: a.name, type: a.type, ...a.options })),
  };
  collectCredentials(view, redactor, false, 0);
  return hide(view, redactor, 0) as Record<string, unknown>;
}

/** Config values are shallow; deeper than this is not a configuration. */
const MAX_DEPTH = 32;

function collectCredentials(value: unknown, redactor: Redactor, secret: boolean, depth: number): void {
  if (depth > MAX_DEPTH) return;
  if (typeof value === 'string' || typeof value === 'number') {
    if (secret) redactor.add(String(value));
    return;
  }
  if (Array.isArray(value)) {
    for (const item of value) collectCredentials(item, redactor, secret, depth + 1);
    return;
  }
  if (value !== null && typeof value === 'object') {
    for (const [key, inner] of Object.entries(value)) {
      collectCredentials(inner, redactor, secret || isCredentialName(key), depth + 1);
    }
  }
}

function hide(value: unknown, redactor: Redactor, depth: number): unknown {
  if (depth > MAX_DEPTH) return REDACTED;
  if (typeof value === 'string') return redactor.redact(withoutUrlPassword(value));
  if (Array.isArray(value)) return value.map((item) => hide(item, redactor, depth + 1));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, inner]) => [
        key,
        isCredentialName(key) && inner !== undefined && inner !== null
          ? REDACTED
          : hide(inner, redactor, depth + 1),
      ]),
    );
  }
  return value;
}

/** `https://user:pass@host/` → `https://user:<redacted>@host/`. */
function withoutUrlPassword(text: string): string {
  return text.replace(/(\b[a-z][a-z0-9+.-]*:\/\/[^\s/:@]*:)([^\s/@]+)@/gi, `$1${REDACTED}@`);
}
