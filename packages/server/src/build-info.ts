/** What this build is, for /debug/version and sextant_build_info. */
export interface BuildInfo {
  readonly version: string;
  /** The git commit it was built from; `unknown` when the build could not tell. */
  readonly commit: string;
}

/** The server package's own version, for embedders that do not say which build they are. */
export function defaultBuildInfo(): BuildInfo {
  // Outside rootDir: read at run time rather than imported.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return { version: (require('../package.json') as { version: string }).version, commit: 'unknown' };
}

/** /debug/version: the build, the Node.js runtime and when the process started. */
export function versionView(build: BuildInfo, now: number) {
  const startedAt = now - Math.round(process.uptime() * 1000);
  return {
    version: build.version,
    commit: build.commit,
    node: process.version,
    startedAt: new Date(startedAt).toISOString(),
    uptimeSeconds: Math.round((now - startedAt) / 1000),
  };
}
