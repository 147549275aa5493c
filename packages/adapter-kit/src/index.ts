export { Backoff } from './backoff';
export { systemClock, type Clock } from './clock';
export { anyMatches, Glob } from './glob';
export { HostnameTemplate } from './hostname-template';
export { REDACTED, Redactor } from './redactor';
export { rateLimitOptionsSchema, type RateLimitOptions } from './rate-limit-options';
export { isRedirect, redirectRefusal } from './redirects';
export {
  ServiceSelection,
  serviceSelectionSchema,
  type ServiceSelectionDefaults,
  type ServiceSelectionOptions,
} from './service-selection';
export { SharedTokenBucket, type Lane, type TokenRequest } from './shared-token-bucket';
export { sleep } from './sleep';
export { readTlsFiles, TlsFileError, type TlsMaterial } from './tls-files';
export { tlsOptionsSchema, type TlsOptions, type TlsSetting } from './tls-options';
export { TokenBucket } from './token-bucket';
export { tokenOptionsSchema, type TokenOptions, type TokenSetting } from './token-options';
export { TokenFileError, TokenSource } from './token-source';
export { answeredEarly, WatchPacer } from './watch-pacer';
