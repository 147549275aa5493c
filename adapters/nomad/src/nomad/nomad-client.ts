import { isRedirect, redirectRefusal, TokenFileError, type TokenSource } from '@sextant/adapter-kit';
import { formatDuration } from '@sextant/core';
import { Agent, fetch } from 'undici';
import { NomadError } from './nomad-error';

/** PEM contents and the name to verify, as undici's connector (`tls.connect`) takes them. */
export interface TlsConnectOptions {
  readonly ca?: string | Buffer;
  readonly cert?: string | Buffer;
  readonly key?: string | Buffer;
  readonly servername?: string;
}

export interface NomadClientSettings {
  readonly address: URL;
  /** Sent as `?region=` with every request. */
  readonly region: string | undefined;
  /** Sent as `?stale` with every request. */
  readonly stale: boolean;
  /** Most connections to Nomad at once; the watches' request slots never ask for more. */
  readonly maxConnections: number;
}

export interface NomadRequest {
  /** `/v1/services`, `/v1/service/web`, … */
  readonly path: string;
  readonly query: Readonly<Record<string, string | undefined>>;
  readonly signal: AbortSignal;
  /** Give up (a `timeout` error) when no complete answer has arrived by then. */
  readonly timeoutMs: number;
}

export interface NomadStreamRequest {
  readonly path: string;
  readonly query: Readonly<Record<string, string | undefined>>;
  readonly signal: AbortSignal;
  /** Give up (a `timeout` error) when no line has arrived for this long, headers included. */
  readonly idleTimeoutMs: number;
  /** Longest line taken, in characters: a longer one is an `invalid` error (memory stays bounded). */
  readonly maxLineLength: number;
}

/** A 200 from a blocking endpoint. */
export interface NomadAnswer {
  /** `X-Nomad-Index`: the table's raft index when the answer was computed. */
  readonly index: number;
  /** `X-Nomad-NextToken`: another page exists. */
  readonly nextToken: string | undefined;
  readonly body: unknown;
}

/**
 * Nomad's HTTP API over undici, the one HTTP stack of this adapter: its own keep-alive Agent
 * (bounded connections, the TLS material, no socket timeouts of its own since every request
 * carries its deadline), closed with every socket when the adapter stops. Errors come back as
 * NomadError; when Nomad refuses a token read from a file, the file is read again and the
 * request retried once with the new token. It follows no redirect: fetch would send
 * `X-Nomad-Token` to whatever host a 3xx names, so a redirect is an `http` error naming its target.
 */
export class NomadClient {
  private readonly agent: Agent;
  private readonly origin: string;

  constructor(
    private readonly settings: NomadClientSettings,
    private readonly token: TokenSource,
    tls: TlsConnectOptions | undefined,
  ) {
    this.origin = settings.address.origin;
    this.agent = new Agent({
      connections: settings.maxConnections,
      pipelining: 1,
      // Deadlines are per request (a blocking query legitimately waits minutes for its headers).
      headersTimeout: 0,
      bodyTimeout: 0,
      connect: { timeout: 10_000, ...tls },
    });
  }

  async get(request: NomadRequest): Promise<NomadAnswer> {
    const token = await this.currentToken();
    try {
      return await this.attempt(request, token);
    } catch (error) {
      // A token file rotated under us: Nomad refuses the old secret; read the file and try again.
      if (error instanceof NomadError && error.forbidden && (await this.token.changedSince(token))) {
        return this.attempt(request, await this.currentToken());
      }
      throw error;
    }
  }

  /**
   * A streaming endpoint of newline-delimited JSON (`/v1/event/stream`): calls `onLine` with each
   * line as it arrives, and resolves when Nomad ends the stream. Fails as `get` does, and with a
   * `timeout` when the stream falls silent for `idleTimeoutMs` (Nomad sends heartbeats), so a
   * connection that died without a word is noticed.
   */
  async stream(request: NomadStreamRequest, onLine: (line: string) => void): Promise<void> {
    const token = await this.currentToken();
    try {
      return await this.attemptStream(request, token, onLine);
    } catch (error) {
      if (error instanceof NomadError && error.forbidden && (await this.token.changedSince(token))) {
        return this.attemptStream(request, await this.currentToken(), onLine);
      }
      throw error;
    }
  }

