/**
 * The entry of the worker thread that reads the services file (see reader-thread.ts): parsing and
 * checking a large file takes hundreds of milliseconds, which the daemon's event loop must not wait.
 */
import { parentPort } from 'node:worker_threads';
import type { ReadRequest, ReadResponse } from './reader-thread';
import { ServicesFileReader } from './services-file-reader';

if (parentPort) {
  const port = parentPort;
  port.on('message', (request: ReadRequest) => port.postMessage(read(request)));
}

function read({ id, file, bytes, base }: ReadRequest): ReadResponse {
  try {
    const reader = new ServicesFileReader({ base, json: true });
    const reading = reader.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), file);
    if (!reading.valid) return { id, reading };
    return {
      id,
      reading: {
        valid: true,
        complete: reading.complete,
        // One string: it crosses to the main thread as a copy of its bytes, and JSON.parse is the
        // fastest way there is to make objects of it.
        changedJson: `[${reading.changedJson.join(',')}]`,
        removed: reading.removed,
        total: reading.total,
      },
      base: reader.base(),
    };
  } catch (error) {
    return { id, error: (error as Error)?.message ?? String(error) };
  }
}
