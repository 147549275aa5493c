import path from 'node:path';
import { AdapterLoadError, checkAdapterFactory, type AdapterFactory } from '@sextant/core';

/** Adapters that ship with Sextant, loaded as `@sextant/adapter-<type>`. */
export const BUILT_IN_ADAPTERS = ['file', 'consul', 'kubernetes', 'nomad'] as const;

/**
 * Finds and checks the factory for an adapter `type`: a built-in name, a path (relative to
 * the config file), or an npm package name (resolved from the config file's directory first,
 * so a package installed beside the config works, then from Sextant's own dependencies).
 */
export function loadAdapterFactory(type: string, baseDir: string): AdapterFactory {
  const id = moduleId(type, baseDir);
  let resolved: string;
  try {
    resolved = require.resolve(id, { paths: [baseDir, __dirname] });
  } catch {
    const hint = (BUILT_IN_ADAPTERS as readonly string[]).includes(type)
      ? 'this build of sextant does not include it'
      : `install it (npm install ${type}) or give a path to it`;
    throw new AdapterLoadError(type, [{ path: '', message: `cannot find adapter package "${id}": ${hint}` }]);
  }
  let exported: unknown;
  try {
    // Plugins are named in the config, so they can only be loaded at run time.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    exported = require(resolved) as unknown;
  } catch (error) {
    throw new AdapterLoadError(type, [
      { path: '', message: `loading ${resolved} failed: ${(error as Error).message}` },
    ]);
  }
  return checkAdapterFactory(exported, type);
}

function moduleId(type: string, baseDir: string): string {
  if ((BUILT_IN_ADAPTERS as readonly string[]).includes(type)) return `@sextant/adapter-${type}`;
  if (type.startsWith('.') || path.isAbsolute(type)) return path.resolve(baseDir, type);
  return type;
}
