import type { AdapterState, Problem, Validation } from '@sextant/core';
import { readObservation, type FileObservation } from './file-watcher';
import { parseServicesFile } from './parse-services-file';

/** Reads and parses a services file once, as `sextant validate` does. */
export async function readServicesFile(file: string): Promise<Validation<AdapterState>> {
  return interpretServicesFile(file, await readObservation(file));
}

/** What a read of the services file means: the state to report, or why it cannot be used. */
export function interpretServicesFile(file: string, observation: FileObservation): Validation<AdapterState> {
  if (observation.kind === 'content') return parseServicesFile(observation.bytes.toString('utf8'), file);
  return { valid: false, problems: [unreadableProblem(file, observation.error)] };
}

/** Why `file` could not be read, in words an operator acts on. */
function unreadableProblem(file: string, error: NodeJS.ErrnoException): Problem {
  return { file, path: '', message: `cannot read the file: ${reason(error)}` };
}

function reason(error: NodeJS.ErrnoException): string {
  switch (error.code) {
    case 'ENOENT':
      return 'it does not exist';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'it is a directory';
    default:
      return error.message;
  }
}
