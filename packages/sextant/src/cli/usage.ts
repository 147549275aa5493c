import type { Command } from './command';

/** `sextant --help`: every command with its usage and summary. */
export function globalUsage(commands: readonly Command[]): string {
  const lines = commands.flatMap((c) => [`  sextant ${c.name} ${c.usage}`.trimEnd(), `      ${c.summary}`]);
  return [
    'Usage:',
    ...lines,
    '  sextant --version | --help',
    '',
    '`sextant` with no command runs the daemon (no --config: the built-in quickstart).',
    '`sextant <command> --help` shows one command. Docs: docs/operations.md (commands),',
    'docs/configuration.md, docs/rules.md',
  ].join('\n');
}

/** `sextant <command> --help`: its usage line, summary and details. */
export function commandUsage(command: Command): string {
  return (
    `Usage: sextant ${command.name} ${command.usage}`.trimEnd() +
    `\n\n${command.summary}\n${command.details ? `\n${command.details}\n` : ''}`
  );
}
