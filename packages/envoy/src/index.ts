export * from './v1';
export * from './v3';
export { MeshIndexes, type LocalPort } from './mesh-index';
export { RenderCache, DEFAULT_RENDER_CACHE_BYTES, type RenderCacheStats } from './render-cache';
export { Renderer, type RendererOptions } from './renderer';
export { ownedBuffer } from './owned-buffer';
export * from './plan';
export * from './bootstrap';
export {
  DEFAULT_CERTS_DIR,
  DEFAULT_MESH_TLS,
  WORKLOAD_CERT_FILES,
  workloadCertPaths,
  type MeshTlsOptions,
} from './mesh-tls';
