import { createRequire } from 'node:module';
import path from 'node:path';
import { AdapterLoadError, checkAdapterFactory, type AdapterFactory } from '@sextant/core';

/** Adapters that ship with Sextant (`@sextant/adapter-<type>`). */
export const BUILT_IN_ADAPTERS = ['file', 'consul', 'kubernetes', 'nomad'] as const;
type BuiltInAdapter = (typeof BUILT_IN_ADAPTERS)[number];

/**
 * The built-in adapters' modules, required by literal names so that a bundler includes them (the
 * single-file binary resolves nothing from disk for them), and lazily so that a daemon only pays for
 * the platform clients it uses.
 */
/* eslint-disable @typescript-eslint/no-require-imports */
const BUILT_IN_MODULES: Record<BuiltInAdapter, () => unknown> = {
  file: () => require('@sextant/adapter-file'),
  consul: () => require('@sextant/adapter-consul'),
  kubernetes: () => require('@sextant/adapter-kubernetes'),
  nomad: () => require('@sextant/adapter-nomad'),
};
/* eslint-enable @typescript-eslint/no-require-imports */

/**
 * Finds and checks the factory for an adapter `type`: a built-in name, a path (relative to
 * the config file), or an npm package name (resolved from the config file's directory first,
 * so a package installed beside the config works, then from Sextant's own dependencies).
 */
export function loadAdapterFactory(type: string, baseDir: string): AdapterFactory {
  const builtIn = isBuiltIn(type) ? BUILT_IN_MODULES[type] : undefined;
  const exported = builtIn ? loading(`@sextant/adapter-${type}`, type, builtIn) : loadFromDisk(type, baseDir);
  return checkAdapterFactory(exported, type);
}

function isBuiltIn(type: string): type is BuiltInAdapter {
  return (BUILT_IN_ADAPTERS as readonly string[]).includes(type);
}

/**
 * A third-party adapter, from the file system. Through a require made for the config's directory
 * rather than this module's own: inside the single-file binary, the bundle's `require` only knows
 * Node's built-in modules.
 */
function loadFromDisk(type: string, baseDir: string): unknown {
  const id = type.startsWith('.') || path.isAbsolute(type) ? path.resolve(baseDir, type) : type;
  const requireFromConfig = createRequire(path.join(baseDir, 'sextant.config'));
  let resolved: string;
  try {
    resolved = requireFromConfig.resolve(id, { paths: [baseDir, __dirname] });
  } catch {
    throw new AdapterLoadError(type, [
      {
        path: '',
        message: `cannot find adapter package "${id}": install it (npm install ${type}) or give a path to it`,
      },
    ]);
  }
  // Plugins are named in the config, so they can only be loaded at run time.
  return loading(resolved, type, () => requireFromConfig(resolved) as unknown);
}

/** Runs `load`; a module that throws while loading becomes an AdapterLoadError naming it. */
function loading(what: string, type: string, load: () => unknown): unknown {
  try {
    return load();
  } catch (error) {
    throw new AdapterLoadError(type, [
      { path: '', message: `loading ${what} failed: ${(error as Error).message}` },
    ]);
  }
}
