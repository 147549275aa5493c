import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker, type ResourceLimits } from 'node:worker_threads';
import type { Problem } from '@sextant/core';
import type { FileReading } from './services-file-reader';
import type { ServiceSpec } from './services-file-schema';

/** What a worker starts from. */
export interface WorkerStart {
  /** ServicesFileReader.base() of the worker it replaces. */
  readonly base?: string;
}

export type WorkerRequest =
  | {
      readonly kind: 'read';
      readonly id: number;
      readonly file: string;
      readonly bytes: Uint8Array;
    }
  /** Asks for the reader's base, for a successor to start from: the worker is about to be stopped. */
  | { readonly kind: 'handover' };

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

/** What became of one read: the reading, or what the worker threw. */
export type ReadOutcome = { readonly reading: TransportedReading } | { readonly error: string };

export type ReadResponse = {
  readonly kind: 'read';
  readonly id: number;
  /** The size of the worker's heap after the read (what V8 holds, garbage included). */
  readonly heapBytes: number;
} & ReadOutcome;

export type WorkerResponse =
  | ReadResponse
  /** ServicesFileReader.base(); null before a first valid version. */
  | { readonly kind: 'handover'; readonly base: string | null };

/**
 * A worker whose heap holds more than this after a read, and which then has nothing to read for
 * RECYCLE_IDLE_MS, is replaced by a fresh one. Reading a file of 10,000 services leaves some
 * 80 MiB behind, which V8 keeps until the worker next collects its garbage: perhaps never, if the
 * file does not change again. A fresh worker holds about 10 MiB. One kept through a burst of edits
 * reads each faster than a fresh one (its heap has grown to the size a read needs).
 */
export const RECYCLE_HEAP_BYTES = 64 * 1024 * 1024;
export const RECYCLE_IDLE_MS = 2000;

/** The worker failed (ran out of memory, or a bug threw): the reading it was doing is lost. */
export class ReaderThreadError extends Error {
  override readonly name = 'ReaderThreadError';
}

export interface ReaderThreadOptions {
  /** Default RECYCLE_HEAP_BYTES. */
  readonly recycleHeapBytes?: number;
  /** Default RECYCLE_IDLE_MS. */
  readonly recycleIdleMs?: number;
  /** The worker's V8 limits; none by default (a services file may take a lot to read). */
  readonly resourceLimits?: ResourceLimits;
}

interface Job {
  readonly file: string;
  readonly bytes: Buffer;
  readonly resolve: (reading: FileReading) => void;
  readonly reject: (error: Error) => void;
}

/**
 * A ServicesFileReader in a worker thread, so that parsing and checking a large services file never
 * holds up the daemon's event loop. Reads are answered in the order asked, one at a time. A worker
 * left holding a large heap is replaced, once idle, by a fresh one that goes on from its digests.
 * A worker that dies (out of memory on a huge file) fails the read it had, and its successor
 * starts from nothing: its first reading is complete.
 */
export class ReaderThread {
  private worker: Worker | undefined;
  /** What the next worker starts from. */
  private base: string | undefined;
  private readonly queue: Job[] = [];
  /** The read the worker is doing, or `handover` while it is asked for its base. */
  private current: (Job & { readonly id: number }) | 'handover' | undefined;
  private recycleTimer: NodeJS.Timeout | undefined;
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

  /** Workers started so far (each replacement starts one). */
  get workersStarted(): number {
    return this.started;
  }

  /**
   * Goes on from `base` (ServicesFileReader.base() of a reader on another thread) with a fresh
   * worker, started now so that it is ready by the first read.
   */
  startFrom(base: string | undefined): void {
    if (this.closed) return;
    const worker = this.worker;
    this.worker = undefined;
    this.base = base;
    if (worker) void worker.terminate();
    const current = this.current;
    this.current = undefined;
    if (current && current !== 'handover')
      current.reject(new ReaderThreadError('the reader thread was replaced'));
    this.worker = this.spawn();
    this.next();
  }

