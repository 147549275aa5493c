// `npm test`: runs every package's tests through turbo (build first, cached),
// then prints the project's totals as one line: `N passed, N failed`.
// Each package's jest writes .jest-results.json; turbo restores that file on a
// cache hit, so the totals are right whether a package ran or was replayed.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { root, workspaceDirs } = require('./workspace-dirs.cjs');

function testablePackages() {
  return workspaceDirs().filter((dir) => {
    const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
    return Boolean(pkg.scripts?.test);
  });
}

const dirs = testablePackages();
for (const dir of dirs) fs.rmSync(path.join(dir, '.jest-results.json'), { force: true });

const extra = process.argv.slice(2);
const turbo = spawnSync('npx', ['turbo', 'run', 'test', '--continue', ...extra], {
  cwd: root,
  stdio: 'inherit',
  env: { TURBO_TELEMETRY_DISABLED: '1', ...process.env },
});

let passed = 0;
let failed = 0;
const missing = [];
for (const dir of dirs) {
  const file = path.join(dir, '.jest-results.json');
  if (!fs.existsSync(file)) {
    missing.push(path.relative(root, dir));
    continue;
  }
  const result = JSON.parse(fs.readFileSync(file, 'utf8'));
  passed += result.numPassedTests;
  failed += result.numFailedTests;
  // A suite that fails to load has no tests to count; count it as one failure.
  failed += result.testResults.filter((s) => s.status === 'failed' && s.assertionResults.length === 0).length;
}
if (missing.length > 0) {
  console.log(`\nno test results from: ${missing.join(', ')}`);
  failed += missing.length;
}
console.log(`\n${passed} passed, ${failed} failed`);
process.exit(turbo.status === 0 && failed === 0 ? 0 : 1);
