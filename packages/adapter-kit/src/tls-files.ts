import { readFile } from 'node:fs/promises';
import type { TlsSetting } from './tls-options';

/** The contents of the TLS files, for `tls.connect` (and the HTTP clients built on it). */
export interface TlsMaterial {
  readonly ca?: Buffer;
  readonly cert?: Buffer;
  readonly key?: Buffer;
  readonly serverName?: string;
}

/** A file of the `tls` option that cannot be read. */
export class TlsFileError extends Error {
  override readonly name = 'TlsFileError';

  constructor(
    /** The option naming the file: `tls.ca`, `tls.cert` or `tls.key`. */
    readonly option: string,
    readonly file: string,
    /** Why, as a clause: `cannot read /etc/pki/ca.pem: ENOENT`. */
    readonly reason: string,
    options?: ErrorOptions,
  ) {
    super(`${option}: ${reason}`, options);
  }
}

/**
 * Reads the files of resolved TLS settings. It is read when the adapter starts (not when its
 * options are checked) and the adapter retries while a file is missing: a secret is often mounted
 * after the process starts. Rejects with a TlsFileError naming the first option it cannot read.
 */
export async function readTlsFiles(tls: TlsSetting): Promise<TlsMaterial> {
  const read = async (field: 'ca' | 'cert' | 'key'): Promise<Buffer | undefined> => {
    const file = tls[field];
    if (file === undefined) return undefined;
    try {
      return await readFile(file);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
      throw new TlsFileError(`tls.${field}`, file, `cannot read ${file}: ${code}`, { cause: error });
    }
  };
  const [ca, cert, key] = await Promise.all([read('ca'), read('cert'), read('key')]);
  return {
    ...(ca !== undefined && { ca }),
    ...(cert !== undefined && { cert }),
    ...(key !== undefined && { key }),
    ...(tls.serverName !== undefined && tls.serverName !== '' && { serverName: tls.serverName }),
  };
}
