export type { MeshState } from './mesh-state';
export { ServerMetrics } from './metrics';
export { ReloadMetrics, type ReloadResult } from './reload-metrics';
export { HttpError, NOT_SYNCED_MESSAGE } from './http-errors';
export { V1Responder, parseProxy } from './v1/v1-responder';
export { registerAdminRoutes, type ProxyConfigSection, type ProxyStreamsSource } from './admin/admin-routes';
export { registryView, v1ProxyConfig } from './admin/debug-views';
export { createHttpServer, listenOn } from './http-server';
export {
  createAdminServer,
  createDiscoveryServer,
  createXdsServer,
  type AdminServerOptions,
  type DiscoveryServerOptions,
} from './servers';
export { DEFAULT_HTTP_LIMITS, type HttpLimits } from './http-limits';
export { isLoopbackHost } from './admin/host-guard';
export { RepeatedEvents } from './repeated-events';
export { parseListenAddress, formatHostPort, ListenAddressError } from './listen-address';
export { respondWithError, sendLine } from './respond';
export { XdsServer, type XdsServerOptions } from './xds/xds-server';
export { DEFAULT_XDS_LIMITS, type XdsLimits } from './xds/xds-limits';
export type { ProxyStatus } from './xds/proxy-status';
export { v3ConfigSection } from './xds/proxy-config-section';
export { registerV3RestRoutes } from './v3-rest/v3-rest-routes';
export { registerRulesApi, RULE_BODY_LIMIT } from './admin/rules-api';
export { AdminToken, requireAdminToken } from './security/admin-token';
export { ServerTls, type ServerTlsSettings } from './security/server-tls';
export { WatchedFileError } from './security/watched-files';
export { NodeAuthorizer, NodeAccessDenied } from './security/node-authorizer';
export { authorizeNode, nodeClaim, type NodeClaim } from './security/node-authorization';
export { parseSpiffeId, spiffeIdentities, type SpiffeIdentity } from './security/spiffe-id';
export {
  Fleet,
  DEFAULT_MAX_TRACKED_CLIENTS,
  DEFAULT_PROXY_RETENTION_MS,
  type FleetOptions,
} from './fleet/fleet';
export { defaultBuildInfo, type BuildInfo } from './build-info';
export { writeFileAtomically } from './ca/atomic-file';
export {
  CaSetupError,
  loadCaMaterial,
  pemBlocks,
  ROOT_CERT_FILE,
  ROOT_KEY_FILE,
  type CaMaterial,
  type CaSource,
} from './ca/ca-material';
export {
  CertificateAuthority,
  CsrError,
  MAX_CSR_BYTES,
  type CertificateAuthorityOptions,
} from './ca/certificate-authority';
export { CertificateService, type GrpcService, type TokenReviewer } from './ca/certificate-service';
export {
  CREATE_CERTIFICATE_PATH,
  decodeCertificateResponse,
  encodeCertificateRequest,
  type IstioCertificateRequest,
  type IstioCertificateResponse,
} from './ca/istio-ca-wire';
export {
  createWorkloadToken,
  DEFAULT_TOKEN_AUDIENCE,
  MAX_TOKEN_TTL_MS,
  TokenRejected,
  verifyWorkloadToken,
} from './ca/workload-token';
export { newWorkloadKey, type WorkloadKey } from './ca/workload-key';
export { CertificateClient, type CertificateRequestOptions } from './ca/certificate-client';
