export * from './types';
export * from './options';
export { renderSds } from './sds';
export { renderCds } from './cds';
export { rdsRouteOrigins, renderRds, UnknownRouteConfigError } from './rds';
export { renderLds } from './lds';
export { bodyText, encodeJson, encodeText, V1Renderer, type EncodedBody } from './v1-renderer';
