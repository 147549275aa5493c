import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker, type ResourceLimits } from 'node:worker_threads';
import type { Problem } from '@sextant/core';
import type { FileReading } from './services-file-reader';
import type { ServiceSpec } from './services-file-schema';
import { toServiceReport } from './to-adapter-state';

/** A version of the services file for the worker to read, next to the last valid one. */
export interface ReadRequest {
  readonly id: number;
  readonly file: string;
  readonly bytes: Uint8Array;
  /** ServicesFileReader.base() of the reader that read the last valid version. */
  readonly base: string | undefined;
}

/** A FileReading as it crosses from the worker: the changed services as one JSON text. */
export type TransportedReading =
  | { readonly valid: false; readonly problems: Problem[] }
  | {
      readonly valid: true;
      readonly complete: boolean;
      readonly changedJson: string;
      readonly removed: readonly string[];
      readonly total: number;
    };

export type ReadResponse =
  | {
      readonly id: number;
      readonly reading: TransportedReading;
      /** After a valid version: the reader's base, to go on from. */
      readonly base?: string;
    }
  | { readonly id: number; readonly error: string };

/** A reading from the worker, and the base to go on from if it is valid. */
export interface ThreadReading {
  readonly reading: FileReading;
  readonly base: string | undefined;
}

/**
 * A worker with nothing to read for this long stops: one costs some 20 MiB while it lives, more
 * after reading a large file, until it next collects its garbage. A read that finds none waits for
 * one to start (some 150 ms).
 */
export const IDLE_MS = 5000;

export interface ReaderThreadOptions {
  /** Default IDLE_MS. */
  readonly idleMs?: number;
  /** The worker's V8 limits; none by default (a services file may take a lot to read). */
  readonly resourceLimits?: ResourceLimits;
}

/** The worker failed (ran out of memory, or a bug threw): the reading it was doing is lost. */
export class ReaderThreadError extends Error {
  override readonly name = 'ReaderThreadError';
}

interface Job {
  readonly request: Omit<ReadRequest, 'id'>;
  readonly resolve: (reading: ThreadReading) => void;
  readonly reject: (error: Error) => void;
}

/**
 * Reads services files in a worker thread, so that parsing and checking a large one never holds up
 * the daemon's event loop. Each read carries the base it compares with and answers the base to go
 * on from, so a worker keeps nothing between reads: it is started when there is reading to do and
 * stopped when it has had none for `idleMs`, or when it dies (out of memory on a huge file, failing
 * the read it had). Reads are answered in the order asked, one at a time.
 */
export class ReaderThread {
  private worker: Worker | undefined;
  private readonly queue: Job[] = [];
  private current: (Job & { readonly id: number }) | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  private nextId = 0;
  private closed = false;
  private started = 0;

  private constructor(
    private readonly script: string,
    private readonly options: ReaderThreadOptions,
  ) {}

  /** A reader thread, or undefined where the worker's script is not on disk (a bundled build). */
  static create(options: ReaderThreadOptions = {}): ReaderThread | undefined {
    const script = workerScript();
    return script === undefined ? undefined : new ReaderThread(script, options);
  }

  /** Workers started so far. */
  get workersStarted(): number {
    return this.started;
  }

  /** Whether a worker is running now. */
  get running(): boolean {
    return this.worker !== undefined;
  }

  read(bytes: Buffer, file: string, base: string | undefined): Promise<ThreadReading> {
    if (this.closed) return Promise.reject(new ReaderThreadError('the reader thread was closed'));
    return new Promise((resolve, reject) => {
      this.queue.push({ request: { file, bytes, base }, resolve, reject });
      this.next();
    });
  }

  /** Stops the worker; reads not answered yet fail. */
  async close(): Promise<void> {
    this.closed = true;
    const error = new ReaderThreadError('the reader thread was closed');
    const worker = this.stop(error);
    for (const job of this.queue.splice(0)) job.reject(error);
    await worker?.terminate();
  }

  private next(): void {
    if (this.current || this.closed) return;
    const job = this.queue.shift();
    if (!job) return;
    clearTimeout(this.idleTimer);
    this.nextId += 1;
    this.current = { ...job, id: this.nextId };
    this.worker ??= this.spawn();
    this.worker.postMessage({ ...job.request, id: this.nextId } satisfies ReadRequest);
  }

  private spawn(): Worker {
    const { resourceLimits } = this.options;
    const worker = new Worker(this.script, resourceLimits && { resourceLimits });
    this.started += 1;
    // Never what keeps the process alive: the adapter closes it when it stops.
    worker.unref();
    worker.on('message', (response: ReadResponse) => this.answer(worker, response));
    worker.on('error', (error) => this.lose(worker, error));
    worker.on('exit', (code) =>
      this.lose(worker, new ReaderThreadError(`the reader thread exited (${code})`)),
    );
    return worker;
  }

  private answer(worker: Worker, response: ReadResponse): void {
    const job = this.current;
    if (worker !== this.worker || !job || job.id !== response.id) return;
    this.current = undefined;
    if ('error' in response) job.reject(new ReaderThreadError(response.error));
    else job.resolve(received(response));
    this.stopWhenIdle();
    this.next();
  }

  private stopWhenIdle(): void {
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      if (!this.current && this.queue.length === 0) this.stop(new ReaderThreadError('stopped'));
    }, this.options.idleMs ?? IDLE_MS);
    this.idleTimer.unref();
  }

  /** Stops the worker at once, failing the read it had; returns it (terminating). */
  private stop(error: ReaderThreadError): Worker | undefined {
    clearTimeout(this.idleTimer);
    const worker = this.worker;
    this.worker = undefined;
    const job = this.current;
    this.current = undefined;
    job?.reject(error);
    if (worker) void worker.terminate();
    return worker;
  }

  private lose(worker: Worker, error: Error): void {
    if (this.worker !== worker) return;
    this.stop(error instanceof ReaderThreadError ? error : new ReaderThreadError(error.message));
    this.next();
  }
}

function received(response: Extract<ReadResponse, { reading: unknown }>): ThreadReading {
  const { reading } = response;
  if (!reading.valid) return { reading, base: undefined };
  return {
    reading: {
      valid: true,
      complete: reading.complete,
      // Checked by the worker.
      changed: (JSON.parse(reading.changedJson) as ServiceSpec[]).map(toServiceReport),
      changedJson: [],
      removed: reading.removed,
      total: reading.total,
    },
    base: response.base,
  };
}

/**
 * The worker's compiled script: next to this file once built; from the sources (under jest), the
 * built one. Undefined when there is none, as in a single-file bundle.
 */
function workerScript(): string | undefined {
  const candidates = [
    join(__dirname, 'services-file-worker.js'),
    join(__dirname, '..', 'dist', 'services-file-worker.js'),
  ];
  return candidates.find((candidate) => existsSync(candidate));
}
