import { readFile } from 'node:fs/promises';
import type { TlsSetting } from '../settings';
import { NomadError } from './nomad-error';

/** PEM contents for the TLS connector. */
export interface TlsMaterial {
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: string;
  readonly servername?: string;
}

/** Reads the certificate files named in the settings; a file that cannot be read is a `local` error naming it. */
export async function readTlsMaterial(tls: TlsSetting): Promise<TlsMaterial> {
  const read = async (field: 'ca' | 'cert' | 'key'): Promise<string | undefined> => {
    const file = tls[field];
    if (file === undefined) return undefined;
    try {
      return await readFile(file, 'utf8');
    } catch (error) {
      throw new NomadError('local', `cannot read tls.${field} ${file}: ${(error as Error).message}`, {
        cause: error,
      });
    }
  };
  const [ca, cert, key] = await Promise.all([read('ca'), read('cert'), read('key')]);
  return {
    ...(ca !== undefined && { ca }),
    ...(cert !== undefined && { cert }),
    ...(key !== undefined && { key }),
    ...(tls.serverName !== undefined && { servername: tls.serverName }),
  };
}
