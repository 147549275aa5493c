import { adapter } from './factory';

export { adapter };
export default adapter;
export { kubernetesAdapterOptionsSchema, type KubernetesAdapterOptions } from './options';
export { ServiceAccountTokenReviewer, TokenReviewUnavailable, type TokenReviewResult } from './token-review';
