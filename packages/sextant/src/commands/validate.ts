import path from 'node:path';
import {
  ConfigError,
  formatProblem,
  formatRuleProblem,
  silentLogger,
  type RenderTarget,
  type RuleProblem,
} from '@sextant/core';
import { loadConfig, type LoadedConfig } from '../config/load-config';
import { checkRuleFiles, type OfflineMesh } from '../rules/check-rule-files';
import { offlineMesh, UNKNOWN_MESH } from '../rules/offline-mesh';
import { resolveRuleFiles } from '../rules/rule-file-patterns';

export interface ValidateOptions {
  /** sextant.yaml: it, the files its adapters point at and its rules files are checked. */
  readonly configFile?: string;
  /** Rules files to check besides the config's (`--rules`): files, directories, globs. */
  readonly rulePatterns?: readonly string[];
  /** Where `rulePatterns` are relative to. */
  readonly cwd: string;
  /**
   * Render targets whose clients must be sent every rule whole (`--targets`): what one of them
   * cannot express fails the check. For other targets it is shown and does not.
   */
  readonly targets?: readonly RenderTarget[];
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
}

/**
 * Checks a config, every file its adapters point at and every rules file it names (and those
 * `rulePatterns` name), without starting anything. Rules are checked against the mesh the
 * config's services files describe, plus ServiceEntries. Prints every problem, one a line
 * (file:line:column, rule, field path, what is wrong, and the render target when it concerns
 * one); exit 1 on any error (for a render target: only those `targets` name), else 0.
 */
export async function validate(options: ValidateOptions): Promise<number> {
  let loaded: LoadedConfig | undefined;
  if (options.configFile !== undefined) {
    try {
      loaded = await loadConfig(options.configFile, {
        env: options.env,
        logger: silentLogger,
        checkAdapters: true,
      });
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      for (const problem of error.problems) options.stderr.write(`${formatProblem(problem)}\n`);
      options.stderr.write(`${error.problems.length} problem(s) found\n`);
      return 1;
    }
    const names = loaded.adapters.map((a) => `${a.name} (${a.type})`).join(', ');
    options.stdout.write(`${options.configFile}: ok, ${loaded.adapters.length} adapter(s): ${names}\n`);
  }
  const configRules = loaded ? await resolveRuleFiles(loaded.config.rules, loaded.baseDir) : [];
  const patterns = options.rulePatterns ?? [];
  const extra = await resolveRuleFiles(patterns, options.cwd);
  if (patterns.length > 0 && extra.length === 0) {
    options.stderr.write(`sextant validate: no rules file matches ${patterns.join(', ')}\n`);
    return 1;
  }
  const files = [...new Set([...configRules, ...extra])];
  if (files.length === 0) return 0;
  const mesh: OfflineMesh = loaded ? await offlineMesh(loaded, options.env) : UNKNOWN_MESH;
  const check = await checkRuleFiles(files, mesh, (file) => {
    // As the user would write it: relative to where validate runs, when under it.
    const relative = path.relative(options.cwd, file);
    return relative === '' || relative.startsWith('..') || path.isAbsolute(relative) ? file : relative;
  });
  if (mesh.unknownHosts !== undefined && check.resources > 0) {
    options.stderr.write(
      `note: ${mesh.unknownHosts}: a destination host that no services file and no ServiceEntry has is a warning, not an error\n`,
    );
  }
  for (const problem of check.problems) options.stderr.write(`${formatRuleProblem(problem)}\n`);
  const required = new Set(options.targets ?? []);
  const failing = (p: RuleProblem) =>
    p.severity === 'error' && (p.target === undefined || required.has(p.target));
  const errors = check.problems.filter(failing).length;
  const warnings = check.problems.filter((p) => p.severity === 'warning').length;
  const shown = check.problems.filter((p) => p.severity === 'error' && !failing(p));
  const summary =
    `rules: ${files.length} file(s), ${check.resources} resource(s): ${errors} error(s), ${warnings} warning(s)` +
    (shown.length > 0 ? `; ${describeTargetErrors(shown)}` : '');
  (errors > 0 ? options.stderr : options.stdout).write(`${summary}\n`);
  return errors > 0 ? 1 : 0;
}

/** `3 error(s) for render targets not required (grpc: 2, v1: 1; --targets requires them)`. */
function describeTargetErrors(problems: readonly RuleProblem[]): string {
  const byTarget = new Map<string, number>();
  for (const p of problems) byTarget.set(p.target ?? '', (byTarget.get(p.target ?? '') ?? 0) + 1);
  const counts = [...byTarget]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([target, count]) => `${target}: ${count}`)
    .join(', ');
  return `${problems.length} error(s) for render targets not required (${counts}; --targets requires them)`;
}
