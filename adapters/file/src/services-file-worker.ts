/**
 * The entry of the worker thread that reads the services file (see reader-thread.ts): parsing and
 * checking a large file takes hundreds of milliseconds, which the daemon's event loop must not wait.
 */
import { getHeapStatistics } from 'node:v8';
import { parentPort, workerData } from 'node:worker_threads';
import type { ReadOutcome, WorkerRequest, WorkerResponse, WorkerStart } from './reader-thread';
import { ServicesFileReader } from './services-file-reader';

if (parentPort) {
  const port = parentPort;
  const reader = new ServicesFileReader({ base: (workerData as WorkerStart | undefined)?.base, json: true });
  port.on('message', (request: WorkerRequest) => {
    let response: WorkerResponse;
    if (request.kind === 'handover') {
      response = { kind: 'handover', base: reader.base() ?? null };
    } else {
      const outcome = read(reader, request);
      response = { kind: 'read', id: request.id, heapBytes: getHeapStatistics().total_heap_size, ...outcome };
    }
    port.postMessage(response);
  });
}

function read(
  reader: ServicesFileReader,
  { file, bytes }: Extract<WorkerRequest, { kind: 'read' }>,
): ReadOutcome {
  try {
    const reading = reader.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), file);
    if (!reading.valid) return { reading };
    return {
      reading: {
        valid: true,
        complete: reading.complete,
        // One string: it crosses to the main thread as a copy of its bytes, and JSON.parse is the
        // fastest way there is to make objects of it.
        changedJson: `[${reading.changedJson.join(',')}]`,
        removed: reading.removed,
        total: reading.total,
      },
    };
  } catch (error) {
    return { error: (error as Error)?.message ?? String(error) };
  }
}
