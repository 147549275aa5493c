'use strict';
/**
 * `npm run package`: the single-file executable `<repository>/dist/sextant` (a Node single executable
 * application), for the platform of the Node that runs this script (Linux; CI builds it for x64).
 * Expects the packages built (the root script runs turbo first). Steps:
 * 1. esbuild bundles the built CLI and everything it requires into one CommonJS file (bundle.js,
 *    self-contained): inside the binary only Node's built-in modules resolve. The files Sextant reads at run time come along:
 *    Envoy's v3 descriptor and package.json (--version) through literal requires, the quickstart as
 *    SEA assets (src/quickstart.ts unpacks them).
 * 2. Node writes the bundle and the assets into a blob (`--experimental-sea-config`).
 * 3. postject injects the blob into a copy of this Node's executable.
 */
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { inject } = require('postject');
const { bundleCli } = require('./bundle');

const PACKAGE_DIR = path.resolve(__dirname, '..');
const OUTPUT = path.resolve(PACKAGE_DIR, '..', '..', 'dist', 'sextant');
/** The fuse Node looks for to know it carries a blob (Node's documentation of single executables). */
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

async function main() {
  if (process.platform !== 'linux') {
    throw new Error(`builds a Linux executable from the running Node; this is ${process.platform}`);
  }
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'sextant-package-'));
  try {
    const bundle = path.join(work, 'sextant.cjs');
    await bundleCli({ outfile: bundle, selfContained: true });

    const blob = path.join(work, 'sextant.blob');
    const seaConfig = path.join(work, 'sea.json');
    fs.writeFileSync(
      seaConfig,
      JSON.stringify({
        main: bundle,
        output: blob,
        disableExperimentalSEAWarning: true,
        useCodeCache: true,
        assets: quickstartAssets(),
      }),
    );
    execFileSync(process.execPath, ['--experimental-sea-config', seaConfig], { stdio: 'inherit' });

    fs.mkdirSync(path.dirname(OUTPUT), { recursive: true });
    fs.rmSync(OUTPUT, { force: true });
    fs.copyFileSync(process.execPath, OUTPUT);
    fs.chmodSync(OUTPUT, 0o755);
    await inject(OUTPUT, 'NODE_SEA_BLOB', fs.readFileSync(blob), { sentinelFuse: SEA_FUSE });
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
  const mib = fs.statSync(OUTPUT).size / 2 ** 20;
  console.log(
    `wrote ${path.relative(process.cwd(), OUTPUT)} (${mib.toFixed(0)} MiB, Node ${process.version})`,
  );
}

/** The example the binary runs without --config, as SEA assets named `quickstart/<file>`. */
function quickstartAssets() {
  const { QUICKSTART_FILES } = require(path.join(PACKAGE_DIR, 'dist', 'quickstart.js'));
  const dir = path.dirname(require.resolve('@sextant/example-quickstart/package.json'));
  return Object.fromEntries(QUICKSTART_FILES.map((name) => [`quickstart/${name}`, path.join(dir, name)]));
}

main().catch((error) => {
  console.error(`npm run package: ${error.message}`);
  process.exit(1);
});
