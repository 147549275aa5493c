import path from 'node:path';
import type { ServiceAccountTokenReviewer as Reviewer } from '@sextant/adapter-kubernetes';
import {
  CaSetupError,
  parseSpiffeId,
  TokenRejected,
  type SpiffeIdentity,
  type TokenReviewer,
} from '@sextant/server';
import type { LoadedConfig } from '../config/load-config';

/**
 * The reviewer of Kubernetes service-account tokens for the CA: through the `type: kubernetes`
 * adapter `ca.kubernetesAdapter` names, or the only one configured; undefined when there is none.
 * Throws CaSetupError when the choice is ambiguous or names no such adapter.
 */
export function kubernetesTokenReviewer(
  loaded: LoadedConfig,
  env: Readonly<Record<string, string | undefined>>,
): TokenReviewer | undefined {
  const ca = loaded.config.ca;
  if (ca === undefined) return undefined;
  const kubernetes = loaded.adapters.filter((adapter) => adapter.type === 'kubernetes');
  const named = ca.kubernetesAdapter;
  const adapter = named === undefined ? kubernetes[0] : kubernetes.find((a) => a.name === named);
  if (named !== undefined && adapter === undefined) {
    throw new CaSetupError(
      `ca.kubernetesAdapter: no adapter of type kubernetes is named "${named}" (${kubernetes.map((a) => a.name).join(', ') || 'none'})`,
    );
  }
  if (named === undefined && kubernetes.length > 1) {
    throw new CaSetupError(
      `ca.kubernetesAdapter: ${kubernetes.length} kubernetes adapters (${kubernetes.map((a) => a.name).join(', ')}): name the one whose API server reviews tokens`,
    );
  }
  if (adapter === undefined) return undefined;
  // Required here, not imported: a daemon without Kubernetes does not load its client.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { ServiceAccountTokenReviewer } = require('@sextant/adapter-kubernetes') as {
    ServiceAccountTokenReviewer: typeof Reviewer;
  };
  const reviewer = new ServiceAccountTokenReviewer(
    adapter.options as ConstructorParameters<typeof Reviewer>[0],
    {
      env,
      resolvePath: (file) => path.resolve(loaded.baseDir, file),
    },
  );
  const trustDomain = ca.trustDomain;
  return async (token): Promise<SpiffeIdentity> => {
    const result = await reviewer.review(token);
    if (!result.authenticated) throw new TokenRejected(result.reason, 'unauthenticated');
    const identity = parseSpiffeId(
      `spiffe://${trustDomain}/ns/${result.namespace}/sa/${result.serviceAccount}`,
    );
    if (identity === undefined)
      throw new TokenRejected('the service account names no SPIFFE identity', 'permission-denied');
    return identity;
  };
}
