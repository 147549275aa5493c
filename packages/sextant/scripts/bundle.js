'use strict';
/**
 * Bundles the built CLI into one CommonJS file with esbuild (after tsc, which emits the decorator
 * metadata tsyringe needs; esbuild would drop it from TypeScript sources).
 *
 * Why: the daemon's start-up code is some 700 modules of Sextant's packages and their
 * dependencies. Loaded one by one, each costs a resolution (stat calls, symlinks, package.json
 * `exports`), a read and a compile; as one file it is one read and one compile, which starts a
 * daemon some 100 ms sooner (docs/development.md, "The bundled CLI").
 *
 * Two forms:
 * - `installed` (`npm run build`: dist/sextant.cjs, the `sextant` executable's entry): libraries
 *   that Sextant's packages load only when a feature is used (a platform client, protobuf for the
 *   first xDS request, the CA's crypto, ajv for an adapter without precompiled validators) stay
 *   out of the bundle, because every byte in it is parsed at start-up. Each is required at run
 *   time from the directory of the Sextant package that depends on it, where npm installed it:
 *   not from the bundle's own, where it may not be. The services file reader's worker thread gets
 *   its own bundle beside it (dist/services-file-worker.js), where the file adapter looks for it.
 * - `selfContained` (the single-file executable, scripts/package.js): everything in, since nothing
 *   but Node's built-in modules resolves inside the binary.
 */
const fs = require('node:fs');
const path = require('node:path');
const esbuild = require('esbuild');

const PACKAGE_DIR = path.resolve(__dirname, '..');
const DIST = path.join(PACKAGE_DIR, 'dist');
const CLI_PACKAGE = '@sextant/cli';

/**
 * Dependencies of Sextant's packages that are required lazily (inside the function that first
 * needs them), so that a daemon which does not use the feature never loads them. Package names
 * only; test/bundled-cli.test.ts fails for a name the bundle no longer requires.
 */
const LOADED_ON_USE = [
  '@kubernetes/client-node',
  '@peculiar/x509',
  'ajv',
  'consul',
  'jose',
  'js-yaml',
  'node-fetch',
  'pino-pretty',
  'protobufjs',
  're2js',
  'undici',
];

/** The name in the nearest package.json at or above `dir`. */
function owningPackage(dir) {
  for (let at = dir; ; at = path.dirname(at)) {
    const manifest = path.join(at, 'package.json');
    if (fs.existsSync(manifest)) return JSON.parse(fs.readFileSync(manifest, 'utf8')).name;
    if (path.dirname(at) === at) return undefined;
  }
}

/**
 * Keeps LOADED_ON_USE out of the bundle: a require of one from a Sextant package becomes a require
 * made from that package's own directory at run time (resolved through the package's main entry,
 * which every package exports). Required from anything else, it is bundled as usual.
 */
const loadedOnUse = {
  name: 'sextant-loaded-on-use',
  setup(build) {
    // The packages themselves; a file inside one (ajv's runtime helpers, which precompiled
    // validators require as they load) is small and needed at once: bundled.
    const filter = new RegExp(`^(${LOADED_ON_USE.map((n) => n.replace(/[/.]/g, '\\$&')).join('|')})$`);
    build.onResolve({ filter }, (args) => {
      if (args.kind !== 'require-call') return undefined;
      const owner = owningPackage(args.resolveDir);
      // The CLI's own dependencies resolve from the bundle's directory, which is the CLI's.
      if (owner === CLI_PACKAGE) return { path: args.path, external: true };
      if (!owner?.startsWith('@sextant/')) return undefined;
      return { path: `${owner}\0${args.path}`, namespace: 'loaded-on-use' };
    });
    build.onLoad({ filter: /.*/, namespace: 'loaded-on-use' }, (args) => {
      const [owner, request] = args.path.split('\0');
      return {
        contents: [
          "const { createRequire } = require('node:module');",
          // A require of the bundle's own file: the owner is a dependency of the CLI.
          `const owner = createRequire(__filename).resolve(${JSON.stringify(owner)});`,
          `module.exports = createRequire(owner)(${JSON.stringify(request)});`,
        ].join('\n'),
        resolveDir: PACKAGE_DIR,
        loader: 'js',
      };
    });
  },
};

/** Bundles the CLI into `outfile`; `selfContained`: everything in (the single-file executable). */
async function bundleCli({ outfile, selfContained }) {
  if (!fs.existsSync(path.join(DIST, 'cli.js'))) {
    throw new Error(`${path.join(DIST, 'cli.js')} is missing: build first (npx turbo run build)`);
  }
  const common = {
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    logLevel: 'warning',
    // Comments and indentation out: the daemon parses less at start-up (some 40 ms). Names stay,
    // so stack traces name their functions; the installed form's source map (read under
    // `node --enable-source-maps`) gives their TypeScript files and lines.
    minifyWhitespace: true,
    sourcemap: selfContained ? false : 'linked',
    sourcesContent: false,
    plugins: selfContained ? [] : [loadedOnUse],
  };
  await esbuild.build({
    ...common,
    stdin: { contents: "require('./dist/cli.js').runAsProcess();", resolveDir: PACKAGE_DIR, loader: 'js' },
    outfile,
    // Only the quickstart's path is looked up with require.resolve, and not inside the binary.
    external: ['@sextant/example-quickstart/*'],
  });
  asciiOnly(outfile);
  if (!selfContained) {
    await esbuild.build({
      ...common,
      entryPoints: [
        path.join(
          path.dirname(require.resolve('@sextant/adapter-file/package.json')),
          'dist',
          'services-file-worker.js',
        ),
      ],
      outfile: path.join(path.dirname(outfile), 'services-file-worker.js'),
    });
    asciiOnly(path.join(path.dirname(outfile), 'services-file-worker.js'));
  }
}

/**
 * Escapes what esbuild leaves non-ASCII (regular expression literals, licence comments) as `\uXXXX`, which
 * means the same character wherever JavaScript reads it. V8 keeps a script's source for as long as
 * its functions live: held as Latin-1 it costs a byte per character; one character beyond that
 * and it is held in UTF-16, twice the bundle's size (10 MB) for the daemon's lifetime.
 */
function asciiOnly(file) {
  const text = fs.readFileSync(file, 'utf8');
  // After a backslash, `\\u` would be read as an escaped backslash and then text: refuse.
  const escapedAlready = /\\[\u0080-\uffff]/.exec(text);
  if (escapedAlready)
    throw new Error(`${file}: a backslash before a non-ASCII character at ${escapedAlready.index}`);
  const escaped = text.replace(
    /[\u0080-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  if (escaped !== text) fs.writeFileSync(file, escaped);
}

module.exports = { bundleCli, LOADED_ON_USE };

if (require.main === module) {
  bundleCli({ outfile: path.join(DIST, 'sextant.cjs'), selfContained: false }).catch((error) => {
    console.error(`bundling the CLI: ${error.message}`);
    process.exit(1);
  });
}
