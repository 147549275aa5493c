import {
  ResponseContext,
  wrapHttpLibrary,
  type HttpLibrary,
  type RequestContext,
} from '@kubernetes/client-node';
import type { Redactor } from '@sextant/adapter-kit';
import fetch, { type RequestInit } from 'node-fetch';
import { rememberAuthorization } from './credentials';

/**
 * client-node's HTTP library, on node-fetch as its own, except that it follows no redirect:
 * node-fetch re-sends `Authorization` on a redirect to another port or to a subdomain of the API
 * server's host. A 3xx comes back as it is; client-node makes it an ApiException, a fault that
 * names the target (api-error.ts). The credential each request carries is told to the redactor
 * before it is sent, since exec plugins and token files produce tokens nothing else sees.
 */
export function noRedirectHttpLibrary(redactor: Redactor): HttpLibrary {
  return wrapHttpLibrary({
    async send(request: RequestContext): Promise<ResponseContext> {
      const headers = request.getHeaders();
      rememberAuthorization(headers.Authorization ?? headers.authorization, redactor);
      const response = await fetch(request.getUrl(), {
        method: request.getHttpMethod().toString(),
        body: request.getBody() as RequestInit['body'],
        headers,
        signal: request.getSignal() as RequestInit['signal'],
        agent: request.getAgent(),
        redirect: 'manual',
      });
      const responseHeaders: Record<string, string> = {};
      response.headers.forEach((value, name) => {
        responseHeaders[name] = value;
      });
      return new ResponseContext(response.status, responseHeaders, {
        text: () => response.text(),
        binary: () => response.buffer(),
      });
    },
  });
}
