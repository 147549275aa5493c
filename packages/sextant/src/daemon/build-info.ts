import type { BuildInfo } from '@sextant/server';

/**
 * This build: the CLI package's version, and the git commit `npm run build` recorded in
 * dist/build-info.json (scripts/build-info.js); `unknown` when it could not (no git at build time).
 */
export function buildInfo(): BuildInfo {
  // Outside rootDir: read at run time rather than imported.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { version } = require('../../package.json') as { version: string };
  let commit = 'unknown';
  try {
    // Written by the build beside the compiled files; a literal require, so bundling takes it along.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const recorded = require('../build-info.json') as { commit?: unknown };
    if (typeof recorded.commit === 'string' && /^[0-9a-f]{7,40}$/.test(recorded.commit))
      commit = recorded.commit;
  } catch {
    // Not built by the build script (tests run the sources).
  }
  return { version, commit };
}
