import { createHash } from 'node:crypto';
import {
  formatServiceKey,
  type ProxyIdentity,
  type ServiceEntry,
  type ServiceKey,
  type Snapshot,
} from '@sextant/core';
import { perEntry, perSnapshot, sortedEntries } from '../mesh-index';
import { inboundClusters, outboundClusters } from './cds';
import { ownListeners, sharedListeners } from './lds';
import { DEFAULT_V1_OPTIONS, type V1RenderOptions } from './options';
import { renderRds } from './rds';
import { renderSds } from './sds';

/**
 * A v1 response body ready for the wire: the bytes of `JSON.stringify(render…(…))`, in chunks,
 * and a strong ETag. The parts every proxy shares (all outbound clusters, all outbound
 * listeners) are encoded once per snapshot and shared by reference, so a fleet of sidecars
 * that differ only in their own inbound ports costs one encoding per snapshot, not one per
 * sidecar; the ETag is composed from the digests of the parts, never by hashing a whole body.
 */
export interface EncodedBody {
  readonly chunks: readonly Buffer[];
  readonly etag: string;
}

/** A piece of JSON text with the digest of its content. */
interface Fragment {
  readonly json: string;
  readonly digest: string;
}

function digest(text: string): string {
  return createHash('sha256').update(text).digest('base64url').slice(0, 22);
}

function fragment(json: string): Fragment {
  return { json, digest: digest(json) };
}

/** The body of any value, encoded whole. */
export function encodeJson(value: unknown): EncodedBody {
  const json = JSON.stringify(value);
  return { chunks: [Buffer.from(json)], etag: `"${digest(json)}"` };
}

export function bodyText(body: EncodedBody): string {
  return Buffer.concat(body.chunks).toString('utf8');
}

// ---- SDS: memoised per service entry and key, so it survives changes to other services.

const EMPTY_SDS = encodeJson({ hosts: [] });
const sdsByEntry = new WeakMap<ServiceEntry, Map<string, EncodedBody>>();

export function sdsBody(snapshot: Snapshot, key: ServiceKey): EncodedBody {
  const entry = snapshot.services.get(key.hostname);
  if (!entry) return EMPTY_SDS;
  let byKey = sdsByEntry.get(entry);
  if (!byKey) {
    byKey = new Map();
    sdsByEntry.set(entry, byKey);
  }
  const text = formatServiceKey(key);
  let body = byKey.get(text);
  if (!body) {
    body = encodeJson(renderSds(snapshot, key));
    byKey.set(text, body);
  }
  return body;
}

// ---- CDS: the proxy's inbound clusters, then the outbound clusters shared by every proxy.

interface SharedChunk {
  readonly bytes: Buffer;
  readonly digest: string;
}

const outboundFragments = new WeakMap<V1RenderOptions, (entry: ServiceEntry) => Fragment>();

function outboundFragment(entry: ServiceEntry, options: V1RenderOptions): Fragment {
  let render = outboundFragments.get(options);
  if (!render) {
    render = perEntry((e) =>
      fragment(
        outboundClusters(e, options)
          .map((c) => JSON.stringify(c))
          .join(','),
      ),
    );
    outboundFragments.set(options, render);
  }
  return render(entry);
}

const sharedCds = new WeakMap<V1RenderOptions, (snapshot: Snapshot) => SharedChunk>();

function sharedClusters(snapshot: Snapshot, options: V1RenderOptions): SharedChunk {
  let build = sharedCds.get(options);
  if (!build) {
    build = perSnapshot((s) => {
      const parts = sortedEntries(s).map((entry) => outboundFragment(entry, options));
      return {
        bytes: Buffer.from(
          parts
            .filter((p) => p.json !== '')
            .map((p) => p.json)
            .join(','),
        ),
        digest: digest(parts.map((p) => p.digest).join(':')),
      };
    });
    sharedCds.set(options, build);
  }
  return build(snapshot);
}

export function cdsBody(snapshot: Snapshot, proxy: ProxyIdentity, options = DEFAULT_V1_OPTIONS): EncodedBody {
  const inbound = inboundClusters(snapshot, proxy, options)
    .map((c) => JSON.stringify(c))
    .join(',');
  const shared = sharedClusters(snapshot, options);
  const joint = inbound !== '' && shared.bytes.length > 0 ? ',' : '';
  return {
    chunks: [Buffer.from(`{"clusters":[${inbound}${joint}`), shared.bytes, Buffer.from(']}')],
    etag: `"${digest(`cds ${inbound} ${shared.digest}`)}"`,
  };
}

// ---- LDS: the proxy's own listeners, then the outbound listeners shared by its proxy type.

const sharedLds = new WeakMap<Snapshot, Map<string, SharedChunk>>();

function sharedListenerChunk(
  snapshot: Snapshot,
  proxy: ProxyIdentity,
  options: V1RenderOptions,
): SharedChunk {
  let byType = sharedLds.get(snapshot);
  if (!byType) {
    byType = new Map();
    sharedLds.set(snapshot, byType);
  }
  const key = `${proxy.type} ${options.rdsCluster} ${options.rdsRefreshDelayMs}`;
  let chunk = byType.get(key);
  if (!chunk) {
    const json = sharedListeners(snapshot, proxy.type, options)
      .map((l) => JSON.stringify(l))
      .join(',');
    chunk = { bytes: Buffer.from(json), digest: digest(json) };
    byType.set(key, chunk);
  }
  return chunk;
}

export function ldsBody(snapshot: Snapshot, proxy: ProxyIdentity, options = DEFAULT_V1_OPTIONS): EncodedBody {
  const own = ownListeners(snapshot, proxy, options);
  const shared = sharedListeners(snapshot, proxy.type, options);
  const taken = new Set(own.map((l) => l.address));
  if (shared.some((l) => taken.has(l.address))) {
    // A VIP equal to the proxy's own IP: rare enough to encode whole.
    return encodeJson({ listeners: [...own, ...shared.filter((l) => !taken.has(l.address))] });
  }
  const ownJson = own.map((l) => JSON.stringify(l)).join(',');
  const chunk = sharedListenerChunk(snapshot, proxy, options);
  const joint = ownJson !== '' && chunk.bytes.length > 0 ? ',' : '';
  return {
    chunks: [Buffer.from(`{"listeners":[${ownJson}${joint}`), chunk.bytes, Buffer.from(']}')],
    etag: `"${digest(`lds ${ownJson} ${chunk.digest}`)}"`,
  };
}

// ---- RDS: one table per (snapshot, port, proxy domain), shared by every proxy in that domain.

const rdsBodies = new WeakMap<Snapshot, Map<string, EncodedBody>>();

export function rdsBody(snapshot: Snapshot, routeConfigName: string, proxy: ProxyIdentity): EncodedBody {
  let byName = rdsBodies.get(snapshot);
  if (!byName) {
    byName = new Map();
    rdsBodies.set(snapshot, byName);
  }
  const key = `${routeConfigName} ${proxy.domain}`;
  let body = byName.get(key);
  if (!body) {
    body = encodeJson(renderRds(snapshot, routeConfigName, proxy));
    byName.set(key, body);
  }
  return body;
}