  read(bytes: Buffer, file: string): Promise<FileReading> {
    if (this.closed) return Promise.reject(new ReaderThreadError('the reader thread was closed'));
    return new Promise((resolve, reject) => {
      this.queue.push({ file, bytes, resolve, reject });
      this.next();
    });
  }

  /** Stops the worker; reads not answered yet fail. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.recycleTimer);
    const worker = this.worker;
    this.worker = undefined;
    const error = new ReaderThreadError('the reader thread was closed');
    if (this.current !== 'handover') this.current?.reject(error);
    this.current = undefined;
    for (const job of this.queue.splice(0)) job.reject(error);
    await worker?.terminate();
  }

  private next(): void {
    if (this.current || this.closed) return;
    const job = this.queue.shift();
    if (!job) return;
    clearTimeout(this.recycleTimer);
    this.nextId += 1;
    this.current = { ...job, id: this.nextId };
    this.send({ kind: 'read', id: this.nextId, file: job.file, bytes: job.bytes });
  }

  private send(request: WorkerRequest): void {
    this.worker ??= this.spawn();
    this.worker.postMessage(request);
  }

  private spawn(): Worker {
    const start: WorkerStart = this.base === undefined ? {} : { base: this.base };
    const { resourceLimits } = this.options;
    const worker = new Worker(this.script, { workerData: start, ...(resourceLimits && { resourceLimits }) });
    this.started += 1;
    // Never what keeps the process alive: the adapter closes it when it stops.
    worker.unref();
    worker.on('message', (response: WorkerResponse) => this.answer(worker, response));
    worker.on('error', (error) => this.lose(worker, error));
    worker.on('exit', (code) =>
      this.lose(worker, new ReaderThreadError(`the reader thread exited (${code})`)),
    );
    return worker;
  }

  private answer(worker: Worker, response: WorkerResponse): void {
    const current = this.current;
    if (worker !== this.worker || !current) return;
    this.current = undefined;
    if (response.kind === 'handover') {
      this.replace(worker, response.base ?? undefined);
    } else if (current !== 'handover' && current.id === response.id) {
      if ('error' in response) current.reject(new ReaderThreadError(response.error));
      else current.resolve(received(response.reading));
      if (response.heapBytes > (this.options.recycleHeapBytes ?? RECYCLE_HEAP_BYTES)) this.recycleWhenIdle();
    }
    this.next();
  }

  private recycleWhenIdle(): void {
    clearTimeout(this.recycleTimer);
    this.recycleTimer = setTimeout(() => {
      if (this.current || this.closed || !this.worker) return;
      this.current = 'handover';
      this.send({ kind: 'handover' });
    }, this.options.recycleIdleMs ?? RECYCLE_IDLE_MS);
    this.recycleTimer.unref();
  }

  /** Stops `worker` and starts its successor at once, so that it is ready by the next read. */
  private replace(worker: Worker, base: string | undefined): void {
    this.base = base;
    this.worker = undefined;
    void worker.terminate();
    if (!this.closed) this.worker = this.spawn();
  }

  private lose(worker: Worker, error: Error): void {
    if (this.worker !== worker) return;
    this.worker = undefined;
    // What it read since its base is lost with it: its successor starts from nothing.
    this.base = undefined;
    void worker.terminate();
    const current = this.current;
    this.current = undefined;
    if (current && current !== 'handover') {
      current.reject(error instanceof ReaderThreadError ? error : new ReaderThreadError(error.message));
    }
    this.next();
  }
}

function received(reading: TransportedReading): FileReading {
  if (!reading.valid) return reading;
  return {
    valid: true,
    complete: reading.complete,
    // Checked by the worker.
    changed: JSON.parse(reading.changedJson) as ServiceSpec[],
    changedJson: [],
    removed: reading.removed,
    total: reading.total,
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
