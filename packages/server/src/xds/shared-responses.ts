import type { EncodedResource, RenderCache } from '@sextant/envoy';
import { sotwResponse, type EncodedResponse } from './wire';

/** A SotW response ready to write: its nonce and how many resources it carries, for status views. */
export interface SharedResponse {
  readonly nonce: string;
  readonly bytes: EncodedResponse;
  readonly resources: number;
}

/** What a SotW response carries; `key` names it exactly, or is undefined when it must not be shared. */
export interface ResponseContent {
  readonly key: string | undefined;
  readonly typeUrl: string;
  readonly version: string;
  resources(): readonly EncodedResource[];
}

/**
 * SotW responses encoded once and written, as the same bytes, to every stream owed the same
 * one: a push to a fleet whose proxies subscribe alike encodes one DiscoveryResponse per
 * distinct (type, version, content), not one per stream. Kept in the render cache (its budget
 * bounds them), under keys that name exactly what a response carries.
 *
 * The nonce is part of the bytes, so streams sharing a response share its nonce. Nonces come
 * from one counter for the whole server: two different responses never have the same nonce, so
 * a stream never sees a nonce twice for different content and tells a stale answer from a
 * current one as before. A stream owed the very response it was last sent (a client asking
 * again) gets a new encoding with a new nonce, not the old one again.
 */
export class SharedResponses {
  private lastNonce = 0;

  constructor(private readonly cache: RenderCache) {}

  sotw(content: ResponseContent, lastNonce: string | undefined): SharedResponse {
    const { key } = content;
    if (key === undefined) return this.encode(content);
    const cacheKey = `xds sotw ${key}`;
    const cached = this.cache.peek<SharedResponse>(cacheKey);
    if (cached && cached.nonce === lastNonce) return this.encode(content);
    return this.cache.get(
      cacheKey,
      () => this.encode(content),
      (response) => response.bytes.byteLength + 128,
    );
  }

  private encode(content: ResponseContent): SharedResponse {
    this.lastNonce += 1;
    const nonce = String(this.lastNonce);
    const resources = content.resources();
    return {
      nonce,
      bytes: sotwResponse(content.typeUrl, content.version, nonce, resources),
      resources: resources.length,
    };
  }
}
