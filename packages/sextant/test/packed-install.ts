import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

/**
 * Installing Sextant's packages as a user would, from the tarballs `npm pack` makes, without a
 * registry: the tarballs' third-party dependencies come from the npm cache that `npm ci` filled,
 * at the versions this repository's lock pins, through a lock written for the new project.
 */

const execFileAsync = promisify(execFile);

export const REPOSITORY = path.resolve(__dirname, '..', '..', '..');

export interface Manifest {
  readonly name: string;
  readonly version: string;
  readonly private?: boolean;
  readonly license?: string;
  readonly main?: string;
  readonly types?: string;
  readonly exports?: unknown;
  readonly bin?: Record<string, string>;
  readonly files?: string[];
  readonly engines?: Record<string, string>;
  readonly dependencies?: Record<string, string>;
  readonly optionalDependencies?: Record<string, string>;
  readonly peerDependencies?: Record<string, string>;
  readonly peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  readonly devDependencies?: Record<string, string>;
}

export interface Workspace {
  /** Relative to the repository, as the lock names it: `packages/core`. */
  readonly dir: string;
  readonly manifest: Manifest;
}

export interface Packed {
  readonly name: string;
  readonly version: string;
  readonly filename: string;
  readonly integrity: string;
  readonly files: { path: string; mode: number }[];
}

type LockEntry = Record<string, unknown> & Partial<Manifest>;

export function workspaces(): Workspace[] {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { workspaceDirs } = require(path.join(REPOSITORY, 'scripts', 'workspace-dirs.cjs')) as {
    workspaceDirs(): string[];
  };
  return workspaceDirs().map((dir) => ({
    dir: path.relative(REPOSITORY, dir),
    manifest: JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as Manifest,
  }));
}

/**
 * npm's environment without what an enclosing `npm run` exported (workspace, prefix, package
 * fields), keeping where the cache, the registry and the user's settings are.
 */
export function npmEnv(): NodeJS.ProcessEnv {
  const kept = /^npm_config_(cache|registry|userconfig|globalconfig)$/i;
  return Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key) || kept.test(key)),
  );
}

export async function npm(args: readonly string[], cwd: string): Promise<string> {
  try {
    const { stdout } = await execFileAsync('npm', [...args], {
      cwd,
      env: npmEnv(),
      maxBuffer: 64 * 1024 * 1024,
    });
    return stdout;
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`npm ${args.join(' ')} (in ${cwd}) failed:\n${stderr ?? ''}\n${stdout ?? ''}`);
  }
}

/** `npm pack` of the named workspaces into `destination`. */
export async function pack(names: readonly string[], destination: string): Promise<Packed[]> {
  const args = ['pack', '--json', '--pack-destination', destination, ...names.flatMap((n) => ['-w', n])];
  return JSON.parse(await npm(args, REPOSITORY)) as Packed[];
}

/**
 * A package-lock for a project in `projectDir` that depends on `roots` (names of packed
 * workspaces): every packed workspace they reach as its tarball under `packs/`, every other package
 * where and as this repository's lock has it. Throws for a dependency the lock cannot satisfy.
 */
export function lockForTarballs(
  roots: readonly string[],
  packed: readonly Packed[],
): { packageJson: object; lock: object } {
  const repositoryLock = JSON.parse(fs.readFileSync(path.join(REPOSITORY, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, LockEntry>;
  };
  const byName = new Map(workspaces().map((w) => [w.manifest.name, w]));
  const tarballs = new Map(packed.map((p) => [p.name, p]));
  const entries: Record<string, LockEntry> = {};

  const addWorkspace = (name: string): void => {
    const location = `node_modules/${name}`;
    if (entries[location]) return;
    const tarball = tarballs.get(name);
    const workspace = byName.get(name);
    if (!tarball || !workspace) throw new Error(`${name} is needed but was not packed`);
    const m = workspace.manifest;
    entries[location] = definedOnly({
      version: m.version,
      resolved: `file:packs/${tarball.filename}`,
      integrity: tarball.integrity,
      license: m.license,
      dependencies: m.dependencies,
      optionalDependencies: m.optionalDependencies,
      peerDependencies: m.peerDependencies,
      peerDependenciesMeta: m.peerDependenciesMeta,
      bin: m.bin,
      engines: m.engines,
    });
    addDependencies(workspace.dir, m);
  };

  const addDependencies = (from: string, entry: Partial<Manifest>): void => {
    for (const [dependency, optional] of dependencyNames(entry)) {
      if (byName.has(dependency)) {
        addWorkspace(dependency);
        continue;
      }
      const found = resolutionCandidates(from, dependency).find((c) => repositoryLock.packages[c]);
      if (found === undefined) {
        if (optional) continue;
        throw new Error(`the repository's lock has no ${dependency} for ${from}`);
      }
      const target = relocate(found, byName);
      if (entries[target]) continue;
      // Dev and peer flags describe the repository's tree, not this one's.
      const {
        dev: _dev,
        devOptional: _devOptional,
        peer: _peer,
        ...copy
      } = repositoryLock.packages[found] ?? {};
      entries[target] = copy;
      addDependencies(found, copy);
    }
  };

  for (const name of roots) addWorkspace(name);
  const dependencies = Object.fromEntries(
    roots.map((name) => [name, `file:packs/${tarballs.get(name)?.filename ?? ''}`]),
  );
  const packageJson = { name: 'sextant-install-test', version: '1.0.0', private: true, dependencies };
  const lock = {
    name: packageJson.name,
    version: packageJson.version,
    lockfileVersion: 3,
    requires: true,
    packages: { '': { name: packageJson.name, version: packageJson.version, dependencies }, ...entries },
  };
  return { packageJson, lock };
}

/** Dependency names of a manifest or lock entry, each with whether it may be absent. */
function dependencyNames(entry: Partial<Manifest>): [string, boolean][] {
  return [
    ...Object.keys(entry.dependencies ?? {}).map((n): [string, boolean] => [n, false]),
    ...Object.keys(entry.optionalDependencies ?? {}).map((n): [string, boolean] => [n, true]),
    ...Object.keys(entry.peerDependencies ?? {}).map((n): [string, boolean] => [
      n,
      entry.peerDependenciesMeta?.[n]?.optional === true,
    ]),
  ];
}

/** Where Node looks for `dependency` from a package at lock location `from`, nearest first. */
function resolutionCandidates(from: string, dependency: string): string[] {
  const candidates: string[] = [];
  let dir = from;
  while (dir !== '') {
    candidates.push(`${dir}/node_modules/${dependency}`);
    const cut = dir.lastIndexOf('node_modules/');
    dir = cut <= 0 ? '' : dir.slice(0, cut - 1);
  }
  candidates.push(`node_modules/${dependency}`);
  return candidates;
}

/** A package nested under a workspace's own node_modules goes under that workspace's install location. */
function relocate(location: string, byName: ReadonlyMap<string, Workspace>): string {
  for (const [name, workspace] of byName) {
    const prefix = `${workspace.dir}/node_modules/`;
    if (location.startsWith(prefix))
      return `node_modules/${name}/node_modules/${location.slice(prefix.length)}`;
  }
  return location;
}

function definedOnly(record: Record<string, unknown>): LockEntry {
  return Object.fromEntries(Object.entries(record).filter(([, v]) => v !== undefined));
}
