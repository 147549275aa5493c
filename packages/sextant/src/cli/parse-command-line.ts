import { parseArgs } from 'node:util';
import { nearest } from '@sextant/core';
import { UsageError, type Command, type OptionValues } from './command';

/** The command a command line names, and its parsed arguments. */
export interface CommandLine {
  readonly command: Command;
  readonly values: OptionValues;
  readonly positionals: readonly string[];
}

/**
 * Picks the command (the first argument, unless it is a flag: then `fallback`, which keeps
 * `sextant --config FILE` running the daemon) and parses its arguments. Every mistake is a
 * UsageError that names the argument, and the nearest command or flag when one is close.
 */
export function parseCommandLine(
  argv: readonly string[],
  commands: readonly Command[],
  fallback: Command,
): CommandLine {
  const [first, ...rest] = argv;
  let command = fallback;
  let args = argv;
  if (first !== undefined && !first.startsWith('-')) {
    const named = commands.find((c) => c.name === first);
    if (!named) {
      const suggestion = nearest(
        first,
        commands.map((c) => c.name),
      );
      throw new UsageError(
        `unknown command "${first}"${suggestion === undefined ? '' : ` (did you mean ${suggestion}?)`}`,
      );
    }
    command = named;
    args = rest;
  }
  try {
    return { command, ...parseArguments(args, command) };
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    throw new UsageError(error.message, command);
  }
}

function parseArguments(args: readonly string[], command: Command): Omit<CommandLine, 'command'> {
  rejectUnknownFlags(args, command);
  let parsed;
  try {
    parsed = parseArgs({ args: [...args], options: command.options, allowPositionals: true, strict: true });
  } catch (error) {
    // node:util says what is wrong (a flag missing its value, say) in words of its own.
    throw new UsageError((error as Error).message);
  }
  const { positionals } = parsed;
  // `--help` asks for the usage: whatever else is on the line does not matter.
  if (parsed.values.help === true) return { values: parsed.values, positionals };
  const { min, max } = command.positionals;
  if (positionals.length > max) {
    throw new UsageError(`unexpected argument "${positionals.slice(max).join(' ')}"`);
  }
  if (positionals.length < min) throw new UsageError('missing argument');
  return { values: parsed.values, positionals };
}

/** A flag the command does not have, with the nearest one it has. */
function rejectUnknownFlags(args: readonly string[], command: Command): void {
  const { tokens } = parseArgs({ args: [...args], options: command.options, strict: false, tokens: true });
  const flags = Object.keys(command.options).map((name) => `--${name}`);
  for (const token of tokens) {
    if (token.kind !== 'option' || token.name in command.options) continue;
    const flag = token.rawName;
    const suggestion = flag.startsWith('--') ? nearest(flag, flags) : undefined;
    throw new UsageError(
      `unknown flag ${flag}${suggestion === undefined ? '' : ` (did you mean ${suggestion}?)`}`,
    );
  }
}
