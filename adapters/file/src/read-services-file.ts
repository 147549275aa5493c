import type { AdapterState, FileSizeLimit, Validation } from '@sextant/core';
import { readObservation } from './file-watcher';
import { parseServicesFile } from './parse-services-file';

/** Reads and parses a services file once, as `sextant validate` does. */
export async function readServicesFile(
  file: string,
  sizeLimit: FileSizeLimit,
): Promise<Validation<AdapterState>> {
  const observation = await readObservation(file, sizeLimit);
  if (observation.kind === 'content') return parseServicesFile(observation.bytes.toString('utf8'), file);
  return { valid: false, problems: [{ file, path: '', message: `the file ${observation.reason}` }] };
}
