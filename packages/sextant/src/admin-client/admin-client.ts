/** The admin endpoint answered with something other than what was asked for, or not at all. */
export class AdminRequestError extends Error {
  override readonly name = 'AdminRequestError';
}

export interface AdminGetOptions {
  readonly timeoutMs?: number;
  /** Bodies larger than this are refused rather than held in memory. */
  readonly maxBytes?: number;
}

const DEFAULT_TIMEOUT_MS = 10_000;
/** The config of one proxy in a large mesh runs to megabytes; 64 MiB leaves room and still bounds memory. */
const DEFAULT_MAX_BYTES = 64 * 1024 * 1024;

/**
 * GETs `path` from the admin listener at `base` and parses the JSON it returns. Every failure
 * (unreachable, timeout, an error status, a body too large or not JSON) is an AdminRequestError
 * naming the URL; an error status carries the message the daemon sent.
 */
export async function adminGet(base: URL, path: string, options: AdminGetOptions = {}): Promise<unknown> {
  const url = new URL(path, base);
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  let response: Response;
  try {
    response = await fetch(url, {
      signal: AbortSignal.timeout(timeoutMs),
      redirect: 'error',
      headers: { accept: 'application/json' },
    });
  } catch (error) {
    const cause =
      (error as Error).name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : reason(error);
    throw new AdminRequestError(`${url.href}: ${cause} (is sextant running? --admin sets where)`);
  }
  const body = await readBounded(response, url, options.maxBytes ?? DEFAULT_MAX_BYTES);
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    if (!response.ok) throw new AdminRequestError(`${url.href}: HTTP ${response.status}: ${firstLine(body)}`);
    throw new AdminRequestError(
      `${url.href}: HTTP ${response.status}, not JSON (is this sextant's admin listener?)`,
    );
  }
  if (!response.ok) {
    const message = (json as { message?: unknown } | null)?.message;
    throw new AdminRequestError(
      `${url.href}: HTTP ${response.status}${typeof message === 'string' ? `: ${firstLine(message)}` : ''}`,
    );
  }
  return json;
}

/** An error text as one safe line: the daemon's messages can quote what a client sent. */
function firstLine(text: string): string {
  // eslint-disable-next-line no-control-regex
  const line = (text.split('\n')[0] ?? '').replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
  return line.length > 500 ? `${line.slice(0, 499)}…` : line;
}

function reason(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error as Error).message;
}

async function readBounded(response: Response, url: URL, maxBytes: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  if (!response.body) return '';
  const reader = response.body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > maxBytes) {
        await reader.cancel().catch(() => undefined);
        throw new AdminRequestError(`${url.href}: the answer is over ${maxBytes} bytes; refused`);
      }
      chunks.push(Buffer.from(value));
    }
  } catch (error) {
    if (error instanceof AdminRequestError) throw error;
    throw new AdminRequestError(`${url.href}: the answer broke off: ${reason(error)}`);
  } finally {
    reader.releaseLock();
  }
  return Buffer.concat(chunks).toString('utf8');
}
