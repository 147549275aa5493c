export * from './type-urls';
export * from './options';
export type { DeltaDiscoveryRequest, DiscoveryRequest, Node } from './wire-types';
export { envoyProtos, type EnvoyProtos } from './protos';
export { protobufjs } from './protobufjs';
export { MAX_MESSAGE_DEPTH, parseMessage, printMessage, printAnyBytes, ProtoJsonError } from './proto-json';
export { EncodedResource } from './encoded-resource';
export { EMPTY_GROUP, ResourceGroup, ResourceList, type GroupDiff } from './resource-group';
export type { ResourceSet } from './resource-sets';
export { resourceType, RESOURCE_TYPE_LIST } from './types';
export type { Dependency, ResourceRequester, ResourceType } from './types';
export { resourceDependency, snapshotChange, type SnapshotChange } from './changes';
export { existing, V3Renderer, type SubscribedNames } from './v3-renderer';
export {
  workloadSdsFiles,
  CERTIFICATE_PROVIDER_INSTANCE,
  ROOT_CA_SECRET,
  WORKLOAD_SECRET,
} from './transport-sockets';
export { SERVER_LISTENER_RESOURCE_NAME_TEMPLATE } from './server-listeners';
