#!/usr/bin/env node
import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { LOG_LEVELS, type LogLevel } from '@sextant/core';
import { run } from './commands/run';
import { validate } from './commands/validate';

const USAGE = `Usage:
  sextant [run] [--config FILE] [--log-level LEVEL]   run the daemon (no --config: the built-in quickstart)
  sextant validate --config FILE                      check a config and the files it points at
  sextant --version | --help

Log levels: ${LOG_LEVELS.join(', ')}. Docs: docs/configuration.md`;

export async function main(argv: readonly string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        config: { type: 'string', short: 'c' },
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
    if (values.config === undefined) {
      process.stderr.write('sextant validate: --config FILE is required\n');
      return 2;
    }
    return validate({ ...io, configFile: values.config });
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
