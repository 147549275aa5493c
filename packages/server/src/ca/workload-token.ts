import { createHash, randomUUID, type KeyObject } from 'node:crypto';
import type * as Jose from 'jose';
import { parseSpiffeId, type SpiffeIdentity } from '../security/spiffe-id';
import type { CaMaterial } from './ca-material';

/** The audience a workload token is for when its maker names none. */
export const DEFAULT_TOKEN_AUDIENCE = 'sextant-ca';
/** Longer is no bearer token but a password: renewals use the certificate. */
export const MAX_TOKEN_TTL_MS = 365 * 24 * 3600 * 1000;
/** A token longer than this is refused unread. */
const MAX_TOKEN_CHARS = 8192;

/** Why a token proves nothing (`unauthenticated`) or proves an identity this CA does not issue (`permission-denied`). */
export class TokenRejected extends Error {
  override readonly name = 'TokenRejected';

  constructor(
    message: string,
    readonly code: 'unauthenticated' | 'permission-denied',
  ) {
    super(message);
  }
}

export interface WorkloadTokenClaims {
  readonly identity: string;
  readonly ttlMs: number;
  readonly audience?: string;
  readonly now?: number;
}

/** The issuer of the tokens of a trust domain's CA. */
export function tokenIssuer(trustDomain: string): string {
  return `spiffe://${trustDomain}/sextant-ca`;
}

/** Identifies the CA key a token was signed with: a verifier with another key knows at once. */
export function keyId(publicKey: KeyObject): string {
  return createHash('sha256')
    .update(publicKey.export({ type: 'spki', format: 'der' }))
    .digest('base64url')
    .slice(0, 16);
}

/**
 * A workload token (JWT) signed with the CA's key: `sub` the identity, `aud`, `exp`, `iat`, `jti`.
 * Whoever holds it gets a certificate for that identity until it expires.
 */
export async function createWorkloadToken(
  material: CaMaterial,
  trustDomain: string,
  claims: WorkloadTokenClaims,
): Promise<string> {
  const now = Math.floor((claims.now ?? Date.now()) / 1000);
  return new (jose().SignJWT)({})
    .setProtectedHeader({
      alg: jwsAlgorithm(material.privateKey),
      typ: 'JWT',
      kid: keyId(material.publicKey),
    })
    .setIssuer(tokenIssuer(trustDomain))
    .setSubject(claims.identity)
    .setAudience(claims.audience ?? DEFAULT_TOKEN_AUDIENCE)
    .setIssuedAt(now)
    .setExpirationTime(now + Math.max(1, Math.floor(claims.ttlMs / 1000)))
    .setJti(randomUUID())
    .sign(material.privateKey);
}

/** Whether `token` claims to be signed by this CA's key (others may be Kubernetes tokens). */
export function isSignedWithKey(token: string, material: CaMaterial): boolean {
  try {
    return (
      token.length <= MAX_TOKEN_CHARS && jose().decodeProtectedHeader(token).kid === keyId(material.publicKey)
    );
  } catch {
    return false;
  }
}

/**
 * The identity a workload token proves: its signature, issuer, audience and expiry checked, and
 * its subject a SPIFFE identity of `trustDomain`. Throws TokenRejected.
 */
export async function verifyWorkloadToken(
  token: string,
  material: CaMaterial,
  trustDomain: string,
  options: { readonly audience?: string; readonly now?: number } = {},
): Promise<SpiffeIdentity> {
  if (token.length > MAX_TOKEN_CHARS) throw new TokenRejected('the token is too long', 'unauthenticated');
  let subject: string | undefined;
  try {
    const { payload } = await jose().jwtVerify(token, material.publicKey, {
      algorithms: [jwsAlgorithm(material.privateKey)],
      issuer: tokenIssuer(trustDomain),
      audience: options.audience ?? DEFAULT_TOKEN_AUDIENCE,
      requiredClaims: ['exp', 'sub'],
      currentDate: new Date(options.now ?? Date.now()),
    });
    subject = payload.sub;
  } catch (error) {
    throw new TokenRejected(tokenProblem(error), 'unauthenticated');
  }
  const identity = subject === undefined ? undefined : parseSpiffeId(subject);
  if (identity === undefined) {
    throw new TokenRejected(
      'the token names no spiffe://<trust-domain>/ns/<ns>/sa/<sa> identity',
      'permission-denied',
    );
  }
  if (identity.trustDomain !== trustDomain) {
    throw new TokenRejected(
      `the token is for trust domain ${identity.trustDomain}; this CA issues for ${trustDomain}`,
      'permission-denied',
    );
  }
  return identity;
}

/** What is wrong with a token, in words that give nothing of it away. */
function tokenProblem(error: unknown): string {
  const joseErrors = jose().errors;
  if (error instanceof joseErrors.JWTExpired) return 'the token has expired';
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    return error.claim === 'aud'
      ? 'the token is for another audience'
      : `the token's "${error.claim}" claim is not accepted: ${error.reason}`;
  }
  if (error instanceof joseErrors.JWSSignatureVerificationFailed)
    return "the token's signature is not this CA's";
  return 'the token is no valid workload token';
}

/** The JWS algorithm of a CA key: ES256 for P-256, ES384 for P-384, RS256 for RSA. */
export function jwsAlgorithm(key: KeyObject): string {
  if (key.asymmetricKeyType === 'ec')
    return key.asymmetricKeyDetails?.namedCurve === 'secp384r1' ? 'ES384' : 'ES256';
  return 'RS256';
}

/** jose, loaded on first use: ~50 ms of every start-up, which a daemon without a CA never needs. */
function jose(): typeof Jose {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded lazily, see above
  return require('jose') as typeof Jose;
}
