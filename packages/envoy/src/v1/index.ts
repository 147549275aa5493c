export * from './types';
export * from './options';
export { renderSds } from './sds';
export { renderCds } from './cds';
export { renderRds, UnknownRouteConfigError } from './rds';
export { renderLds } from './lds';
export { bodyText, cdsBody, encodeJson, ldsBody, rdsBody, sdsBody, type EncodedBody } from './bodies';
