import { clientText } from '@sextant/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { HttpError } from './http-errors';
import { leftOutFields } from './repeated-events';

/** How long an error line may be; client text inside it is already cut shorter (clientText). */
const ERROR_LINE_MAX = 1000;

/**
 * Sends an error as one line of plain text. Errors a client caused carry their own status;
 * anything else is our bug: logged with its stack (the same failure once a minute at most, with
 * the count of repeats left out), answered 500.
 */
export function respondWithError(reply: FastifyReply, error: unknown, request: FastifyRequest): number {
  if (error instanceof HttpError) {
    sendLine(reply, error.statusCode, error.message);
    return error.statusCode;
  }
  const route = `${request.method} ${request.routeOptions.url ?? '(no route)'}`;
  const leftOut = request.server.repeatedErrors.admit(`${route} ${clientText(String(error))}`);
  if (leftOut !== undefined) {
    request.log.error(
      { err: error, url: clientText(request.url), ...leftOutFields(leftOut) },
      `request failed: ${route}`,
    );
  }
  sendLine(reply, 500, 'internal error; see the sextant log');
  return 500;
}

/**
 * Answers with one line of plain text. The message may hold what a client sent: line breaks and
 * other control characters are escaped (a client cannot add lines or headers), length is bounded.
 */
export function sendLine(reply: FastifyReply, statusCode: number, message: string): FastifyReply {
  return reply
    .code(statusCode)
    .type('text/plain; charset=utf-8')
    .send(`${clientText(message, ERROR_LINE_MAX)}\n`);
}
