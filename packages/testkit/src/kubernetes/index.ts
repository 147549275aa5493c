export {
  FakeKubernetesApi,
  type FakeKubernetesOptions,
  type KindName,
  type RecordedRequest,
} from './fake-kubernetes-api';
export { crdName, RULE_CRDS, type CustomResourceDefinition } from './custom-resources';
export type { FaultedRequest, FaultRule, InjectedFault, Verb } from './faults';
export type { KubeObject, KubeObjectMeta } from './object-store';
export type { KubeconfigOptions, ServiceAccount } from './client-files';
export type { KubeStatus } from './status';
export {
  k8sEndpointSlice,
  k8sNode,
  k8sPod,
  k8sService,
  type EndpointPortSpec,
  type EndpointSliceSpec,
  type EndpointSpec,
  type NodeSpec,
  type PodSpec,
  type ServicePortSpec,
  type ServiceSpec,
} from './objects';
export { TEST_CA_CERT } from './test-certificate';
export { API_SERVER_AUDIENCE, type ServiceAccountToken } from './token-reviews';
