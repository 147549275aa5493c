#!/usr/bin/env node
import { UsageError, type Command, type CommandIo } from './cli/command';
import { COMMANDS, DEFAULT_COMMAND } from './cli/commands';
import { parseCommandLine } from './cli/parse-command-line';
import { commandUsage, globalUsage } from './cli/usage';

const HELP = { type: 'boolean', short: 'h' } as const;

export async function main(argv: readonly string[], io: CommandIo = processIo()): Promise<number> {
  const [first] = argv;
  if (first === '--version') {
    // package.json sits outside rootDir, so it is read at run time rather than imported.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    io.stdout.write(`${(require('../package.json') as { version: string }).version}\n`);
    return 0;
  }
  if (first === '--help' || first === '-h' || first === 'help') {
    io.stdout.write(`${globalUsage(COMMANDS)}\n`);
    return 0;
  }
  // Every command takes --help; it is added here so that no command can forget it.
  const withHelp = (c: Command): Command => ({ ...c, options: { ...c.options, help: HELP } });
  let command: Command | undefined;
  try {
    const parsed = parseCommandLine(argv, COMMANDS.map(withHelp), withHelp(DEFAULT_COMMAND));
    command = parsed.command;
    if (parsed.values.help) {
      io.stdout.write(commandUsage(command));
      return 0;
    }
    return await command.run(parsed, io);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    command = error.command ?? command;
    const prefix = command && argv[0] === command.name ? `sextant ${command.name}` : 'sextant';
    const usage = command ? commandUsage(command) : `${globalUsage(COMMANDS)}\n`;
    io.stderr.write(`${prefix}: ${error.message}\n\n${usage}`);
    return 2;
  }
}

function processIo(): CommandIo {
  return { env: process.env, cwd: process.cwd(), stdout: process.stdout, stderr: process.stderr };
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
