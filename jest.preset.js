// Shared jest settings for every workspace package. Tests import sibling
// packages by name; the mapper points those names at their TypeScript sources,
// so a test never runs against a stale build of another package.
const fs = require('node:fs');
const path = require('node:path');
const { workspaceDirs } = require('./scripts/workspace-dirs.cjs');

function sourceMapper() {
  const mapper = {};
  for (const dir of workspaceDirs()) {
    const { name } = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
    if (!fs.existsSync(path.join(dir, 'src', 'index.ts'))) continue;
    const escaped = name.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    mapper[`^${escaped}$`] = path.join(dir, 'src', 'index.ts');
    mapper[`^${escaped}/(.*)$`] = path.join(dir, 'src', '$1');
  }
  return mapper;
}

module.exports = {
  testEnvironment: 'node',
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  moduleFileExtensions: ['ts', 'js', 'json'],
  moduleNameMapper: sourceMapper(),
  transform: {
    '^.+\\.(t|j)s$': [
      '@swc/jest',
      {
        jsc: {
          parser: { syntax: 'typescript', decorators: true },
          transform: { legacyDecorator: true, decoratorMetadata: true },
          target: 'es2022',
        },
        module: { type: 'commonjs' },
      },
    ],
  },
  // client-node 1.x and its auth helpers are ESM-only; let swc turn them into CommonJS.
  transformIgnorePatterns: ['/node_modules/(?!(@kubernetes/client-node|openid-client|oauth4webapi|jose)/)'],
  testTimeout: 20000,
};
