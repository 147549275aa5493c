import { RENDER_TARGETS, type RenderTarget } from '@sextant/core';
import type { ParseArgsConfig } from 'node:util';

/** Where a command reads its environment and writes its output. */
export interface CommandIo {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  /** The process's stdout: commands print through `write`; the daemon writes logs through `fd`. */
  readonly stdout: NodeJS.WritableStream & { readonly fd: number; readonly isTTY?: boolean };
  readonly stderr: NodeJS.WritableStream;
}

export type OptionValues = Readonly<Record<string, string | boolean | (string | boolean)[] | undefined>>;

export type CommandOptions = NonNullable<ParseArgsConfig['options']>;

/**
 * One `sextant <name>` command: its options (node:util parseArgs form), at most how many
 * positional arguments it takes, its usage line and a one-line summary for `sextant --help`.
 * A command lives in a file of its own (src/commands/); cli/commands.ts lists them.
 */
export interface Command {
  readonly name: string;
  readonly summary: string;
  /** What `sextant <name> --help` adds below the summary: option values, defaults. */
  readonly details?: string;
  /** Arguments after the command name, e.g. `[--config FILE] [-o table|json]`. */
  readonly usage: string;
  readonly options: CommandOptions;
  /** Positional arguments it takes: at least `min`, at most `max`. */
  readonly positionals: { readonly min: number; readonly max: number };
  run(args: { values: OptionValues; positionals: readonly string[] }, io: CommandIo): Promise<number>;
}

/** A usage mistake: printed with the command's usage, exit 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';

  /** `command`: the command whose usage to show, when the error is not raised inside it. */
  constructor(
    message: string,
    readonly command?: Command,
  ) {
    super(message);
  }
}

/** The value of a string option that takes one of `choices`, or `fallback` when it is not given. */
export function choiceOption<T extends string>(
  values: OptionValues,
  flag: string,
  choices: readonly T[],
  fallback: T,
): T {
  const value = values[flag];
  if (value === undefined) return fallback;
  if (typeof value === 'string' && (choices as readonly string[]).includes(value)) return value as T;
  throw new UsageError(`--${flag} takes ${choices.join(', ')}, not "${String(value)}"`);
}

/** A string option's value, if given. */
export function stringOption(values: OptionValues, flag: string): string | undefined {
  const value = values[flag];
  return typeof value === 'string' ? value : undefined;
}

/** `--targets v1,grpc`: render targets, each one Sextant knows. */
export function targetsOption(values: OptionValues): RenderTarget[] {
  const targets = (stringOption(values, 'targets') ?? '').split(',').filter((target) => target !== '');
  const unknown = targets.find((target) => !(RENDER_TARGETS as readonly string[]).includes(target));
  if (unknown !== undefined) {
    throw new UsageError(`--targets takes ${RENDER_TARGETS.join(', ')} (comma-separated), not "${unknown}"`);
  }
  return targets as RenderTarget[];
}
