import fs from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { startDaemon, tempDir, untilReady } from './daemon-process';

/* eslint-disable @typescript-eslint/no-require-imports -- a build script, CommonJS */
const { LOADED_ON_USE } = require('../scripts/bundle.js') as { LOADED_ON_USE: readonly string[] };
/* eslint-enable @typescript-eslint/no-require-imports */

/**
 * The `sextant` executable runs dist/sextant.cjs, the CLI bundled by scripts/bundle.js (the
 * end-to-end tests all run it). What the bundle must keep doing beyond running them: leaving the
 * libraries used on demand out of start-up, and shipping the services file reader's worker.
 */
describe('the bundled CLI', () => {
  it('leaves each library loaded on use out, to be required at run time', () => {
    const bundle = fs.readFileSync(path.join(__dirname, '..', 'dist', 'sextant.cjs'), 'utf8');
    // A library of the CLI's own is required plainly; one of another Sextant package, from that
    // package's directory (`createRequire(owner)`).
    const required = (name: string) =>
      bundle.includes(`require(${JSON.stringify(name)})`) ||
      bundle.includes(`createRequire(owner)(${JSON.stringify(name)})`);
    expect(LOADED_ON_USE.filter((name) => !required(name))).toEqual([]);
  });

  it('starts a daemon without requiring any library it loads on use', async () => {
    const dir = tempDir();
    // Node's module loader is what the bundle goes through for what it left out.
    const hook = path.join(dir, 'record-requires.js');
    fs.writeFileSync(
      hook,
      `const Module = require('node:module');
const load = Module._load;
const seen = new Set();
Module._load = function (request, ...rest) { seen.add(request); return load.call(this, request, ...rest); };
process.on('exit', () => process.stderr.write('REQUIRED ' + JSON.stringify([...seen]) + '\\n'));
`,
    );
    fs.writeFileSync(
      path.join(dir, 'services.json'),
      JSON.stringify({
        services: [
          {
            hostname: 'a.example.internal',
            ports: [{ name: 'http', port: 80 }],
            instances: [{ address: '10.0.0.1' }],
          },
        ],
      }),
    );
    const daemon = await startDaemon(
      dir,
      'listen: { discovery: "${DISCOVERY}", admin: "${ADMIN}", xds: "${XDS}" }\nadapters: [{ type: file, path: services.json }]\n',
      [],
      { nodeOptions: [`--require=${hook}`] },
    );
    await untilReady(daemon, 30_000);
    expect((await daemon.terminate()).code).toBe(0);
    const line = /^REQUIRED (.*)$/m.exec(daemon.output())?.[1];
    expect(line).toBeDefined();
    const required = JSON.parse(line ?? '[]') as string[];
    expect(LOADED_ON_USE.filter((name) => required.includes(name))).toEqual([]);
  }, 60_000);

  it('ships the services file reader worker beside the bundle, and it reads a file', async () => {
    const script = path.join(__dirname, '..', 'dist', 'services-file-worker.js');
    const worker = new Worker(script);
    try {
      const text = JSON.stringify({
        services: [{ hostname: 'b.example.internal', ports: [{ name: 'http', port: 80 }], instances: [] }],
      });
      const answer = new Promise<unknown>((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
      });
      worker.postMessage({ id: 7, file: 'services.json', bytes: Buffer.from(text), base: undefined });
      expect(await answer).toMatchObject({
        id: 7,
        reading: { valid: true, complete: true, total: 1, removed: [] },
      });
    } finally {
      await worker.terminate();
    }
  });
});
