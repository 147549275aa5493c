import { MeshIndexes } from './mesh-index';
import type { MeshTlsOptions } from './mesh-tls';
import type { RouteDefaults } from './plan/route-plan';
import { DEFAULT_RENDER_CACHE_BYTES, RenderCache } from './render-cache';
import { DEFAULT_V1_OPTIONS, type V1RenderOptions } from './v1/options';
import { V1Renderer } from './v1/v1-renderer';
import { DEFAULT_V3_OPTIONS, type V3RenderOptions } from './v3/options';
import { V3Renderer } from './v3/v3-renderer';

export interface RendererOptions {
  /** The render caches' budget in bytes (default 128 MiB). */
  readonly cacheBytes?: number;
  readonly v1?: V1RenderOptions;
  readonly v3?: V3RenderOptions;
  /** The mesh's mTLS conventions (`security.meshTls` in sextant.yaml), for v1 and v3 alike. */
  readonly meshTls?: MeshTlsOptions;
  /** What routes that do not say get: the default retry policy (`defaults.retries` in sextant.yaml). */
  readonly defaults?: RouteDefaults;
  /** Keep every v3 resource's rendered object beside its bytes (for tests). */
  readonly keepRendered?: boolean;
}

/**
 * Turns snapshots into Envoy configuration for every API, through one set of caches: the
 * state a server owns and passes to whatever renders (no module-level state anywhere in the
 * renderers). One per daemon, shared by its listeners, so v1 and v3 answers built from the same
 * pieces share them and one budget bounds them all.
 */
export class Renderer {
  readonly cache: RenderCache;
  readonly mesh = new MeshIndexes();
  readonly v1: V1Renderer;
  readonly v3: V3Renderer;

  constructor(options: RendererOptions = {}) {
    this.cache = new RenderCache(options.cacheBytes ?? DEFAULT_RENDER_CACHE_BYTES);
    const meshTls = options.meshTls && { meshTls: options.meshTls };
    this.v1 = new V1Renderer(
      this.cache,
      this.mesh,
      { ...(options.v1 ?? DEFAULT_V1_OPTIONS), ...meshTls },
      options.defaults ?? {},
    );
    this.v3 = new V3Renderer({
      cache: this.cache,
      mesh: this.mesh,
      options: { ...(options.v3 ?? DEFAULT_V3_OPTIONS), ...meshTls },
      defaults: options.defaults ?? {},
      keepRendered: options.keepRendered,
    });
  }
}
