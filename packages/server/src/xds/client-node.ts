import { parseProxyIdentity, type ProxyIdentity } from '@sextant/core';
import type { Node } from '@sextant/envoy';

/** Who is on the other end of a stream, as its `node` says. */
export interface ClientNode {
  /** `node.id` as sent. */
  readonly id: string;
  /** The identity its resources are rendered for (DESIGN §3). */
  readonly proxy: ProxyIdentity;
  /** `envoy`, `grpc` (a proxyless gRPC library) or `unknown`. */
  readonly kind: 'envoy' | 'grpc' | 'unknown';
  /** What the client calls itself: `envoy 1.31.2`, `gRPC Node Pure JS 1.14.1`. */
  readonly agent: string;
  readonly cluster: string;
}

/** A node that cannot be served: the stream is refused with this message. */
export class ClientNodeError extends Error {
  override readonly name = 'ClientNodeError';
}

/**
 * Reads a client's identity from its node. `node.id` is either Istio's `<type>~<ip>~<id>~<domain>`
 * or a bare name; a bare name is a sidecar with no workload of its own. Unlike a v1 path segment,
 * a v3 node id may hold `/` (gRPC clients often use paths such as `projects/1/nodes/a`), so a bare
 * name is taken as it is.
 */
export function readClientNode(node: Node | null | undefined): ClientNode {
  if (!node) throw new ClientNodeError('the first request of a stream must carry node (with node.id)');
  const id = node.id ?? '';
  if (id === '') throw new ClientNodeError('node.id is empty; set it in the bootstrap (node.id)');
  let proxy: ProxyIdentity;
  if (id.includes('~')) {
    try {
      proxy = parseProxyIdentity(id);
    } catch (error) {
      throw new ClientNodeError(`node.id: ${(error as Error).message}`);
    }
  } else {
    proxy = { raw: id, type: 'sidecar', id, domain: '' };
  }
  return { id, proxy, kind: clientKind(node), agent: agentOf(node), cluster: node.cluster ?? '' };
}

/**
 * Envoy or a proxyless gRPC library, from what each puts in its node: the user agent name first
 * (both set it), then Istio's `GENERATOR: grpc` metadata, then the client features only gRPC
 * libraries announce, then the structured build version only Envoy sends.
 */
function clientKind(node: Node): ClientNode['kind'] {
  const name = (node.user_agent_name ?? '').toLowerCase();
  if (name === 'envoy') return 'envoy';
  if (name.startsWith('grpc') || name.includes(' grpc')) return 'grpc';
  if (node.metadata?.fields?.GENERATOR?.stringValue === 'grpc') return 'grpc';
  if ((node.client_features ?? []).some((feature) => GRPC_ONLY_FEATURES.has(feature))) return 'grpc';
  if (node.user_agent_build_version) return 'envoy';
  return 'unknown';
}

/** Client features gRPC libraries announce (gRFC A27, A53) and Envoy does not. */
const GRPC_ONLY_FEATURES = new Set(['xds.config.resource-in-sotw']);

function agentOf(node: Node): string {
  const name = node.user_agent_name ?? '';
  const build = node.user_agent_build_version?.version;
  const version = build
    ? `${build.major_number}.${build.minor_number}.${build.patch}`
    : (node.user_agent_version ?? '');
  return [name, version].filter((part) => part !== '').join(' ');
}
