import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ServerMetrics } from '../metrics';
import type { EncodedBody } from '@sextant/envoy';
import { respondWithError } from '../respond';
import type { V1Api, V1Responder } from './v1-responder';

/**
 * The v1 REST discovery routes (DESIGN §7). Envoy polls them without conditional headers;
 * people and scripts that send If-None-Match get 304 for an unchanged body.
 */
export function registerV1Routes(app: FastifyInstance, responder: V1Responder, metrics: ServerMetrics): void {
  const answer =
    <P>(api: V1Api, produce: (params: P) => EncodedBody) =>
    async (request: FastifyRequest, reply: FastifyReply) => {
      try {
        const response = produce(request.params as P);
        reply.header('etag', response.etag);
        if (request.headers['if-none-match'] === response.etag) {
          metrics.discoveryRequests.inc({ api, code: 304 });
          return reply.code(304).send();
        }
        metrics.discoveryRequests.inc({ api, code: 200 });
        return reply.code(200).type('application/json').send(response.body);
      } catch (error) {
        const code = respondWithError(reply, error, request);
        metrics.discoveryRequests.inc({ api, code });
        return reply;
      }
    };

  // A wildcard, not `:serviceKey`: subset label keys may contain `/` (`topology.istio.io/cluster=west`)
  // and Envoy sends the key unescaped.
  app.get(
    '/v1/registration/*',
    answer<{ '*': string }>('sds', (p) => responder.sds(p['*'])),
  );
  app.get(
    '/v1/registration',
    answer<object>('registration', () => responder.registration()),
  );
  app.get(
    '/v1/clusters/:serviceCluster/:serviceNode',
    answer<{ serviceNode: string }>('cds', (p) => responder.cds(p.serviceNode)),
  );
  app.get(
    '/v1/routes/:routeConfigName/:serviceCluster/:serviceNode',
    answer<{ routeConfigName: string; serviceNode: string }>('rds', (p) =>
      responder.rds(p.routeConfigName, p.serviceNode),
    ),
  );
  app.get(
    '/v1/listeners/:serviceCluster/:serviceNode',
    answer<{ serviceNode: string }>('lds', (p) => responder.lds(p.serviceNode)),
  );
}
