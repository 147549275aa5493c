import type { FastifyReply, FastifyRequest } from 'fastify';
import { HttpError } from './http-errors';

/**
 * Sends an error as one line of plain text. Errors a client caused carry their own status;
 * anything else is our bug: logged with its stack, answered 500.
 */
export function respondWithError(reply: FastifyReply, error: unknown, request: FastifyRequest): number {
  if (error instanceof HttpError) {
    reply.code(error.statusCode).type('text/plain; charset=utf-8').send(`${error.message}\n`);
    return error.statusCode;
  }
  request.log.error({ err: error, url: request.url }, 'request failed');
  reply.code(500).type('text/plain; charset=utf-8').send('internal error; see the sextant log\n');
  return 500;
}
