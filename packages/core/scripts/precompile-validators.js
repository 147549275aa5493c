'use strict';
/**
 * Compiles a JSON Schema into ajv standalone code at build time, so that start-up loads validators
 * instead of compiling them (the daemon config's schema took some 80 ms to compile):
 *
 *   node precompile-validators.js <built module> <export name> <output file> <formats module>
 *
 * The output exports `every` and `first` (core's PrecompiledValidators), compiled with the options
 * compileValidator uses (AJV_OPTIONS, the formats of schema/formats.ts). `<formats module>` is what
 * the output requires for the format checks: a path relative to the output, or a package name,
 * that exports FORMAT_CHECKS.
 */
const fs = require('node:fs');
const path = require('node:path');
const { default: Ajv, _ } = require('ajv');
const { default: standaloneCode } = require('ajv/dist/standalone');

function precompile(schema, formatsModule, formats) {
  // The real checks: a format given as `true` would be left out of the generated code.
  const variant = (allErrors) => {
    const ajv = new Ajv({
      ...require('../dist/schema/validate').AJV_OPTIONS,
      allErrors,
      code: { source: true, formats: _`require(${formatsModule}).FORMAT_CHECKS` },
    });
    for (const [name, format] of Object.entries(formats)) ajv.addFormat(name, format.validate);
    // Each variant's module, scoped so the two share no names.
    return `(() => {\nconst module = { exports: {} };\n${standaloneCode(ajv, ajv.compile(schema))}\nreturn module.exports;\n})()`;
  };
  return [
    '"use strict";',
    '// Generated at build time by @sextant/core scripts/precompile-validators.js: do not edit.',
    `exports.every = ${variant(true)};`,
    `exports.first = ${variant(false)};`,
    '',
  ].join('\n');
}

function main([moduleFile, exportName, outFile, formatsModule]) {
  if (!formatsModule)
    throw new Error('usage: precompile-validators.js <module> <export> <output> <formats module>');
  const schema = require(path.resolve(moduleFile))[exportName];
  if (!schema) throw new Error(`${moduleFile} exports no ${exportName}`);
  const { FORMATS } = require('../dist/schema/formats');
  fs.writeFileSync(outFile, precompile(schema, formatsModule, FORMATS));
}

main(process.argv.slice(2));
