// The directories of the npm workspaces named in the root package.json (`dir/*` globs and
// plain paths), for the jest preset and the test runner.
const fs = require('node:fs');
const path = require('node:path');

const root = path.dirname(__dirname);

function workspaceDirs() {
  const { workspaces } = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
  return workspaces
    .flatMap((pattern) => {
      if (!pattern.endsWith('/*')) return [path.join(root, pattern)];
      const parent = path.join(root, pattern.slice(0, -2));
      if (!fs.existsSync(parent)) return [];
      return fs
        .readdirSync(parent, { withFileTypes: true })
        .filter((d) => d.isDirectory())
        .map((d) => path.join(parent, d.name));
    })
    .filter((dir) => fs.existsSync(path.join(dir, 'package.json')));
}

module.exports = { root, workspaceDirs };
