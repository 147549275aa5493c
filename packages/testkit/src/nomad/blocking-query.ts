import type { ServerResponse } from 'node:http';
import type { SeededRandom } from './random';

/** Nomad's default and maximum blocking time (`nomad/rpc.go`): longer requests are clamped. */
export const NOMAD_MAX_WAIT_MS = 5 * 60_000;

export interface BlockingRequest {
  /** `?index=`: 0 (or absent) answers at once. */
  readonly minIndex: number;
  /** `?wait=` in ms, when given. */
  readonly waitMs: number | undefined;
}

export interface BlockingQuery {
  /** The table index now. */
  currentIndex(): number;
  /** Subscribes to what the query reads (the whole table, or one service); returns the cancel. */
  watch(wake: () => void): () => void;
  /** Writes the answer as the state is when called. */
  answer(): void;
}

export interface BlockingSettings {
  readonly maxWaitMs: number;
  /** Adds Nomad's random stagger of up to wait/16. */
  readonly jitter: boolean;
  readonly random: SeededRandom;
  /** Called when a query parks and when it stops waiting, so tests can wait for watchers to re-arm. */
  readonly onPark: (delta: 1 | -1) => void;
}

/**
 * Nomad's blocking query (`blockingRPC`): without an index, answer now. With one, answer now if
 * the table index is already past it; otherwise hold the request until what the query reads
 * changes and the index has moved past it, or until the wait (clamped to the maximum, plus jitter)
 * runs out, then answer with the state and index of that moment, which may be the same index or a
 * lower one (a client ahead of the server waits the full time). A client that disconnects while
 * held releases its timer and its watch at once.
 */
export function runBlockingQuery(
  request: BlockingRequest,
  query: BlockingQuery,
  settings: BlockingSettings,
  res: ServerResponse,
): void {
  if (request.minIndex === 0 || query.currentIndex() > request.minIndex) {
    query.answer();
    return;
  }
  const requested = request.waitMs ?? settings.maxWaitMs;
  const wait = requested <= 0 || requested > settings.maxWaitMs ? settings.maxWaitMs : requested;
  const stagger = settings.jitter ? settings.random.next() * (wait / 16) : 0;
  let done = false;
  const release = (): void => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    cancelWatch();
    res.off('close', release);
    settings.onPark(-1);
  };
  const finish = (): void => {
    if (done) return;
    release();
    query.answer();
  };
  const cancelWatch = query.watch(() => {
    if (query.currentIndex() > request.minIndex) finish();
  });
  const timer = setTimeout(finish, wait + stagger);
  settings.onPark(1);
  // The response's `close` fires when the client goes away (the request's fires once it is read).
  res.on('close', release);
}
