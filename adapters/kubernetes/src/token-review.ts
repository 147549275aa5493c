import { Redactor } from '@sextant/adapter-kit';
import type { AdapterContext } from '@sextant/core';
import { toKubeApiError } from './api-error';
import { chooseConfigSource } from './config-source';
import { KubeConnection } from './kube-connection';
import type { KubernetesAdapterOptions } from './options';

/** What the API server says of a token: the service account it belongs to, or why it is none. */
export type TokenReviewResult =
  | { readonly authenticated: true; readonly namespace: string; readonly serviceAccount: string }
  | { readonly authenticated: false; readonly reason: string };

/** The API server could not be asked (unreachable, our own credentials refused, RBAC). */
export class TokenReviewUnavailable extends Error {
  override readonly name = 'TokenReviewUnavailable';
}

const SERVICE_ACCOUNT_USER = /^system:serviceaccount:([a-z0-9][a-z0-9.-]*):([a-z0-9][a-z0-9.-]*)$/;

/**
 * Reviews service-account tokens with the API server of a `type: kubernetes` adapter's options
 * (its kubeconfig or in-cluster service account): `POST /apis/authentication.k8s.io/v1/tokenreviews`.
 * The identity is the reviewed user `system:serviceaccount:<namespace>:<name>`; other users
 * (people, nodes) are no workload. Needs RBAC `create` on `tokenreviews` (system:auth-delegator).
 */
export class ServiceAccountTokenReviewer {
  private readonly connection: KubeConnection;

  constructor(
    options: KubernetesAdapterOptions,
    context: Pick<AdapterContext, 'env' | 'resolvePath'>,
    /** Asked of the API server: the token must be for one of them. None: the API server's own. */
    private readonly audiences: readonly string[] = [],
  ) {
    const choice = chooseConfigSource(options, context);
    if (!choice.valid) throw new TokenReviewUnavailable(choice.problem.message);
    this.connection = new KubeConnection(choice.source, new Redactor());
  }

  async review(token: string): Promise<TokenReviewResult> {
    let review;
    try {
      review = await this.connection.authentication.createTokenReview({
        body: {
          apiVersion: 'authentication.k8s.io/v1',
          kind: 'TokenReview',
          spec: { token, ...(this.audiences.length > 0 && { audiences: [...this.audiences] }) },
        },
      });
    } catch (error) {
      // The token is in the request, never in what the error says (the API answers with a Status).
      throw new TokenReviewUnavailable(`TokenReview failed: ${toKubeApiError(error).message}`);
    }
    const status = review.status;
    if (status?.authenticated !== true) {
      return { authenticated: false, reason: 'the Kubernetes API server did not authenticate the token' };
    }
    const match = SERVICE_ACCOUNT_USER.exec(status.user?.username ?? '');
    if (!match) {
      return { authenticated: false, reason: 'the token is not a service account’s' };
    }
    return { authenticated: true, namespace: match[1] ?? '', serviceAccount: match[2] ?? '' };
  }
}
