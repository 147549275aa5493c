import {
  ConfigError,
  formatProblem,
  formatRuleIdentity,
  RENDER_TARGETS,
  silentLogger,
  type RenderTarget,
  type RuleProblem,
} from '@sextant/core';
import { choiceOption, stringOption, targetsOption, UsageError, type Command } from '../cli/command';
import { loadConfig } from '../config/load-config';
import { checkRuleFiles } from '../rules/check-rule-files';
import { offlineMesh } from '../rules/offline-mesh';
import { resolveRuleFiles } from '../rules/rule-file-patterns';

export const analyzeCommand: Command = {
  name: 'analyze',
  summary:
    "mesh-level findings about the traffic rules, like istioctl analyze (offline or a running daemon's)",
  details: [
    '--config FILE: the rules files of a config, against the mesh its services files describe.',
    '--admin URL: the rules a running daemon holds, against the mesh as it is now (unhealthy destinations too).',
    `--targets ${RENDER_TARGETS.join(',')}: render targets whose errors count as errors. Exit 1 on errors.`,
    'Finding codes: docs/rules.md ("sextant analyze").',
  ].join('\n'),
  usage: '(--config FILE | --admin URL) [--targets LIST] [-o text|json]',
  options: {
    config: { type: 'string', short: 'c' },
    admin: { type: 'string' },
    targets: { type: 'string' },
    output: { type: 'string', short: 'o' },
  },
  positionals: { min: 0, max: 0 },
  run: ({ values }, io) => {
    const configFile = stringOption(values, 'config');
    const admin = stringOption(values, 'admin');
    if ((configFile === undefined) === (admin === undefined)) {
      throw new UsageError('give one of --config FILE or --admin URL');
    }
    const targets = targetsOption(values);
    return analyze({
      ...io,
      ...(configFile !== undefined && { configFile }),
      ...(admin !== undefined && { admin }),
      output: choiceOption(values, 'output', ['text', 'json'] as const, 'text'),
      targets,
    });
  },
};

export interface AnalyzeOptions {
  /** sextant.yaml: its rules files checked against the mesh its services files describe. */
  readonly configFile?: string;
  /** A running daemon's admin URL: its rules in force checked against the live mesh. */
  readonly admin?: string;
  readonly output: 'text' | 'json';
  /** Render targets whose errors count as errors (as `validate --targets`); others are findings of their own severity. */
  readonly targets?: readonly RenderTarget[];
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
}

/** One mesh-level finding, as `analyze -o json` prints it. Codes are RULE_PROBLEM_CODES. */
export interface Finding {
  readonly severity: 'error' | 'warning';
  readonly code: string;
  /** `VirtualService default/reviews`. */
  readonly rule?: string;
  /** Istio-style field path: `spec.http[0].route[1].destination.subset`. */
  readonly path?: string;
  /** Where the resource was read: `rules/reviews.yaml:12:9`, or the daemon's source name. */
  readonly location?: string;
  /** The render target it concerns, when one. */
  readonly target?: RenderTarget;
  readonly message: string;
}

/**
 * Like `istioctl analyze`: the mesh-level findings about traffic rules, each with a stable code
 * and a field path — unknown hosts and subsets, subsets selecting no endpoint, destinations with
 * no healthy endpoint (live only), shadowed and unreachable matches, rules competing for a host,
 * what a render target cannot express. Offline from a config (the mesh its services files
 * describe), or live from a running daemon's admin listener (the mesh as it is now). Exit 1 when
 * there is an error (for a render target: only those `targets` names), else 0.
 */
