// `npm run test:binary`: builds the single-file executable (`npm run package`), copies it alone into
// an empty directory, and runs the CLI's end-to-end tests against that copy (SEXTANT_BINARY), all but
// the npm install test, which does not involve the binary.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { root } = require('./workspace-dirs.cjs');

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', ...options });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

run('npm', ['run', 'package']);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sextant-binary-'));
try {
  const binary = path.join(dir, 'sextant');
  fs.copyFileSync(path.join(root, 'dist', 'sextant'), binary);
  fs.chmodSync(binary, 0o755);
  const args = ['jest', '--testPathIgnorePatterns', '/install\\.e2e\\.test\\.ts$'];
  const jest = spawnSync('npx', args, {
    cwd: path.join(root, 'packages', 'sextant'),
    stdio: 'inherit',
    env: { ...process.env, SEXTANT_BINARY: binary },
  });
  process.exitCode = jest.status ?? 1;
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
