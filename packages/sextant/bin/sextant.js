#!/usr/bin/env node
'use strict';
// The `sextant` executable. Committed (not built) so that npm links it and marks it executable
// at install time, before a checkout's build has written dist/; it only hands over to the built
// CLI: dist/sextant.cjs, the CLI bundled into one file, which starts faster (scripts/bundle.js).
const fs = require('node:fs');
const path = require('node:path');

const cli = path.join(__dirname, '..', 'dist', 'sextant.cjs');
if (!fs.existsSync(cli)) {
  process.stderr.write(`sextant: ${cli} is not built yet; run \`npm run build\` in the repository first\n`);
  process.exit(1);
}
require(cli);
