import { readFile } from 'node:fs/promises';
import type { TlsSetting } from './settings';

export interface TlsMaterial {
  readonly ca?: Buffer;
  readonly cert?: Buffer;
  readonly key?: Buffer;
  readonly serverName?: string;
}

/** A PEM file of the `tls` option that cannot be read. */
export class TlsFileError extends Error {
  override readonly name = 'TlsFileError';
  constructor(
    /** `tls.ca`, `tls.cert` or `tls.key`. */
    readonly option: string,
    readonly reason: string,
  ) {
    super(`${option}: ${reason}`);
  }
}

/** Reads the PEM files of the `tls` option; rejects naming the option and file that cannot be read. */
export async function loadTlsMaterial(tls: TlsSetting | undefined): Promise<TlsMaterial | undefined> {
  if (!tls) return undefined;
  const read = async (option: string, file: string | undefined) => {
    if (file === undefined) return undefined;
    try {
      return await readFile(file);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new TlsFileError(`tls.${option}`, `cannot read ${file}: ${code ?? (error as Error).message}`);
    }
  };
  const [ca, cert, key] = await Promise.all([
    read('ca', tls.ca),
    read('cert', tls.cert),
    read('key', tls.key),
  ]);
  return {
    ...(ca && { ca }),
    ...(cert && { cert }),
    ...(key && { key }),
    ...(tls.serverName && { serverName: tls.serverName }),
  };
}
