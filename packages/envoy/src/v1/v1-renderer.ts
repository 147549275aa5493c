import { createHash } from 'node:crypto';
import {
  formatServiceKey,
  type ProxyIdentity,
  type ProxyType,
  type ServiceEntry,
  type ServiceKey,
  type Snapshot,
} from '@sextant/core';
import type { MeshIndexes } from '../mesh-index';
import { DEFAULT_MESH_TLS, inboundMtlsModes } from '../mesh-tls';
import { proxySource, sourceKey } from '../plan/proxy-source';
import type { ProxySource, RouteDefaults } from '../plan/route-plan';
import { hostRoutesKey, routeDomains, type RoutableHost } from '../route-domains';
import { flatText } from '../flat-text';
import { ownedBuffer } from '../owned-buffer';
import { sizeOf, type RenderCache } from '../render-cache';
import { inboundClusters, outboundClusters } from './cds';
import { ownListeners, sharedListeners } from './lds';
import type { V1RenderOptions } from './options';
import type { V1Listener } from './types';
import { routeConfigPortOf, tableHosts, v1HostRoutes } from './rds';
import { renderSds } from './sds';

/**
 * A v1 response ready for the wire: the bytes of `JSON.stringify(render…(…))` and a strong ETag.
 * Served as it is: nothing is concatenated or encoded per request.
 */
export interface EncodedBody {
  readonly body: Buffer;
  readonly etag: string;
}

/** A listener as JSON, with the address no other listener of an answer may have. */
interface ListenerText {
  readonly address: string;
  readonly json: string;
}

/** A piece of JSON text with the digest of its content. */
interface Fragment {
  readonly json: string;
  readonly digest: string;
}

/**
 * The v1 REST answers (DESIGN §7), each cached by exactly what it depends on:
 * - SDS: the service entry's version and the service key, so it survives changes elsewhere;
 * - CDS: the snapshot and the proxy's own ports (inbound clusters are named by port, not by IP),
 *   so a fleet of sidecars with alike workloads shares one body;
 * - LDS: the snapshot, the proxy type and, for a sidecar with a workload, its IP and ports;
 * - RDS: the port's version and the proxy's effective domain, so a client inventing domains or
 *   node ids reaches one of the mesh's few tables.
 * The outbound part every proxy shares is encoded once per snapshot from per-service fragments
 * kept across snapshots, so a change re-encodes only the services it touched.
 */
export class V1Renderer {
  constructor(
    private readonly cache: RenderCache,
    private readonly mesh: MeshIndexes,
    readonly options: V1RenderOptions,
    /** What routes that do not say get (the default retry policy). */
    readonly defaults: RouteDefaults = {},
  ) {}

  sds(snapshot: Snapshot, key: ServiceKey): EncodedBody {
    const entry = snapshot.services.get(key.hostname);
    if (!entry) return EMPTY_SDS;
    const text = formatServiceKey(key);
    return this.body(`v1 sds ${entry.version} ${text}`, () => JSON.stringify(renderSds(snapshot, key)));
  }

  cds(snapshot: Snapshot, proxy: ProxyIdentity): EncodedBody {
    const inboundKey =
      proxy.type === 'sidecar'
        ? this.mesh
            .localPorts(snapshot, proxy.ip)
            .map((p) => `${p.port}/${p.servicePort.protocol}`)
            .join(',')
        : '';
    return this.cache.get(
      `v1 cds ${snapshot.version} ${inboundKey}`,
      () => {
        const inbound = inboundClusters(this.mesh, snapshot, proxy, this.options)
          .map((c) => JSON.stringify(c))
          .join(',');
        const shared = this.sharedClusters(snapshot);
        const joint = inbound !== '' && shared.json !== '' ? ',' : '';
        return {
          body: ownedBuffer(`{"clusters":[${inbound}${joint}${shared.json}]}`),
          etag: `"${digest(`cds ${inbound} ${shared.digest}`)}"`,
        };
      },
      bodyBytes,
    );
  }

  lds(snapshot: Snapshot, proxy: ProxyIdentity): EncodedBody {
    const ports = proxy.type === 'sidecar' ? this.mesh.localPorts(snapshot, proxy.ip) : [];
    const modes = inboundMtlsModes(
      this.mesh,
      snapshot,
      proxy,
      ports,
      this.options.meshTls ?? DEFAULT_MESH_TLS,
    );
    const ownKey =
      ports.length === 0
        ? ''
        : `${proxy.ip ?? ''} ${ports.map((p) => `${p.port}/${p.servicePort.protocol}`)} ${modes.map((m) => m ?? '')}`;
    const source = proxySource(this.mesh, snapshot, proxy);
    const sourceText = sourceKey(this.mesh, snapshot, source);
    return this.cache.get(
      `v1 lds ${snapshot.version} ${proxy.type} ${ownKey} ${sourceText}`,
      () => {
        const own = ownListeners(this.mesh, snapshot, proxy, this.options).map(listenerText);
        const shared = this.sharedListeners(snapshot, proxy.type, source, sourceText);
        const taken = new Set(own.map((l) => l.address));
        // A VIP equal to the proxy's own IP: the proxy's own listener keeps the address.
        const listeners = [...own, ...shared.filter((l) => !taken.has(l.address))];
        return encodeText(`{"listeners":[${listeners.map((l) => l.json).join(',')}]}`);
      },
      bodyBytes,
    );
  }