export async function analyze(options: AnalyzeOptions): Promise<number> {
  let findings: Finding[];
  try {
    findings =
      options.admin !== undefined ? await liveFindings(options.admin) : await offlineFindings(options);
  } catch (error) {
    if (error instanceof ConfigError) {
      for (const problem of error.problems) options.stderr.write(`${formatProblem(problem)}\n`);
      options.stderr.write('sextant analyze: the config cannot be used; `sextant validate` says more\n');
      return 2;
    }
    if (error instanceof AnalyzeError) {
      options.stderr.write(`sextant analyze: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
  const required = new Set(options.targets ?? []);
  const counted = findings.map((f) =>
    f.severity === 'error' && f.target !== undefined && !required.has(f.target)
      ? { ...f, severity: 'warning' as const }
      : f,
  );
  if (options.output === 'json') options.stdout.write(`${JSON.stringify(counted, null, 2)}\n`);
  else {
    for (const f of counted) options.stdout.write(`${formatFinding(f)}\n`);
    const errors = counted.filter((f) => f.severity === 'error').length;
    options.stdout.write(
      counted.length === 0 ? 'no findings\n' : `${errors} error(s), ${counted.length - errors} warning(s)\n`,
    );
  }
  return counted.some((f) => f.severity === 'error') ? 1 : 0;
}

/** `Error [unknown-subset] VirtualService default/reviews spec.http[0]…: message (rules.yaml:9:24)`. */
export function formatFinding(f: Finding): string {
  const severity = f.severity === 'error' ? 'Error' : 'Warning';
  const target = f.target ? ` for ${f.target}` : '';
  const subject = [f.rule, f.path].filter((part) => part !== undefined && part !== '').join(' ');
  const where = f.location ? ` (${f.location})` : '';
  return `${severity}${target} [${f.code}] ${subject ? `${subject}: ` : ''}${f.message}${where}`;
}

class AnalyzeError extends Error {}

async function offlineFindings(options: AnalyzeOptions): Promise<Finding[]> {
  if (options.configFile === undefined) throw new AnalyzeError('--config FILE or --admin URL is required');
  const loaded = await loadConfig(options.configFile, {
    env: options.env,
    logger: silentLogger,
    checkAdapters: true,
  });
  const files = await resolveRuleFiles(loaded.config.rules, loaded.baseDir);
  const mesh = await offlineMesh(loaded, options.env);
  const { problems } = await checkRuleFiles(files, mesh);
  return problems.map(findingOf);
}

function findingOf(problem: RuleProblem): Finding {
  const location = problem.file
    ? [problem.file, problem.line, problem.column].filter((p) => p !== undefined).join(':')
    : undefined;
  return {
    severity: problem.severity,
    code: problem.code,
    ...(problem.rule && { rule: formatRuleIdentity(problem.rule) }),
    ...(problem.path && { path: problem.path }),
    ...(location && { location }),
    ...(problem.target && { target: problem.target }),
    message: problem.message,
  };
}

interface RulesView {
  readonly rules: readonly {
    readonly rule: string;
    readonly source: string;
    readonly errors: readonly ProblemView[];
    readonly warnings: readonly ProblemView[];
  }[];
  readonly sources: readonly { readonly source: string; readonly problems: readonly ProblemView[] }[];
}
interface ProblemView {
  readonly message: string;
  readonly severity?: 'error' | 'warning';
  readonly code: string;
  readonly target?: RenderTarget;
}

/** The findings of the rules a running daemon holds, checked by it against the mesh as it is now. */
async function liveFindings(admin: string): Promise<Finding[]> {
  const url = new URL('/debug/rules', admin);
  let view: RulesView;
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
    if (!response.ok) throw new AnalyzeError(`${url.href} answered ${response.status}`);
    view = (await response.json()) as RulesView;
  } catch (error) {
    if (error instanceof AnalyzeError) throw error;
    throw new AnalyzeError(`cannot read ${url.href}: ${(error as Error).message}`);
  }
  const findings: Finding[] = [];
  const add = (severity: Finding['severity'], p: ProblemView, rule: string | undefined, source: string) =>
    findings.push({
      severity,
      code: p.code,
      ...(rule && { rule }),
      location: source,
      ...(p.target && { target: p.target }),
      // The daemon's message is formatted whole (location and field path first).
      message: p.message,
    });
  for (const source of view.sources) {
    for (const p of source.problems) add(p.severity ?? 'error', p, undefined, source.source);
  }
  for (const rule of view.rules) {
    for (const p of rule.errors) add('error', p, rule.rule, rule.source);
    for (const p of rule.warnings) add('warning', p, rule.rule, rule.source);
  }
  return findings;
}
