export { type BootstrapOptions } from './bootstrap-options';
export { envoyV3Bootstrap, ENVOY_ADMIN_PORT } from './envoy-v3-bootstrap';
export { envoyV1Bootstrap, envoyV1CommandLineFlags } from './envoy-v1-bootstrap';
export { grpcBootstrap } from './grpc-bootstrap';
export { CERTIFICATE_REFRESH_INTERVAL } from './grpc-bootstrap';
