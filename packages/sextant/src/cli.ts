#!/usr/bin/env node
import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { LOG_LEVELS, RENDER_TARGETS, type LogLevel, type RenderTarget } from '@sextant/core';
import { run } from './commands/run';
import { validate } from './commands/validate';

const USAGE = `Usage:
  sextant [run] [--config FILE] [--log-level LEVEL]   run the daemon (no --config: the built-in quickstart)
  sextant validate --config FILE [--rules PATTERN]... [--targets LIST]
                                                      check a config, the files it points at and its rules
  sextant validate --rules PATTERN [--rules PATTERN]... [--targets LIST]
                                                      check rules files alone (a file, directory or glob)
  sextant --version | --help

--targets ${RENDER_TARGETS.join(',')}: the clients that must be sent every rule whole (what one of
them cannot express fails validation; for others it is shown only). Default: none.
Log levels: ${LOG_LEVELS.join(', ')}. Docs: docs/configuration.md, docs/rules.md`;

export async function main(argv: readonly string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        config: { type: 'string', short: 'c' },
        rules: { type: 'string', multiple: true },
        targets: { type: 'string' },
        'log-level': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean' },
      },
    });
  } catch (error) {
    process.stderr.write(`sextant: ${(error as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (values.version) {
    // package.json sits outside rootDir, so it is read at run time rather than imported.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    process.stdout.write(`${(require('../package.json') as { version: string }).version}\n`);
    return 0;
  }
  const logLevel = values['log-level'];
  if (logLevel !== undefined && !(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    process.stderr.write(`sextant: --log-level must be one of ${LOG_LEVELS.join(', ')}\n`);
    return 2;
  }
  const [command = 'run', ...rest] = positionals;
  if (rest.length > 0 || !['run', 'validate'].includes(command)) {
    process.stderr.write(`sextant: unexpected argument "${[command, ...rest].join(' ')}"\n\n${USAGE}\n`);
    return 2;
  }
  const io = { env: process.env, stdout: process.stdout, stderr: process.stderr };
  if (command === 'validate') {
    if (values.config === undefined && values.rules === undefined) {
      process.stderr.write('sextant validate: --config FILE or --rules PATTERN is required\n');
      return 2;
    }
    const targets = (values.targets ?? '').split(',').filter((target) => target !== '');
    const unknown = targets.find((target) => !(RENDER_TARGETS as readonly string[]).includes(target));
    if (unknown !== undefined) {
      process.stderr.write(
        `sextant validate: --targets takes ${RENDER_TARGETS.join(', ')} (comma-separated), not "${unknown}"\n`,
      );
      return 2;
    }
    return validate({
      ...io,
      cwd: process.cwd(),
      ...(values.config !== undefined && { configFile: values.config }),
      rulePatterns: values.rules ?? [],
      targets: targets as RenderTarget[],
    });
  }
  if (values.rules !== undefined || values.targets !== undefined) {
    process.stderr.write('sextant: --rules and --targets are options of validate\n');
    return 2;
  }
  return run({ ...io, configFile: values.config, logLevel: logLevel as LogLevel | undefined });
}

/** Runs the CLI on this process's arguments and exits with its code: what the `sextant` executable does. */
export function runAsProcess(): void {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`sextant: unexpected failure: ${(error as Error)?.stack ?? String(error)}\n`);
      process.exit(1);
    },
  );
}

if (require.main === module) runAsProcess();
