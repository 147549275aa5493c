import type { AdapterState, FileSizeLimit, Validation } from '@sextant/core';
import { readObservation, type FileObservation } from './file-watcher';
import { parseServicesFile } from './parse-services-file';

/** Reads and parses a services file once, as `sextant validate` does. */
export async function readServicesFile(
  file: string,
  sizeLimit: FileSizeLimit,
): Promise<Validation<AdapterState>> {
  return interpretServicesFile(file, await readObservation(file, sizeLimit));
}

/** What a read of the services file means: the state to report, or why it cannot be used. */
export function interpretServicesFile(file: string, observation: FileObservation): Validation<AdapterState> {
  if (observation.kind === 'content') return parseServicesFile(observation.bytes.toString('utf8'), file);
  return { valid: false, problems: [{ file, path: '', message: `the file ${observation.reason}` }] };
}
