import type { PrecompiledValidators } from './validate';

/**
 * A schema's validators as the build compiled them (scripts/precompile-validators.js), or undefined
 * where they were not built (tests run from the sources), and compileValidator compiles the schema
 * instead. `load` is the caller's literal `require` of `file`, relative to the caller, so that a
 * bundler embeds the file.
 */
export function precompiledValidators(load: () => unknown, file: string): PrecompiledValidators | undefined {
  try {
    return load() as PrecompiledValidators;
  } catch (error) {
    // Only the file missing; anything the generated code itself lacks is an error of the build.
    const missing = (error as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND';
    if (missing && (error as Error).message.includes(file)) return undefined;
    throw error;
  }
}
