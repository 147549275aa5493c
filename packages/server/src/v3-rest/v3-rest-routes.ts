import {
  CLUSTER_TYPE,
  ENDPOINT_TYPE,
  envoyProtos,
  LISTENER_TYPE,
  parseMessage,
  ProtoJsonError,
  resourceType,
  ROUTE_TYPE,
  TYPE_SHORT_NAMES,
  type ResourceTypeUrl,
  type V3Renderer,
} from '@sextant/envoy';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { HttpError, NOT_SYNCED_MESSAGE } from '../http-errors';
import type { MeshState } from '../mesh-state';
import type { Fleet } from '../fleet/fleet';
import type { ServerMetrics } from '../metrics';
import { respondWithError } from '../respond';
import type { NodeGate } from '../security/node-authorizer';
import { ClientNodeError, readClientNode } from '../xds/client-node';
import { Subscription } from '../xds/subscription';
import { normaliseDiscoveryRequest } from '../xds/wire';

const ENDPOINTS: readonly [string, ResourceTypeUrl, string][] = [
  ['clusters', CLUSTER_TYPE, 'v3-cds'],
  ['endpoints', ENDPOINT_TYPE, 'v3-eds'],
  ['listeners', LISTENER_TYPE, 'v3-lds'],
  ['routes', ROUTE_TYPE, 'v3-rds'],
];

/**
 * v3 REST-JSON (Envoy's `api_type: REST`): `POST /v3/discovery:<type>` with a DiscoveryRequest in
 * proto3 JSON, answered with a DiscoveryResponse. Envoy polls with the version it holds; an
 * unchanged answer is 304 (Envoy keeps what it has), so a poll costs a digest comparison. Each
 * answer's version is a digest of its resources, the same for every replica.
 */
export function registerV3RestRoutes(
  app: FastifyInstance,
  mesh: MeshState,
  renderer: V3Renderer,
  metrics: ServerMetrics,
  /** Strict node authorization: the request's node must be the client certificate's. */
  gate?: NodeGate,
  fleet?: Fleet,
): void {
  void app.register(async (scope) => {
    // The body is parsed here, whatever its content type, so a parse error is reported in our words.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, body));
    for (const [noun, typeUrl, api] of ENDPOINTS) {
      // `::` is a literal colon for fastify's router.
      scope.post(`/v3/discovery::${noun}`, (request, reply) => answer(request, reply, typeUrl, api));
    }
  });

  function answer(request: FastifyRequest, reply: FastifyReply, typeUrl: ResourceTypeUrl, api: string) {
    try {
      const snapshot = mesh.current();
      if (!snapshot) throw new HttpError(503, NOT_SYNCED_MESSAGE);
      const discovery = parseRequest(request.body);
      if (discovery.type_url !== '' && discovery.type_url !== typeUrl) {
        throw new HttpError(400, `type_url: this endpoint serves ${typeUrl}, not ${discovery.type_url}`);
      }
      const client = readClient(discovery.node);
      gate?.(request.raw.socket, client.proxy, api);
      const started = performance.now();
      const set = renderer.resourceSet(snapshot, typeUrl, { proxy: client.proxy, kind: 'rest' });
      const subscription = Subscription.sotw(discovery.resource_names, resourceType(typeUrl).wholeState);
      const state = renderer.subscribedGroup(set, subscription);
      metrics.renderSeconds.observe({ api: 'v3-rest' }, (performance.now() - started) / 1000);
      fleet?.v3Polled(
        client.id,
        client.cluster,
        TYPE_SHORT_NAMES[typeUrl],
        state.digest,
        snapshot.version,
        request.raw,
      );
      if (discovery.version_info === state.digest) {
        metrics.discoveryRequests.inc({ api, code: 304 });
        return reply.code(304).send();
      }
      metrics.discoveryRequests.inc({ api, code: 200 });
      return reply.code(200).type('application/json').send(renderer.restBody(typeUrl, state));
    } catch (error) {
      metrics.discoveryRequests.inc({ api, code: respondWithError(reply, error, request) });
      return reply;
    }
  }
}

function parseRequest(body: unknown) {
  let json: unknown;
  try {
    json = JSON.parse(typeof body === 'string' ? body : '');
  } catch (error) {
    throw new HttpError(400, `the body is not JSON: ${(error as Error).message}`);
  }
  try {
    return normaliseDiscoveryRequest(parseMessage(envoyProtos().discoveryRequest, json));
  } catch (error) {
    if (error instanceof ProtoJsonError) throw new HttpError(400, `not a DiscoveryRequest: ${error.message}`);
    throw error;
  }
}

function readClient(node: Parameters<typeof readClientNode>[0]) {
  try {
    return readClientNode(node);
  } catch (error) {
    if (error instanceof ClientNodeError) throw new HttpError(400, error.message);
    throw error;
  }
}
