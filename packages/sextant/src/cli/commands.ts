import { analyzeCommand } from '../commands/analyze';
import { bootstrapCommand } from '../commands/bootstrap';
import { configCommand } from '../commands/config';
import { runCommand } from '../commands/run';
import { statusCommand } from '../commands/status';
import { tokenCommand } from '../commands/token';
import { agentCommand } from '../commands/agent';
import { validateCommand } from '../commands/validate';
import type { Command } from './command';

/** Every `sextant` command, in the order `sextant --help` lists them. */
export const COMMANDS: readonly Command[] = [
  runCommand,
  validateCommand,
  analyzeCommand,
  statusCommand,
  configCommand,
  bootstrapCommand,
  tokenCommand,
  agentCommand,
];

/** What `sextant` with no command name runs (`sextant --config FILE` starts the daemon). */
export const DEFAULT_COMMAND: Command = runCommand;
