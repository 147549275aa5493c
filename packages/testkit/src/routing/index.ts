export { simulateV1, type SimulateV1Options } from './v1-simulator';
export { simulateV3, type SimulateV3Options } from './v3-simulator';
export { simulateGrpc, type SimulateGrpcOptions } from './grpc-simulator';
export type { GrpcClient } from './grpc-listener';
export type { SimRequest } from './request';
export {
  distribution,
  pick,
  type ClusterShare,
  type DirectOutcome,
  type FaultOutcome,
  type HashPolicyOutcome,
  type RedirectOutcome,
  type RetryOutcome,
  type RouteOutcome,
  type SimOutcome,
} from './outcome';
export { SimulationError } from './errors';
