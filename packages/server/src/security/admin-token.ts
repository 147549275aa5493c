import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Logger as PinoLogger } from 'pino';
import { sendLine } from '../respond';
import { WatchedFiles } from './watched-files';

/** Endpoints that answer without a token: the probes of kubelets, systemd and load balancers. */
const OPEN_PATHS = new Set(['/healthz', '/readyz']);

export interface AdminTokenOptions {
  readonly logger: PinoLogger;
  /** How often the file is read again; 1 s by default. */
  readonly pollIntervalMs?: number;
}

/**
 * The admin bearer token (`admin.tokenFile`), read at start and again when the file changes. Only
 * its SHA-256 digest is kept: the token itself is in no object a log line or debug view could show.
 */
export class AdminToken {
  private readonly file: WatchedFiles<Buffer>;

  constructor(tokenFile: string, options: AdminTokenOptions) {
    this.file = new WatchedFiles({
      files: { 'admin.tokenFile': tokenFile },
      what: 'the admin token file',
      pollIntervalMs: options.pollIntervalMs ?? 1000,
      logger: options.logger,
      parse: (contents) => {
        const token = (contents['admin.tokenFile'] ?? Buffer.alloc(0)).toString('utf8').trim();
        if (token === '') throw new Error(`admin.tokenFile: ${tokenFile} holds no token`);
        return digest(token);
      },
    });
  }

  /** Reads the file; rejects with a WatchedFileError naming it (never its contents). */
  async start(): Promise<void> {
    await this.file.start();
  }

  stop(): void {
    this.file.stop();
  }

  /** Whether `token` is the current one, in time that does not depend on where they differ. */
  matches(token: string): boolean {
    return timingSafeEqual(digest(token), this.file.current());
  }
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/**
 * Every admin request but /healthz and /readyz must carry `Authorization: Bearer <token>`;
 * others get 401 with `WWW-Authenticate: Bearer` (RFC 6750), whatever the path (an unknown
 * path too, so the answer says nothing about which endpoints exist).
 */
export function requireAdminToken(app: FastifyInstance, token: AdminToken): void {
  app.addHook('onRequest', (request, reply, done) => {
    const url = request.url;
    const query = url.indexOf('?');
    if (OPEN_PATHS.has(query < 0 ? url : url.slice(0, query))) return done();
    const header = request.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer +(\S+) *$/i.exec(header) : null;
    if (match && token.matches(match[1] ?? '')) return done();
    reply.header(
      'www-authenticate',
      match ? 'Bearer realm="sextant admin", error="invalid_token"' : 'Bearer realm="sextant admin"',
    );
    sendLine(
      reply,
      401,
      match
        ? 'the bearer token is not the admin token'
        : 'this endpoint needs Authorization: Bearer <token>, the token in admin.tokenFile',
    );
  });
}