  /** The token to send; a token file that cannot be read is the adapter's own (`local`) fault. */
  private async currentToken(): Promise<string | undefined> {
    try {
      return await this.token.get();
    } catch (error) {
      if (!(error instanceof TokenFileError)) throw error;
      const message =
        error.problem === 'empty'
          ? error.message
          : `cannot read the token file ${error.file}: ${(error.cause as Error).message}`;
      throw new NomadError('local', message, { cause: error.cause });
    }
  }

  /** Closes every connection; requests still running fail. */
  async close(): Promise<void> {
    await this.agent.destroy();
  }

  private async attempt(request: NomadRequest, token: string | undefined): Promise<NomadAnswer> {
    const url = this.url(request);
    const deadline = new AbortController();
    const onAbort = () => deadline.abort(request.signal.reason);
    request.signal.addEventListener('abort', onAbort, { once: true });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      deadline.abort();
    }, request.timeoutMs);
    try {
      if (request.signal.aborted) throw request.signal.reason;
      const response = await fetch(url, {
        dispatcher: this.agent,
        signal: deadline.signal,
        redirect: 'manual',
        headers: { Accept: 'application/json', ...(token !== undefined && { 'X-Nomad-Token': token }) },
      });
      const text = await response.text();
      if (isRedirect(response.status)) {
        throw new NomadError(
          'http',
          redirectRefusal('Nomad', response.status, response.headers.get('location'), url),
          { status: response.status },
        );
      }
      if (!response.ok) throw this.httpError(response.status, text, response.headers.get('retry-after'));
      return this.answer(request.path, text, response.headers);
    } catch (error) {
      if (error instanceof NomadError || request.signal.aborted) throw error;
      if (timedOut) {
        throw new NomadError(
          'timeout',
          `Nomad at ${this.origin} did not answer within ${Math.round(request.timeoutMs / 1000)}s`,
        );
      }
      throw new NomadError(
        'unreachable',
        `cannot reach Nomad at ${this.origin}: ${describeNetworkError(error)}`,
        {
          cause: error,
        },
      );
    } finally {
      clearTimeout(timer);
      request.signal.removeEventListener('abort', onAbort);
    }
  }

  private async attemptStream(
    request: NomadStreamRequest,
    token: string | undefined,
    onLine: (line: string) => void,
  ): Promise<void> {
    const url = this.url(request);
    const deadline = new AbortController();
    const onAbort = () => deadline.abort(request.signal.reason);
    request.signal.addEventListener('abort', onAbort, { once: true });
    let timedOut = false;
    let timer: NodeJS.Timeout | undefined;
    const quietFor = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        timedOut = true;
        deadline.abort();
      }, request.idleTimeoutMs);
    };
    quietFor();
    try {
      if (request.signal.aborted) throw request.signal.reason;
      const response = await fetch(url, {
        dispatcher: this.agent,
        signal: deadline.signal,
        redirect: 'manual',
        headers: { Accept: 'application/json', ...(token !== undefined && { 'X-Nomad-Token': token }) },
      });
      if (isRedirect(response.status)) {
        await response.body?.cancel();
        throw new NomadError(
          'http',
          redirectRefusal('Nomad', response.status, response.headers.get('location'), url),
          { status: response.status },
        );
      }
      if (!response.ok) {
        throw this.httpError(response.status, await response.text(), response.headers.get('retry-after'));
      }
      const lines = new LineSplitter(request.maxLineLength, request.path);
      for await (const chunk of response.body ?? []) {
        quietFor();
        for (const line of lines.push(chunk)) onLine(line);
      }
    } catch (error) {
      if (error instanceof NomadError || request.signal.aborted) throw error;
      if (timedOut) {
        throw new NomadError(
          'timeout',
          `Nomad at ${this.origin} sent nothing on ${request.path} for ${formatDuration(request.idleTimeoutMs)}`,
        );
      }
      throw new NomadError(
        'unreachable',
        `cannot reach Nomad at ${this.origin}: ${describeNetworkError(error)}`,
        { cause: error },
      );
    } finally {
      clearTimeout(timer);
      request.signal.removeEventListener('abort', onAbort);
    }
  }

  private url(request: { readonly path: string; readonly query: NomadRequest['query'] }): URL {
    const url = new URL(request.path, this.settings.address);
    for (const [name, value] of Object.entries(request.query)) {
      if (value !== undefined) url.searchParams.set(name, value);
    }
    if (this.settings.region !== undefined) url.searchParams.set('region', this.settings.region);
    if (this.settings.stale) url.searchParams.set('stale', '');
    return url;
  }

  private answer(path: string, text: string, headers: { get(name: string): string | null }): NomadAnswer {
    const rawIndex = headers.get('x-nomad-index');
    if (rawIndex === null || !/^\d+$/.test(rawIndex)) {
      throw new NomadError(
        'invalid',
        `Nomad's answer to ${path} has no valid X-Nomad-Index (${JSON.stringify(rawIndex)})`,
      );
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new NomadError(
        'invalid',
        `Nomad's answer to ${path} is not JSON (${JSON.stringify(text.slice(0, 60))})`,
      );
    }
    return { index: Number(rawIndex), nextToken: headers.get('x-nomad-nexttoken') ?? undefined, body };
  }

  private httpError(status: number, text: string, retryAfter: string | null): NomadError {
    const said = text.trim().split('\n')[0]?.slice(0, 200) ?? '';
    const seconds = retryAfter !== null && /^\d+$/.test(retryAfter) ? Number(retryAfter) : undefined;
    return new NomadError('http', `Nomad answered ${status}${said === '' ? '' : ` "${said}"`}`, {
      status,
      ...(seconds !== undefined && { retryAfterMs: seconds * 1000 }),
    });
  }
}

