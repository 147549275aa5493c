import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request a RequestRecorder received. */
export interface ReceivedRequest {
  readonly method: string;
  /** Path and query, as sent. */
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
}

/**
 * A plain HTTP server on a free loopback port that answers every request with 404 and keeps what
 * it received: the other end of a redirect, to show what a client sent there (a client that
 * follows a redirect with the platform's token hands the token to this server).
 */
export class RequestRecorder {
  readonly requests: ReceivedRequest[] = [];

  private constructor(
    private readonly server: Server,
    /** `http://127.0.0.1:<port>`. */
    readonly url: string,
  ) {}

  static async start(): Promise<RequestRecorder> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const recorder = new RequestRecorder(
      server,
      `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    );
    server.on('request', (request: IncomingMessage, response: ServerResponse) => {
      recorder.requests.push({
        method: request.method ?? 'GET',
        url: request.url ?? '/',
        headers: request.headers,
      });
      response.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('nothing here\n');
    });
    return recorder;
  }

  /** Requests that carried `secret` anywhere: in the URL or in a header value. */
  carrying(secret: string): ReceivedRequest[] {
    return this.requests.filter(
      (request) =>
        request.url.includes(secret) ||
        Object.values(request.headers).some((value) => [value ?? []].flat().some((v) => v.includes(secret))),
    );
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}
