import path from 'node:path';
import {
  ConfigError,
  formatProblem,
  formatRuleProblem,
  formatRuleIdentity,
  RENDER_TARGETS,
  silentLogger,
  type RenderTarget,
  type RuleProblem,
} from '@sextant/core';
import { choiceOption, stringOption, targetsOption, UsageError, type Command } from '../cli/command';
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
  /** `text`: problems one a line on stderr (default); `json`: one JSON document on stdout. */
  readonly output?: 'text' | 'json';
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
}

export const validateCommand: Command = {
  name: 'validate',
  summary: 'check a config, the files it points at and its rules, or rules files alone',
  details: [
    `--rules PATTERN: a rules file, directory or glob to check besides the config's (repeatable).`,
    `--targets ${RENDER_TARGETS.join(',')}: the clients that must be sent every rule whole (what one`,
    'of them cannot express fails validation; for others it is shown only). Default: none.',
    'Docs: docs/configuration.md, docs/rules.md',
  ].join('\n'),
  usage: '[CONFIG | --config FILE] [--rules PATTERN]... [--targets LIST] [-o text|json]',
  options: {
    config: { type: 'string', short: 'c' },
    rules: { type: 'string', multiple: true },
    targets: { type: 'string' },
    output: { type: 'string', short: 'o' },
  },
  positionals: { min: 0, max: 1 },
  run: ({ values, positionals }, io) => {
    const [positional] = positionals;
    const flag = stringOption(values, 'config');
    if (positional !== undefined && flag !== undefined) {
      throw new UsageError(`give the config once: as an argument ("${positional}") or with --config`);
    }
    const configFile = flag ?? positional;
    const rulePatterns = (values.rules as string[] | undefined) ?? [];
    if (configFile === undefined && rulePatterns.length === 0) {
      throw new UsageError('--config FILE or --rules PATTERN is required');
    }
    const targets = targetsOption(values);
    return validate({
      ...io,
      ...(configFile !== undefined && { configFile }),
      rulePatterns,
      targets,
      output: choiceOption(values, 'output', ['text', 'json'] as const, 'text'),
    });
  },
};

/**
 * Checks a config, every file its adapters point at and every rules file it names (and those
 * `rulePatterns` name), without starting anything. Rules are checked against the mesh the
 * config's services files describe, plus ServiceEntries. Prints every problem, one a line
 * (file:line:column, rule, field path, what is wrong, and the render target when it concerns
 * one); exit 1 on any error (for a render target: only those `targets` name), else 0.
 */
export async function validate(options: ValidateOptions): Promise<number> {
  const result = await check(options);
  if (options.output === 'json') {
    options.stdout.write(`${JSON.stringify(result.json, null, 2)}\n`);
  } else {
    for (const line of result.stdout) options.stdout.write(`${line}\n`);
    for (const line of result.stderr) options.stderr.write(`${line}\n`);
  }
  return result.code;
}

/** What validate found: the lines it prints, the same as JSON (`-o json`), and its exit code. */
interface ValidateResult {
  readonly code: number;
  readonly stdout: string[];
  readonly stderr: string[];
  readonly json: { valid: boolean; config?: string; problems: object[]; summary?: string };
}

async function check(options: ValidateOptions): Promise<ValidateResult> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const problems: object[] = [];
  const done = (code: number, summary?: string): ValidateResult => ({
    code,
    stdout,
    stderr,
    json: {
      valid: code === 0,
      ...(options.configFile !== undefined && { config: options.configFile }),
      problems,
      ...(summary !== undefined && { summary }),
    },
  });
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
      for (const problem of error.problems) {
        stderr.push(formatProblem(problem));
        problems.push({ severity: 'error', ...problem, message: problem.message });
      }
      const summary = `${error.problems.length} problem(s) found`;
      stderr.push(summary);
      return done(1, summary);
    }
    const names = loaded.adapters.map((a) => `${a.name} (${a.type})`).join(', ');
    stdout.push(`${options.configFile}: ok, ${loaded.adapters.length} adapter(s): ${names}`);
  }
  const configRules = loaded ? await resolveRuleFiles(loaded.config.rules, loaded.baseDir) : [];
  const patterns = options.rulePatterns ?? [];
  const extra = await resolveRuleFiles(patterns, options.cwd);
  if (patterns.length > 0 && extra.length === 0) {
    const summary = `sextant validate: no rules file matches ${patterns.join(', ')}`;
    stderr.push(summary);
    return done(1, summary);
  }
  const files = [...new Set([...configRules, ...extra])];
  if (files.length === 0) return done(0);
  const mesh: OfflineMesh = loaded ? await offlineMesh(loaded, options.env) : UNKNOWN_MESH;
  const found = await checkRuleFiles(files, mesh, (file) => {
    // As the user would write it: relative to where validate runs, when under it.
    const relative = path.relative(options.cwd, file);
    return relative === '' || relative.startsWith('..') || path.isAbsolute(relative) ? file : relative;
  });
  if (mesh.unknownHosts !== undefined && found.resources > 0) {
    stderr.push(
      `note: ${mesh.unknownHosts}: a destination host that no services file and no ServiceEntry has is a warning, not an error`,
    );
  }
  for (const problem of found.problems) {
    stderr.push(formatRuleProblem(problem));
    const { rule, ...rest } = problem;
    problems.push({ ...rest, ...(rule && { rule: formatRuleIdentity(rule) }) });
  }
  const required = new Set(options.targets ?? []);
  const failing = (p: RuleProblem) =>
    p.severity === 'error' && (p.target === undefined || required.has(p.target));
  const errors = found.problems.filter(failing).length;
  const warnings = found.problems.filter((p) => p.severity === 'warning').length;
  const shown = found.problems.filter((p) => p.severity === 'error' && !failing(p));
  const summary =
    `rules: ${files.length} file(s), ${found.resources} resource(s): ${errors} error(s), ${warnings} warning(s)` +
    (shown.length > 0 ? `; ${describeTargetErrors(shown)}` : '');
  (errors > 0 ? stderr : stdout).push(summary);
  return done(errors > 0 ? 1 : 0, summary);
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