/**
 * Cuts a byte stream into lines (UTF-8, `\n`-terminated, a trailing `\r` dropped), keeping at most
 * `maxLength` characters of an unfinished line: a longer one is an `invalid` error, not a growing
 * buffer.
 */
class LineSplitter {
  private readonly decoder = new TextDecoder();
  private partial = '';

  constructor(
    private readonly maxLength: number,
    private readonly path: string,
  ) {}

  push(chunk: Uint8Array): string[] {
    const text = this.partial + this.decoder.decode(chunk, { stream: true });
    const lines = text.split('\n');
    this.partial = lines.pop() ?? '';
    if (this.partial.length > this.maxLength || lines.some((line) => line.length > this.maxLength)) {
      throw new NomadError(
        'invalid',
        `Nomad sent a line longer than ${this.maxLength} characters on ${this.path}`,
      );
    }
    return lines.map((line) => (line.endsWith('\r') ? line.slice(0, -1) : line));
  }
}

/**
 * The innermost reason of a failed fetch (`connect ECONNREFUSED 127.0.0.1:4646`, a certificate
 * verdict) rather than undici's `fetch failed`. Checked by shape, not `instanceof`: errors may come
 * from another realm. Happy-eyeballs failures are an AggregateError: its first error speaks.
 */
function describeNetworkError(error: unknown): string {
  let current = error as { message?: unknown; cause?: unknown; errors?: unknown } | undefined;
  for (let depth = 0; depth < 8 && current && typeof current === 'object'; depth += 1) {
    const inner =
      Array.isArray(current.errors) && current.errors.length > 0 ? current.errors[0] : current.cause;
    if (!inner || typeof inner !== 'object') break;
    current = inner as typeof current;
  }
  const message = current && typeof current === 'object' ? current.message : undefined;
  return typeof message === 'string' && message !== '' ? message : String(current);
}
