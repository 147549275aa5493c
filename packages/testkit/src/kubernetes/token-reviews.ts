import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** The service account a reviewable token belongs to, as the API server's token authenticator sees it. */
export interface ServiceAccountToken {
  readonly namespace: string;
  readonly serviceAccount: string;
  /** The token's audiences; the API server's own by default. */
  readonly audiences?: readonly string[];
}

/** The audience of tokens the API server issues by default (the kubelet's projected tokens too). */
export const API_SERVER_AUDIENCE = 'https://kubernetes.default.svc.cluster.local';
/** The API server refuses larger request bodies (3 MiB); a review is far below. */
const MAX_BODY_BYTES = 3 * 1024 * 1024;

/**
 * `POST /apis/authentication.k8s.io/v1/tokenreviews`, as the API server answers it: 201 with the
 * review, `status.authenticated` and `status.user` (`system:serviceaccount:<ns>:<sa>`, its groups)
 * for a token it knows, `status.error` and no user for one it does not; only a token for one of the
 * audiences the review asks for (the API server's own when it names none), the intersection in
 * `status.audiences`.
 */
export class TokenReviews {
  private readonly tokens = new Map<string, ServiceAccountToken & { uid: string }>();

  add(token: string, account: ServiceAccountToken): void {
    this.tokens.set(token, { ...account, uid: randomUUID() });
  }

  revoke(token: string): void {
    this.tokens.delete(token);
  }

  /** Answers one review request (after the caller's own authentication). */
  serve(request: IncomingMessage, response: ServerResponse, onStatus: (code: number) => void): void {
    const send = (code: number, body: unknown) => {
      onStatus(code);
      response.writeHead(code, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
    };
    if (request.method !== 'POST') {
      return send(
        405,
        status(405, 'MethodNotAllowed', `the server does not allow this method on tokenreviews`),
      );
    }
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    request.on('end', () => {
      if (size > MAX_BODY_BYTES)
        return send(413, status(413, 'RequestEntityTooLarge', 'the request is too large'));
      let review: { apiVersion?: unknown; kind?: unknown; spec?: { token?: unknown; audiences?: unknown } };
      try {
        review = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        return send(400, status(400, 'BadRequest', 'the body is not JSON'));
      }
      if (review?.kind !== 'TokenReview' || review.apiVersion !== 'authentication.k8s.io/v1') {
        return send(
          400,
          status(400, 'BadRequest', 'the body is not an authentication.k8s.io/v1 TokenReview'),
        );
      }
      const token = typeof review.spec?.token === 'string' ? review.spec.token : '';
      const wanted = Array.isArray(review.spec?.audiences)
        ? review.spec.audiences.filter((a): a is string => typeof a === 'string')
        : [];
      send(201, {
        kind: 'TokenReview',
        apiVersion: 'authentication.k8s.io/v1',
        metadata: { creationTimestamp: null },
        spec: review.spec,
        status: this.review(token, wanted),
      });
    });
  }

  private review(token: string, wanted: readonly string[]): Record<string, unknown> {
    const account = this.tokens.get(token);
    if (account === undefined) return { user: {}, error: '[invalid bearer token, token lookup failed]' };
    const audiences = account.audiences ?? [API_SERVER_AUDIENCE];
    // A review that names no audiences asks for the API server's own.
    const asked = wanted.length === 0 ? [API_SERVER_AUDIENCE] : wanted;
    const granted = audiences.filter((a) => asked.includes(a));
    if (granted.length === 0)
      return { user: {}, error: '[invalid bearer token, token audiences is invalid]' };
    return {
      authenticated: true,
      user: {
        username: `system:serviceaccount:${account.namespace}:${account.serviceAccount}`,
        uid: account.uid,
        groups: [
          'system:serviceaccounts',
          `system:serviceaccounts:${account.namespace}`,
          'system:authenticated',
        ],
      },
      audiences: granted,
    };
  }
}

function status(code: number, reason: string, message: string): Record<string, unknown> {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
}