  /**
   * The outbound listeners every proxy of a type and source gets, each as JSON: computing them
   * plans the routes of every service on each HTTP port (for the filters those need), which a
   * proxy's first poll must not repeat for the whole mesh.
   */
  private sharedListeners(
    snapshot: Snapshot,
    type: ProxyType,
    source: ProxySource,
    sourceText: string,
  ): readonly ListenerText[] {
    return this.cache.get(
      `v1 lds shared ${snapshot.version} ${type} ${sourceText}`,
      () => sharedListeners(this.mesh, snapshot, type, this.options, source).map(listenerText),
      (listeners) => {
        let bytes = sizeOf.references(listeners.length);
        for (const l of listeners) bytes += sizeOf.text(l.json) + sizeOf.text(l.address) + sizeOf.object;
        return bytes;
      },
    );
  }

  /**
   * A table is cached by the port's version, the proxy's effective domain and source. Its virtual
   * hosts' names and routes are cached one host at a time, by what they are rendered from
   * (routePlanKey): the same in every domain's table, and after a change of one service rendered
   * again only for that service and those routing to it. Domains (short names) are written per
   * table. Throws UnknownRouteConfigError for a name that is not a port number.
   */
  rds(snapshot: Snapshot, routeConfigName: string, proxy: ProxyIdentity): EncodedBody {
    const port = routeConfigPortOf(routeConfigName);
    const domain = this.mesh.effectiveDomain(snapshot, proxy.domain);
    const source = proxySource(this.mesh, snapshot, proxy);
    const sourceText = sourceKey(this.mesh, snapshot, source);
    return this.body(
      `v1 rds ${port} ${this.mesh.portVersion(snapshot, port)} ${domain} ${sourceText}`,
      () => {
        const hosts = tableHosts(this.mesh, snapshot, routeConfigName, domain).map((host) => {
          const { name, routes } = this.hostRoutes(snapshot, host, source, sourceText);
          return `{"name":${name},"domains":${JSON.stringify(routeDomains(host))},"routes":${routes}}`;
        });
        // JSON.stringify of renderRds's table, written around the virtual hosts' own JSON.
        return `{"validate_clusters":false,"virtual_hosts":[${hosts.join(',')}]}`;
      },
    );
  }

  /** A virtual host's name and routes, as JSON. */
  private hostRoutes(
    snapshot: Snapshot,
    host: RoutableHost,
    source: ProxySource,
    sourceText: string,
  ): { readonly name: string; readonly routes: string } {
    return this.cache.get(
      `v1 rds routes ${hostRoutesKey(snapshot, host, sourceText)}`,
      () => {
        const { name, routes } = v1HostRoutes(snapshot, host, source, this.defaults);
        return { name: JSON.stringify(name), routes: JSON.stringify(routes) };
      },
      (json) => sizeOf.text(json.name) + sizeOf.text(json.routes) + sizeOf.object,
    );
  }

  /** Every service key (one per service port) with its hosts, for people, as Pilot's /v1/registration. */
  registration(snapshot: Snapshot): EncodedBody {
    return this.body(`v1 registration ${snapshot.version}`, () =>
      JSON.stringify(
        this.mesh.sortedEntries(snapshot).flatMap(({ service }) =>
          service.ports.map((port) => {
            const key = { hostname: service.hostname, portName: port.name, labels: {} };
            return { 'service-key': formatServiceKey(key), hosts: renderSds(snapshot, key).hosts };
          }),
        ),
      ),
    );
  }

  private body(key: string, json: () => string): EncodedBody {
    return this.cache.get(key, () => encodeText(json()), bodyBytes);
  }

  /** Every service's outbound clusters, joined: the part of CDS every proxy shares. */
  private sharedClusters(snapshot: Snapshot): Fragment {
    return this.cache.get(
      `v1 cds shared ${snapshot.version}`,
      () => {
        const parts = this.mesh.sortedEntries(snapshot).map((entry) => this.outboundFragment(entry));
        return {
          json: parts
            .filter((p) => p.json !== '')
            .map((p) => p.json)
            .join(','),
          digest: digest(parts.map((p) => p.digest).join(':')),
        };
      },
      (fragment) => sizeOf.text(fragment.json) + sizeOf.object,
    );
  }

  private outboundFragment(entry: ServiceEntry): Fragment {
    return this.cache.get(
      `v1 cds out ${entry.shape}`,
      () => {
        const json = outboundClusters(entry, this.options)
          .map((c) => JSON.stringify(c))
          .join(',');
        return { json, digest: digest(json) };
      },
      (fragment) => sizeOf.text(fragment.json) + sizeOf.object,
    );
  }
}

function listenerText(listener: V1Listener): ListenerText {
  // Cached ones are kept for as long as the snapshot serves: flat (flat-text.ts).
  return { address: listener.address, json: flatText(JSON.stringify(listener)) };
}

function digest(text: string): string {
  // 16 bytes: 22 characters, a string of its own (see shortDigest).
  return createHash('sha256').update(text).digest().toString('base64url', 0, 16);
}

/** A body from its JSON text; its ETag is a digest of the text. */
export function encodeText(json: string): EncodedBody {
  return { body: ownedBuffer(json), etag: `"${digest(json)}"` };
}

/** The body of any value, encoded whole. */
export function encodeJson(value: unknown): EncodedBody {
  return encodeText(JSON.stringify(value));
}

export function bodyText(body: EncodedBody): string {
  return body.body.toString('utf8');
}

function bodyBytes(body: EncodedBody): number {
  return sizeOf.buffer(body.body) + sizeOf.text(body.etag) + sizeOf.object;
}

const EMPTY_SDS = encodeJson({ hosts: [] });
