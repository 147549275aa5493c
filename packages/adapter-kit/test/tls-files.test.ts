import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readTlsFiles, TlsFileError } from '../src';

describe('readTlsFiles', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'sextant-kit-tls-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reads the files given and passes the server name on', async () => {
    writeFileSync(join(dir, 'ca.pem'), 'CA PEM');
    writeFileSync(join(dir, 'cert.pem'), 'CERT PEM');
    writeFileSync(join(dir, 'key.pem'), 'KEY PEM');
    const material = await readTlsFiles({
      ca: join(dir, 'ca.pem'),
      cert: join(dir, 'cert.pem'),
      key: join(dir, 'key.pem'),
      serverName: 'server.dc1.consul',
    });
    expect({
      ...material,
      ca: material.ca?.toString(),
      cert: material.cert?.toString(),
      key: material.key?.toString(),
    }).toEqual({
      ca: 'CA PEM',
      cert: 'CERT PEM',
      key: 'KEY PEM',
      serverName: 'server.dc1.consul',
    });
  });

  it('leaves out what the settings do not name', async () => {
    writeFileSync(join(dir, 'ca.pem'), 'CA PEM');
    expect(Object.keys(await readTlsFiles({ ca: join(dir, 'ca.pem') }))).toEqual(['ca']);
    expect(await readTlsFiles({})).toEqual({});
    expect(await readTlsFiles({ serverName: '' })).toEqual({});
  });

  it('rejects naming the option and the file it cannot read, with the cause', async () => {
    const file = join(dir, 'missing.pem');
    const error = await readTlsFiles({ cert: join(dir, 'missing-cert.pem'), key: file }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(TlsFileError);
    const failure = error as TlsFileError;
    expect([failure.option, failure.file, failure.reason, failure.message]).toEqual([
      'tls.cert',
      join(dir, 'missing-cert.pem'),
      `cannot read ${join(dir, 'missing-cert.pem')}: ENOENT`,
      `tls.cert: cannot read ${join(dir, 'missing-cert.pem')}: ENOENT`,
    ]);
    expect((failure.cause as NodeJS.ErrnoException).code).toBe('ENOENT');
    await expect(readTlsFiles({ key: file })).rejects.toThrow(`tls.key: cannot read ${file}: ENOENT`);
  });
});
