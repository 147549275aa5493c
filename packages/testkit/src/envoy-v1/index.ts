export { envoyV1Problems, type EnvoyV1Api } from './validate';
export { cdsSchema, ldsSchema, rdsSchema, sdsSchema } from './schemas';
