export * from './type-urls';
export * from './options';
export type { DeltaDiscoveryRequest, DiscoveryRequest, Node } from './wire-types';
export { envoyProtos, type EnvoyProtos } from './protos';
export { MAX_MESSAGE_DEPTH, parseMessage, printMessage, printAnyBytes, ProtoJsonError } from './proto-json';
export { EncodedResource } from './encoded-resource';
export {
  compose,
  group,
  groupResources,
  groupDiff,
  EMPTY_GROUP,
  type GroupDiff,
  type ResourceGroup,
} from './resource-group';
export { resourceSet, sharedGroup, type ResourceRequester, type ResourceSet } from './resource-sets';
export { resourceDependency, snapshotChange, type Dependency, type SnapshotChange } from './changes';
