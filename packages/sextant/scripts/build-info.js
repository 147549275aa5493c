'use strict';
/**
 * Part of `npm run build`: records the git commit being built in dist/build-info.json, for
 * /debug/version and sextant_build_info. SEXTANT_COMMIT overrides it (builds from a tarball);
 * without git or the variable the commit is `unknown`.
 */
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

function commit() {
  if (process.env.SEXTANT_COMMIT) return process.env.SEXTANT_COMMIT;
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], {
      cwd: __dirname,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return 'unknown';
  }
}

const dist = path.resolve(__dirname, '..', 'dist');
fs.mkdirSync(dist, { recursive: true });
fs.writeFileSync(path.join(dist, 'build-info.json'), `${JSON.stringify({ commit: commit() })}\n`);
